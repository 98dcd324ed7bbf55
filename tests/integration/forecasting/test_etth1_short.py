"""ETTh1 with the standard protocol (h=96, input 672, all 7 series standardised with training
statistics) on a short CPU budget: NHITS must beat the seasonal naive forecast on the test
split. The full comparison (and the target against neuralforecast) is benchmarks/bench_etth1.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")

from neural_trader.forecasting import (  # noqa: E402
    Forecaster,
    TrainConfig,
    Trainer,
    WindowSet,
    build_model,
    make_config,
)
from neural_trader.forecasting.baselines import seasonal_naive  # noqa: E402

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]

INPUT, HORIZON = 672, 96
TRAIN, VAL, TEST = 12 * 30 * 24, 4 * 30 * 24, 4 * 30 * 24
COLUMNS = ("HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT")


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def test_a_short_nhits_beats_seasonal_naive_on_etth1(shared_data: Path) -> None:
    raw = pd.read_csv(shared_data / "ETTh1.csv")[list(COLUMNS)].to_numpy(np.float64)
    raw = raw[: TRAIN + VAL + TEST]
    scaled = (raw - raw[:TRAIN].mean(axis=0)) / raw[:TRAIN].std(axis=0)
    series = [np.ascontiguousarray(scaled[:, j]) for j in range(scaled.shape[1])]

    def windows(start: int, stop: int, step: int) -> WindowSet:
        return WindowSet.from_ranges(
            series, None, input_size=INPUT, horizon=HORIZON,
            ranges=[(start, stop)] * len(series), step=step,
        )  # fmt: skip

    train = windows(0, TRAIN, 1)
    test = windows(TRAIN + VAL, TRAIN + VAL + TEST, 8)  # every 8th origin keeps it quick
    model = build_model(make_config("nhits", input_size=INPUT, horizon=HORIZON), seed=0)
    cfg = TrainConfig(max_steps=40, batch_size=256, lr_decays=0, device="cpu", seed=0,
                      progress=False)  # fmt: skip
    Trainer(cfg).fit(model, train)
    x, _, y = test.arrays()
    ours = np.mean((Forecaster(model, batch_size=1024).predict(x).point - y) ** 2)
    naive = np.mean((seasonal_naive(x, HORIZON, 24) - y) ** 2)
    print(f"ETTh1 short NHITS test MSE {ours:.3f} vs seasonal naive {naive:.3f}")
    assert ours < naive, (ours, naive)
