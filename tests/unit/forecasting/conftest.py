"""Forecasting test fixtures: one torch thread per test (the CI machines have two cores and
pytest-xdist runs a worker per core), restored afterwards."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    try:
        import torch
    except ImportError:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@pytest.fixture(scope="session")
def sine() -> np.ndarray:
    """600 steps of a period-20 sine around 10 with a little seeded noise."""
    t = np.arange(600)
    noise = np.random.default_rng(0).normal(0.0, 0.05, t.size)
    return 10.0 + np.sin(2.0 * np.pi * t / 20.0) + noise
