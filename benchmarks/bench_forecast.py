"""Forecasting: inference latency, batch inference, training throughput, and an honest check
of whether any model beats the random walk on a real price series.

1. Single-window latency of NHITS (input 60, horizon 5, the demo's size) through torch and
   through onnxruntime (issue 5 target: under 1 ms on CPU), p50/p99.
2. One forward pass over 500 assets' windows (batch inference), torch and onnxruntime.
3. Training throughput: windows per second of NHITS, LSTM and Transformer training steps.
4. ORCL 1995-2014 daily log returns (../shared/data/orcl-1995-2014.txt): each model trained on
   the first 70% (early stopping on the next 15%), scored on the last 15% against the random
   walk (tomorrow's log return forecast as 0) and the historical mean. Prints whether any
   model beats it; a small difference is not an edge (a Diebold-Mariano statistic is shown).

Never asserts. ``--threads`` sets torch's threads (default 1: latency is per core).
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ORCL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "orcl-1995-2014.txt"


def percentiles(samples_us: list[float]) -> str:
    arr = np.asarray(samples_us)
    return f"p50 {np.percentile(arr, 50):.0f} us, p99 {np.percentile(arr, 99):.0f} us"


def latency(seed: int) -> None:
    from neural_trader.forecasting import Forecaster, build_model, make_config
    from neural_trader.forecasting.onnx_export import OnnxPredictor, export_onnx

    model = build_model(make_config("nhits", input_size=60, horizon=5, mlp_units=512), seed=seed)
    model.eval()
    rng = np.random.default_rng(seed)
    one = 100.0 + np.cumsum(rng.normal(0, 1, (1, 60)), axis=1)
    many = 100.0 + np.cumsum(rng.normal(0, 1, (500, 60)), axis=1)
    torch_pred = Forecaster(model)
    with tempfile.TemporaryDirectory() as tmp:
        path = export_onnx(model, Path(tmp) / "nhits.onnx")
        ort_pred = OnnxPredictor(path, threads=1)
        for name, fn in (("torch", torch_pred.raw), ("onnxruntime", ort_pred.raw)):
            for _ in range(50):
                fn(one)
            single = []
            for _ in range(2000):
                t0 = time.perf_counter_ns()
                fn(one)
                single.append((time.perf_counter_ns() - t0) / 1e3)
            batch = []
            for _ in range(50):
                t0 = time.perf_counter_ns()
                fn(many)
                batch.append((time.perf_counter_ns() - t0) / 1e3)
            b50 = float(np.percentile(batch, 50))
            print(
                f"NHITS (60 in, 5 out, 2x512) {name}: one window {percentiles(single)} "
                f"(target < 1000 us); 500 assets in one pass p50 {b50 / 1e3:.2f} ms "
                f"({500 / b50 * 1e6:,.0f} windows/s)"
            )


def throughput(seed: int) -> None:
    from neural_trader.forecasting import TrainConfig, Trainer, WindowSet, build_model, make_config

    rng = np.random.default_rng(seed)
    series = [100.0 + np.cumsum(rng.normal(0, 1, 3000)) for _ in range(8)]
    train = WindowSet.from_ranges(
        series, None, input_size=96, horizon=24, ranges=[(0, 3000)] * 8, step=1
    )
    for kind, batch in (("nhits", 1024), ("lstm", 64), ("transformer", 256)):
        model = build_model(make_config(kind, input_size=96, horizon=24), seed=seed)
        steps = 30
        cfg = TrainConfig(max_steps=steps, batch_size=batch, lr_decays=0, device="cpu",
                          seed=seed, progress=False)  # fmt: skip
        result = Trainer(cfg).fit(model, train)
        print(
            f"training throughput {kind} (input 96, horizon 24, batch {batch}): "
            f"{steps * batch / result.seconds:,.0f} windows/s"
        )


def orcl(seed: int, max_steps: int) -> None:
    if not ORCL.is_file():
        print(
            f"ORCL check skipped: {ORCL} is absent (the shared data folder sits beside the clone)"
        )
        return
    from neural_trader.data.importers import import_bars
    from neural_trader.forecasting import (
        Forecaster,
        TrainConfig,
        Trainer,
        build_model,
        make_config,
        split_windows,
    )

    close = import_bars(ORCL).frame["close"].to_numpy(np.float64)
    r = np.diff(np.log(close)) * 100.0  # percent log returns
    splits = split_windows(
        [r], None, input_size=60, horizon=1, val_fraction=0.15, test_fraction=0.15
    )
    assert splits.val is not None
    assert splits.test is not None
    x, _, y = splits.test.arrays()
    train_mean = float(np.mean(r[: splits.bounds[0].train_end]))
    rows: list[tuple[str, np.ndarray]] = [
        ("random walk (0)", np.zeros_like(y)),
        ("historical mean", np.full_like(y, train_mean)),
    ]
    for kind in ("nhits", "lstm", "transformer"):
        model = build_model(
            make_config(kind, input_size=60, horizon=1, scaler="none", level_skip=False),
            seed=seed,
        )
        cfg = TrainConfig(max_steps=max_steps, batch_size=256, val_check_steps=50, patience=4,
                          device="cpu", seed=seed, progress=False)  # fmt: skip
        Trainer(cfg).fit(model, splits.train, splits.val)
        rows.append((kind, Forecaster(model).predict(x).point))
    base = (rows[0][1] - y)[:, 0] ** 2
    print(f"ORCL daily log returns (%), test = last 15% ({len(y):,} days):")
    print(f"  {'forecast':<18} {'MSE':>8} {'MAE':>8} {'DM vs RW':>9}")
    beat = []
    for name, pred in rows:
        err = (pred - y)[:, 0]
        d = err**2 - base
        dm = float(np.mean(d) / (np.std(d, ddof=1) / math.sqrt(len(d)))) if np.std(d) else 0.0
        print(f"  {name:<18} {np.mean(err**2):>8.4f} {np.mean(np.abs(err)):>8.4f} {dm:>9.2f}")
        if name not in ("random walk (0)", "historical mean") and dm < -1.96:
            beat.append(name)
    verdict = (
        f"beats the random walk at 5% (DM < -1.96): {', '.join(beat)}"
        if beat
        else "no model beats the random walk significantly (DM > -1.96): no forecasting edge"
    )
    print(f"  {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--orcl-steps", type=int, default=600)
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("bench_forecast: skipped, torch is absent (pip install 'neural-trader[forecast]')")
        return 0
    torch.set_num_threads(args.threads)
    latency(args.seed)
    throughput(args.seed)
    orcl(args.seed, args.orcl_steps)
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
