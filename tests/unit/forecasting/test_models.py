"""Model shapes, per-window scaling, ordered quantiles, losses, configs."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.forecasting.configs import (
    NHITSConfig,
    config_from_dict,
    make_config,
    quantiles_for_levels,
)

torch = pytest.importorskip("torch", reason="the optional extra 'forecast' (torch) is absent")

from neural_trader.forecasting.losses import mae_loss, mq_loss, mse_loss  # noqa: E402
from neural_trader.forecasting.models import build_model  # noqa: E402

SMALL: dict[str, dict[str, Any]] = {
    "nhits": {"mlp_units": 32},
    "lstm": {"hidden_size": 16},
    "transformer": {"d_model": 16, "n_heads": 2, "ff_size": 32, "patch_len": 5},
}


def _windows(n: int, length: int, seed: int = 0) -> Any:
    gen = torch.Generator().manual_seed(seed)
    return 100.0 + torch.randn(n, length, generator=gen).cumsum(dim=1)


@pytest.mark.parametrize("kind", list(SMALL))
@pytest.mark.parametrize(("n_exog", "loss"), [(0, "mae"), (3, "mq")])
def test_output_shapes(kind: str, n_exog: int, loss: str) -> None:
    qs = (0.1, 0.9) if loss == "mq" else ()
    cfg = make_config(
        kind, input_size=24, horizon=6, n_exog=n_exog, loss=loss, quantiles=qs, **SMALL[kind]
    )
    model = build_model(cfg, seed=0).eval()
    ex = torch.randn(4, 24, n_exog) if n_exog else None
    out = model(_windows(4, 24), ex)
    assert out.shape == (4, 6, 3 if qs else 1)
    assert torch.isfinite(out).all()
    with pytest.raises(InvalidArgumentError):
        model(_windows(4, 23), ex)


@pytest.mark.parametrize("kind", list(SMALL))
@pytest.mark.parametrize("scaler", ["standard", "robust"])
def test_scaling_the_window_scales_the_forecast(kind: str, scaler: str) -> None:
    cfg = make_config(kind, input_size=20, horizon=5, n_exog=2, scaler=scaler, **SMALL[kind])
    model = build_model(cfg, seed=3).eval()
    y = _windows(6, 20)
    ex = torch.randn(6, 20, 2)
    with torch.no_grad():
        base = model(y, ex)
        for c in (0.01, 37.0):
            torch.testing.assert_close(model(c * y, ex), c * base, rtol=2e-4, atol=0.0)
        # a shift of the level moves the forecast by the same amount
        torch.testing.assert_close(model(y + 50.0, ex), base + 50.0, rtol=0.0, atol=2e-3)


def test_without_scaling_the_forecast_does_not_scale() -> None:
    cfg = make_config("nhits", input_size=20, horizon=5, scaler="none", mlp_units=16)
    model = build_model(cfg, seed=3).eval()
    y = _windows(2, 20)
    with torch.no_grad():
        assert not torch.allclose(model(10.0 * y), 10.0 * model(y), rtol=1e-3)


@pytest.mark.parametrize("kind", list(SMALL))
def test_quantiles_are_ordered_and_the_median_is_the_point(kind: str) -> None:
    cfg = make_config(
        kind,
        input_size=20,
        horizon=4,
        loss="mq",
        quantiles=quantiles_for_levels([50, 80, 95]),
        **SMALL[kind],
    )
    assert cfg.quantiles == (0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975)
    model = build_model(cfg, seed=1).eval()
    with torch.no_grad():
        out = model(_windows(32, 20, seed=5))
    assert (out.diff(dim=-1) >= 0).all()


def test_constant_window_gives_a_finite_forecast() -> None:
    cfg = make_config("nhits", input_size=10, horizon=3, mlp_units=8)
    model = build_model(cfg, seed=0).eval()
    with torch.no_grad():
        out = model(torch.full((2, 10), 42.0))
    assert torch.isfinite(out).all()


def test_nhits_reference_defaults() -> None:
    cfg = NHITSConfig(input_size=96, horizon=24)
    assert cfg.pooling_kernels == (2, 2, 1)
    assert cfg.downsample == (4, 2, 1)
    assert cfg.mlp_units == 512
    assert cfg.loss == "mae"
    model = build_model(cfg, seed=0)
    assert len(model.blocks) == 3
    assert [b.n_knots for b in model.blocks] == [6, 12, 24]


def test_losses_by_hand() -> None:
    pred = torch.tensor([[[1.0, 2.0, 4.0]], [[0.0, 1.0, 1.5]]])  # [B=2, H=1, Q=3]
    target = torch.tensor([[3.0], [1.0]])
    q = torch.tensor([0.1, 0.5, 0.9])
    # errors y - f: [2, 1, -1] and [1, 0, -0.5]
    # pinball: q*e if e >= 0 else (q-1)*e
    expected = (0.1 * 2 + 0.5 * 1 + 0.1 * 1 + 0.1 * 1 + 0.0 + 0.1 * 0.5) / 6
    assert float(mq_loss(pred, target, q)) == pytest.approx(expected)
    point = torch.tensor([[[2.0]], [[3.0]]])
    assert float(mae_loss(point, target)) == pytest.approx((1 + 2) / 2)
    assert float(mse_loss(point, target)) == pytest.approx((1 + 4) / 2)


def test_configs_validate_and_round_trip() -> None:
    cfg = make_config(
        "transformer", input_size=30, horizon=5, patch_len=6, loss="mq", quantiles=[0.2, 0.8]
    )
    assert cfg.quantiles == (0.2, 0.5, 0.8)  # the median is always added
    assert config_from_dict(cfg.to_dict()) == cfg
    with pytest.raises(InvalidArgumentError, match="no parameter"):
        make_config("lstm", input_size=10, horizon=2, mlp_units=3)
    with pytest.raises(InvalidArgumentError, match="unknown model"):
        make_config("gru", input_size=10, horizon=2)
    with pytest.raises(InvalidArgumentError, match="multiple of n_heads"):
        make_config("transformer", input_size=10, horizon=2, d_model=10, n_heads=4, patch_len=2)
    with pytest.raises(InvalidArgumentError, match="need loss 'mq'"):
        make_config("nhits", input_size=10, horizon=2, quantiles=(0.1, 0.9))
    with pytest.raises(InvalidArgumentError, match="same length"):
        make_config("nhits", input_size=10, horizon=2, pooling_kernels=(2, 1))


def test_build_model_is_seeded_and_leaves_the_global_rng_alone() -> None:
    cfg = make_config("nhits", input_size=10, horizon=2, mlp_units=8)
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    a = build_model(cfg, seed=7)
    after = torch.rand(1)
    b = build_model(cfg, seed=7)
    c = build_model(cfg, seed=8)
    assert torch.equal(after, expected_next)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not all(torch.equal(sa[k], sc[k]) for k in sa)
    assert np.isfinite(a.n_parameters())
