"""One-shot GPU check: run every CUDA code path of the project once, next to its CPU path.

Why this exists: CI and the development machines have no GPU, so the CUDA paths (the torch
Monte Carlo backend, the forecasting trainer's fp16 autocast + GradScaler, inference on
``cuda``, and the services the MCP tools call with ``use_gpu=True``) are tested only on the
CPU. This script is what runs when a GPU machine is lent for a few minutes: one prepared
command that exercises those paths, compares them with the CPU paths in the same run, times
both, and writes everything to ``OUT/gpu_check.json``. It is a plain script, not a test.

What it checks (each check records pass / fail / skip with its numbers; a failing check keeps
its traceback and never stops the others; the script exits 0 so the JSON always comes back):

1. Monte Carlo (``neural_trader.risk.montecarlo``), torch backend on the device, float32 and
   float64: the same seed twice gives identical results; the distribution agrees with the
   numpy/numba backend (mean, std and VaR 95 % within 4 batch-means standard errors, CVaR
   and VaR 99 % within 5, two-sample KS p-value > 0.001) for GBM (horizon-only and daily steps), the
   Student-t copula and the filtered bootstrap, fitted to the embedded S&P 500 / NASDAQ
   sample; timings of 1M paths x 252 days x 1 asset and 1M paths x 10 days x 10 assets on
   the device against numba on every CPU core (one warm-up first, ``torch.cuda.synchronize``
   around device timings), with peak GPU memory.
2. Forecasting (``neural_trader.forecasting``) on ETTh1 (7 standardised series, horizon 96):
   NHITS, LSTM and Transformer trained for a fixed number of steps with a fixed seed on the
   device (fp32 twice: determinism; fp16 with GradScaler and, for NHITS, bf16) and on the CPU
   (same steps, or fewer under a time limit): MAE on a fixed sample of training windows
   decreased, validation / test MAE next to the seasonal-naive and naive baselines,
   windows/s, device-vs-CPU inference with the same weights (fp32, agreement to 1e-4),
   batch inference latency for 500 series.
3. Services with ``use_gpu=True`` in a temporary ``NT_HOME`` whose catalog is filled from the
   package's embedded sample through the import service: ``simulate_portfolio`` (three
   models), ``portfolio_risk``, ``train_epochs`` and ``predict_values`` on the device.

Run here (CPU, small sizes, about two minutes on two cores)::

    .venv/bin/python benchmarks/gpu_check.py --device cpu --quick --out /tmp/gc

Run on the GPU machine (packages the image lacks travel as wheels in ``.whl``, ETTh1 in
``.gpudata``; see the README of the device tool)::

    python3 benchmarks/gpu_check.py --out "$OUT"

``--budget-s`` (default 240) is a soft deadline: a check that would start after it is
recorded as skipped, so the run ends in time and the JSON still comes back.
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:  # runnable from a bare checkout (PYTHONPATH=src too)
    sys.path.insert(0, str(ROOT / "src"))

DATA_CANDIDATES = (
    ROOT / ".gpudata" / "ETTh1.csv",
    ROOT.parent / "shared" / "data" / "ETTh1.csv",
    ROOT / "shared" / "data" / "ETTh1.csv",
)
ETT_COLUMNS = ("HUFL", "HULL", "MUFL", "MULL", "LUFL", "LULL", "OT")
ETT_TRAIN, ETT_VAL, ETT_TEST = 8640, 2880, 2880  # 12 / 4 / 4 months of hourly rows
HORIZON = 96
SEASON = 24

# Sizes: FULL for the GPU machine (about 2-3 minutes there), QUICK for a CPU smoke run here.
FULL: dict[str, Any] = {
    "mc_det_paths": 200_000,
    "mc_det_horizon": 20,
    "mc_agree_paths": 400_000,
    "mc_agree_horizon": 10,
    "mc_batches": 40,
    "mc_time_paths": 1_000_000,
    "mc_time_repeat": 2,
    "fc_steps": 300,
    "fc_val_check": 50,
    "fc_val_step": 24,
    "fc_test_step": 8,
    "fc_cpu_time_limit": 15.0,
    "fc_loss_windows": 1024,
    "fc_latency_runs": 20,
    "fc_models": {
        "nhits": {"input": 672, "batch": 256, "params": {}},
        "transformer": {
            "input": 672,
            "batch": 128,
            "params": {"patch_len": 16, "d_model": 64, "n_heads": 4, "n_layers": 2},
        },
        "lstm": {"input": 168, "batch": 64, "params": {"hidden_size": 128, "num_layers": 2}},
    },
    "svc_paths": 200_000,
    "svc_horizon": 10,
    "svc_epochs": 2,
}
QUICK: dict[str, Any] = {
    **FULL,
    "mc_det_paths": 5_000,
    "mc_det_horizon": 5,
    "mc_agree_paths": 40_000,
    "mc_agree_horizon": 5,
    "mc_batches": 20,
    "mc_time_paths": 50_000,
    "mc_time_repeat": 1,
    "fc_steps": 20,
    "fc_val_check": 10,
    "fc_val_step": 96,
    "fc_test_step": 96,
    "fc_cpu_time_limit": 15.0,
    "fc_loss_windows": 256,
    "fc_latency_runs": 3,
    "fc_models": {
        "nhits": {"input": 96, "batch": 32, "params": {"mlp_units": 128}},
        "transformer": {
            "input": 96,
            "batch": 32,
            "params": {"patch_len": 16, "d_model": 32, "n_heads": 4, "n_layers": 1},
        },
        "lstm": {"input": 48, "batch": 16, "params": {"hidden_size": 32, "num_layers": 2}},
    },
    "svc_paths": 20_000,
    "svc_horizon": 5,
    "svc_epochs": 1,
}


# --------------------------------------------------------------------------- bookkeeping


class SkipCheckError(Exception):
    """Raised inside a check: recorded as skipped with this reason."""


@dataclass
class Check:
    section: str
    name: str
    status: str = "pass"
    seconds: float = 0.0
    numbers: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None

    def expect(self, ok: bool, message: str) -> bool:
        """Record ``message`` as a failure when ``ok`` is false."""
        if not ok:
            self.problems.append(message)
        return bool(ok)

    def note(self, message: str) -> None:
        self.notes.append(message)


class Report:
    def __init__(self, args: argparse.Namespace, sizes: dict[str, Any]) -> None:
        self.args = args
        self.sizes = sizes
        self.t0 = time.perf_counter()
        self.checks: list[Check] = []
        self.env: dict[str, Any] = {}
        self.reached: list[str] = []
        self.not_reached: list[str] = []
        self.tables: dict[str, list[dict[str, Any]]] = {"mc_timing": [], "forecasting": []}

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def reach(self, path: str) -> None:
        if path not in self.reached:
            self.reached.append(path)

    def run(self, section: str, name: str, fn: Callable[[Check], None]) -> Check:
        chk = Check(section, name)
        if self.elapsed() > self.args.budget_s:
            chk.status = "skip"
            chk.note(f"time budget of {self.args.budget_s:.0f} s spent before this check")
            self.checks.append(chk)
            log(f"[SKIP] {name}: time budget spent")
            return chk
        t0 = time.perf_counter()
        try:
            fn(chk)
            chk.status = "fail" if chk.problems else "pass"
        except SkipCheckError as exc:
            chk.status = "skip"
            chk.note(str(exc))
        except Exception as exc:  # every failure is recorded, none stops the run
            chk.status = "fail"
            chk.problems.append(f"{type(exc).__name__}: {exc}")
            chk.error = traceback.format_exc()
        chk.seconds = round(time.perf_counter() - t0, 3)
        self.checks.append(chk)
        shown = ", ".join(f"{k}={_short(v)}" for k, v in list(chk.numbers.items())[:8])
        log(f"[{chk.status.upper()}] {name} ({chk.seconds:.1f} s) {shown}")
        for p in chk.problems:
            log(f"    problem: {p}")
        for n in chk.notes:
            log(f"    note: {n}")
        if chk.error:
            log("    " + chk.error.strip().replace("\n", "\n    "))
        return chk


def log(message: str) -> None:
    print(message, flush=True)


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, dict | list):
        text = json.dumps(_clean(v))
        return text if len(text) <= 60 else text[:57] + "..."
    return str(v)


def _clean(v: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN/inf to None, tuples to lists."""
    if isinstance(v, dict):
        return {str(k): _clean(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_clean(x) for x in v]
    if isinstance(v, np.ndarray):
        return _clean(v.tolist())
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _f(x: Any, digits: int = 6) -> float:
    return round(float(x), digits)


# --------------------------------------------------------------------------- environment


def environment(rep: Report, ctx: dict[str, Any]) -> None:
    env: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "argv": sys.argv,
        "sizes": "quick" if rep.args.quick else "full",
    }
    from importlib import metadata

    versions: dict[str, str | None] = {}
    for dist in (
        "torch",
        "numpy",
        "numba",
        "scipy",
        "pandas",
        "pyarrow",
        "duckdb",
        "pydantic",
        "pydantic-core",
        "pydantic-settings",
        "typing_extensions",
        "safetensors",
    ):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    env["versions"] = versions
    rep.env = env

    def check(chk: Check) -> None:
        import torch

        env["torch_threads"] = torch.get_num_threads()
        env["cuda_available"] = bool(torch.cuda.is_available())
        env["torch_cuda"] = torch.version.cuda
        cuda = torch.cuda.is_available()
        env["cudnn"] = torch.backends.cudnn.version() if cuda else None  # type: ignore[no-untyped-call]
        env["matmul_allow_tf32"] = bool(torch.backends.cuda.matmul.allow_tf32)
        env["cudnn_allow_tf32"] = bool(torch.backends.cudnn.allow_tf32)
        env["cudnn_deterministic"] = bool(torch.backends.cudnn.deterministic)
        env["float32_matmul_precision"] = torch.get_float32_matmul_precision()
        try:
            import numba

            env["numba_threads"] = getattr(numba.config, "NUMBA_NUM_THREADS", None)
        except ImportError:
            env["numba_threads"] = None
        chk.numbers.update(
            torch=torch.__version__, cuda=env["cuda_available"], threads=env["torch_threads"]
        )
        if rep.args.device == "cuda":
            if not chk.expect(torch.cuda.is_available(), "torch sees no CUDA GPU"):
                chk.note("continuing on the CPU so the other checks still report")
                ctx["device"] = "cpu"
                return
            props = torch.cuda.get_device_properties(0)
            env["gpu"] = {
                "name": props.name,
                "capability": f"{props.major}.{props.minor}",
                "memory_gib": round(props.total_memory / 2**30, 1),
                "multiprocessors": props.multi_processor_count,
            }
            chk.numbers["gpu"] = props.name
        ctx["device"] = rep.args.device

    rep.run("env", "env.torch", check)


@contextmanager
def gpu_timer(device: str) -> Iterator[dict[str, float]]:
    """Wall time of the block, synchronised on CUDA before and after; peak GPU memory."""
    import torch

    out: dict[str, float] = {}
    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    yield out
    if cuda:
        torch.cuda.synchronize()
        out["peak_gpu_mb"] = torch.cuda.max_memory_allocated() / 2**20
    out["seconds"] = time.perf_counter() - t0


# --------------------------------------------------------------------------- Monte Carlo


def risk_stats(x: np.ndarray, batches: int) -> dict[str, tuple[float, float]]:
    """Estimates and batch-means standard errors of the P&L's mean, std, VaR and CVaR."""

    def one(v: np.ndarray) -> dict[str, float]:
        out = {"mean": float(v.mean()), "std": float(v.std(ddof=1))}
        for p in (95, 99):
            q = float(np.quantile(v, 1.0 - p / 100.0))
            out[f"var{p}"] = -q
            out[f"cvar{p}"] = -float(v[v <= q].mean())
        return out

    full = one(x)
    parts = [one(b) for b in np.array_split(x, batches)]
    return {
        k: (full[k], float(np.std([p[k] for p in parts], ddof=1) / math.sqrt(batches)))
        for k in full
    }


def compare_samples(
    chk: Check, label: str, a: np.ndarray, b: np.ndarray, batches: int, z_max: float = 4.0
) -> None:
    """Distribution agreement of two independent samples (moments, VaR/CVaR, KS)."""
    from scipy import stats as sps

    sa, sb = risk_stats(a, batches), risk_stats(b, batches)
    zs = {}
    for k in sa:
        se = math.hypot(sa[k][1], sb[k][1])
        z = (sa[k][0] - sb[k][0]) / se if se > 0 else 0.0
        zs[k] = round(z, 2)
        chk.numbers[f"{label}_{k}"] = [_f(sa[k][0], 2), _f(sb[k][0], 2)]
        # Tail statistics of heavy-tailed paths (the bootstrap's) are the noisiest and their
        # batch-means error is only approximate: a wider band for CVaR and the 99 % VaR.
        limit = z_max + 1.0 if k.startswith("cvar") or k.endswith("99") else z_max
        chk.expect(abs(z) < limit, f"{label} {k}: {sa[k][0]:.6g} vs {sb[k][0]:.6g} (z={z:.2f})")
    chk.numbers[f"{label}_z"] = zs
    p = float(sps.ks_2samp(a, b).pvalue)
    chk.numbers[f"{label}_ks_p"] = _f(p, 5)
    chk.expect(p > 1e-3, f"{label}: two-sample KS p-value {p:.2g} <= 0.001")


def mc_models(rep: Report, ctx: dict[str, Any]) -> None:
    def check(chk: Check) -> None:
        from neural_trader.data.providers.sample import load_sample
        from neural_trader.risk.montecarlo import GBM, fit_model

        closes = []
        for name in ("SPX", "IXIC"):
            frame = load_sample(name)
            closes.append(frame["close"].to_numpy(dtype=np.float64))
        logret = np.diff(np.log(np.stack(closes, axis=1)), axis=0)[-1000:]
        ctx["mc_logret"] = logret
        ctx["mc_models2"] = {k: fit_model(k, logret, assets=["SPX", "IXIC"]) for k in KINDS}
        chk.numbers["days"] = int(logret.shape[0])
        chk.numbers["t_copula_dof"] = ctx["mc_models2"]["t_copula"].dof
        # Timing models: 1 asset fitted to the S&P 500, 10 assets to seeded fat-tailed
        # returns (the sample has two series only).
        spx = logret[:, :1]
        rng = np.random.default_rng(7)
        a = rng.normal(size=(10, 10))
        cov = a @ a.T + 10 * np.eye(10)
        corr = cov / np.outer(np.sqrt(np.diag(cov)), np.sqrt(np.diag(cov)))
        vol = rng.uniform(0.01, 0.02, 10)
        t = rng.standard_t(4, size=(1500, 10)) / math.sqrt(2.0)
        x10 = 2e-4 + (t @ np.linalg.cholesky(corr).T) * vol
        ctx["mc_models_time"] = {
            1: {
                "gbm": GBM.fit(spx),
                "t_copula": fit_model("t_copula", spx),
                "bootstrap": fit_model("bootstrap", spx),
            },
            10: {
                "gbm": GBM.from_params(np.full(10, 2e-4), corr * np.outer(vol, vol)),
                "t_copula": fit_model("t_copula", x10),
                "bootstrap": fit_model("bootstrap", x10),
            },
        }
        chk.numbers["t_copula_dof_10"] = ctx["mc_models_time"][10]["t_copula"].dof

    rep.run("montecarlo", "mc.fit_models", check)


KINDS: tuple[Any, ...] = ("gbm", "t_copula", "bootstrap")  # the engine's ModelKind
EXPOSURES2 = np.array([6e5, 4e5])


def mc_determinism(rep: Report, ctx: dict[str, Any], kind: str, dtype: str) -> None:
    def check(chk: Check) -> None:
        from neural_trader.risk.montecarlo import simulate

        if "mc_models2" not in ctx:
            raise SkipCheckError("no fitted models (mc.fit_models failed)")
        dev = ctx["device"]
        s = rep.sizes

        def go(seed: int) -> Any:
            return simulate(
                ctx["mc_models2"][kind],
                n_paths=s["mc_det_paths"],
                horizon=s["mc_det_horizon"],
                seed=seed,
                exposures=EXPOSURES2,
                path_stats=True,
                backend="torch",
                dtype=dtype,  # type: ignore[arg-type]
                device=dev,
            )

        a, b, c = go(11), go(11), go(12)
        for r in (a, b, c):
            assert r.pnl is not None
            assert r.worst_pnl is not None
        chk.numbers.update(device=a.device, chunk=a.chunk_size, paths=a.n_paths)
        same = bool(np.array_equal(a.pnl, b.pnl) and np.array_equal(a.worst_pnl, b.worst_pnl))
        chk.numbers["max_abs_diff_same_seed"] = float(np.max(np.abs(a.pnl - b.pnl)))
        chk.expect(same, "the same seed gave different P&L on the torch backend")
        chk.expect(
            a.asset_returns is not None
            and b.asset_returns is not None
            and np.array_equal(a.asset_returns, b.asset_returns),
            "the same seed gave different asset returns",
        )
        chk.expect(not np.array_equal(a.pnl, c.pnl), "a different seed gave the same P&L")
        chk.expect(bool(np.isfinite(a.pnl).all()), "non-finite P&L")
        if a.device.startswith("cuda"):
            rep.reach(f"risk.montecarlo.torch_backend.TorchRun on {a.device}: {kind} {dtype}")

    rep.run("montecarlo", f"mc.determinism.{kind}.{dtype}", check)


def mc_agreement(rep: Report, ctx: dict[str, Any], kind: str, terminal: bool = False) -> None:
    label = "gbm_horizon_only" if terminal else kind

    def check(chk: Check) -> None:
        from neural_trader.risk.montecarlo import simulate

        if "mc_models2" not in ctx:
            raise SkipCheckError("no fitted models (mc.fit_models failed)")
        s = rep.sizes
        model = ctx["mc_models2"][kind]
        common: dict[str, Any] = {
            "n_paths": s["mc_agree_paths"],
            "horizon": s["mc_agree_horizon"],
            "exposures": EXPOSURES2,
            "path_stats": not terminal,
            "keep_asset_returns": False,
        }
        ref = simulate(model, seed=101, backend="numpy", dtype="float64", **common)
        assert ref.pnl is not None
        for dtype in ("float32", "float64"):
            res = simulate(
                model, seed=202, backend="torch", device=ctx["device"], dtype=dtype, **common
            )
            assert res.pnl is not None
            chk.numbers.setdefault("device", res.device)
            compare_samples(chk, f"{dtype}_pnl", res.pnl, ref.pnl, s["mc_batches"])
            if not terminal:
                assert res.worst_pnl is not None
                assert ref.worst_pnl is not None
                compare_samples(chk, f"{dtype}_worst", res.worst_pnl, ref.worst_pnl, 20)
        chk.numbers["paths"] = s["mc_agree_paths"]

    rep.run("montecarlo", f"mc.agreement.{label}", check)


def mc_timing(rep: Report, ctx: dict[str, Any], n_assets: int, horizon: int, kind: str) -> None:
    case = f"{rep.sizes['mc_time_paths'] / 1e6:g}M x {horizon}d x {n_assets}"

    def check(chk: Check) -> None:
        from neural_trader.risk.montecarlo import simulate

        if "mc_models_time" not in ctx:
            raise SkipCheckError("no fitted models (mc.fit_models failed)")
        s = rep.sizes
        model = ctx["mc_models_time"][n_assets][kind]
        e = np.full(n_assets, 1e6 / n_assets)
        dev = ctx["device"]
        repeat = s["mc_time_repeat"] if kind == "gbm" else 1
        configs = [("torch", dev, "float32"), ("torch", dev, "float64")]
        configs += [("numpy", "cpu", "float64")]
        if kind == "gbm":
            configs += [("numpy", "cpu", "float32")]

        def go(backend: str, device: str, dtype: str, n: int) -> Any:
            return simulate(
                model,
                n_paths=n,
                horizon=horizon,
                seed=2024,
                exposures=e,
                path_stats=True,
                keep_asset_returns=False,
                backend=backend,  # type: ignore[arg-type]
                dtype=dtype,  # type: ignore[arg-type]
                device=device,
            )

        best: dict[str, float] = {}
        for backend, device, dtype in configs:
            # Warm-up: numba compiles (or loads) its kernels, CUDA initialises its libraries
            # and the caching allocator sizes its pool (a full-size run on the device).
            warm_n = s["mc_time_paths"] if backend == "torch" else 2000
            go(backend, device, dtype, warm_n)
            times, peak, res = [], None, None
            for _ in range(repeat):
                with gpu_timer(device if backend == "torch" else "cpu") as t:
                    res = go(backend, device, dtype, s["mc_time_paths"])
                times.append(t["seconds"])
                peak = t.get("peak_gpu_mb", peak)
            assert res is not None
            assert res.pnl is not None
            q = float(np.quantile(res.pnl, 0.01))
            key = f"{backend}/{res.device}/{dtype}"
            best[key] = min(times)
            row = {
                "case": case,
                "model": kind,
                "backend": backend,
                "device": res.device,
                "dtype": dtype,
                "threads": os.cpu_count() if backend == "numpy" else None,
                "seconds_best": round(min(times), 4),
                "seconds_all": [round(x, 4) for x in times],
                "paths_per_s": round(s["mc_time_paths"] / min(times)),
                "peak_gpu_mb": None if peak is None else round(peak, 1),
                "chunk_size": res.chunk_size,
                "var99": round(-q, 2),
                "mean_worst_pnl": round(float(np.mean(res.worst_pnl)), 2)
                if res.worst_pnl is not None
                else None,
            }
            rep.tables["mc_timing"].append(row)
            chk.expect(bool(np.isfinite(res.pnl).all()), f"{key}: non-finite P&L")
            chk.numbers[f"{key}_s"] = round(min(times), 4)
            if peak is not None:
                chk.numbers[f"{key}_peak_gpu_mb"] = round(peak, 1)
        cpu = best.get("numpy/cpu/float64")
        for key, sec in best.items():
            if key.startswith("torch") and cpu:
                chk.numbers[f"speedup_{key}_vs_numba_f64"] = round(cpu / sec, 2)

    rep.run("montecarlo", f"mc.timing.{kind}.{n_assets}x{horizon}", check)


# --------------------------------------------------------------------------- forecasting


def find_data(arg: str | None) -> Path | None:
    if arg:
        return Path(arg)
    return next((p for p in DATA_CANDIDATES if p.is_file()), None)


def fc_data(rep: Report, ctx: dict[str, Any]) -> None:
    def check(chk: Check) -> None:
        import pandas as pd

        from neural_trader.forecasting.baselines import naive, seasonal_naive

        path = find_data(rep.args.data)
        if path is None or not path.is_file():
            raise SkipCheckError(
                f"ETTh1.csv not found (looked in {[str(p) for p in DATA_CANDIDATES]})"
            )
        frame = pd.read_csv(path)
        used = ETT_TRAIN + ETT_VAL + ETT_TEST
        raw = frame.loc[: used - 1, list(ETT_COLUMNS)].to_numpy(dtype=np.float64)
        mean, std = raw[:ETT_TRAIN].mean(axis=0), raw[:ETT_TRAIN].std(axis=0)
        scaled = (raw - mean) / std
        ctx["ett"] = [np.ascontiguousarray(scaled[:, j]) for j in range(scaled.shape[1])]
        chk.numbers.update(path=str(path), rows=used, series=len(ctx["ett"]))
        # Baselines on the windows every model is scored on (targets are the same origins
        # whatever the input size; the smallest input is enough for a 24 h season).
        s = rep.sizes
        inp = min(m["input"] for m in s["fc_models"].values())
        base = {}
        for split in ("val", "test"):
            x, _, y = fc_windows(ctx, inp, split, s).arrays()
            base[split] = {
                "seasonal_naive": float(np.mean(np.abs(seasonal_naive(x, HORIZON, SEASON) - y))),
                "naive": float(np.mean(np.abs(naive(x, HORIZON) - y))),
                "windows": len(y),
            }
            chk.numbers[f"{split}_seasonal_naive_mae"] = _f(base[split]["seasonal_naive"], 4)
            chk.numbers[f"{split}_naive_mae"] = _f(base[split]["naive"], 4)
        ctx["fc_baselines"] = base

    rep.run("forecasting", "fc.data_and_baselines", check)


def fc_windows(ctx: dict[str, Any], input_size: int, split: str, s: dict[str, Any]) -> Any:
    from neural_trader.forecasting import WindowSet

    bounds = {
        "train": (0, ETT_TRAIN, 1),
        "val": (ETT_TRAIN, ETT_TRAIN + ETT_VAL, s["fc_val_step"]),
        "test": (ETT_TRAIN + ETT_VAL, ETT_TRAIN + ETT_VAL + ETT_TEST, s["fc_test_step"]),
    }
    lo, hi, step = bounds[split]
    series = ctx["ett"]
    return WindowSet.from_ranges(
        series,
        None,
        input_size=input_size,
        horizon=HORIZON,
        ranges=[(lo, hi)] * len(series),
        step=step,
    )


def fc_sets(ctx: dict[str, Any], input_size: int, s: dict[str, Any]) -> dict[str, Any]:
    """Train / val / test windows of one input size, plus a fixed training subset."""
    from neural_trader.forecasting import WindowSet

    key = f"fc_sets_{input_size}"
    if key not in ctx:
        train = fc_windows(ctx, input_size, "train", s)
        pick = np.random.default_rng(3).choice(len(train), s["fc_loss_windows"], replace=False)
        subset = WindowSet(
            ctx["ett"],
            None,
            input_size=input_size,
            horizon=HORIZON,
            series_index=train.series_index[pick],
            origins=train.origins[pick],
        )
        ctx[key] = {
            "train": train,
            "val": fc_windows(ctx, input_size, "val", s),
            "test": fc_windows(ctx, input_size, "test", s),
            "train_subset": subset,
        }
    return dict(ctx[key])


def predict_point(model: Any, ws: Any, device: str) -> np.ndarray:
    from neural_trader.forecasting import Forecaster

    x, _, _ = ws.arrays()
    return np.asarray(Forecaster(model, device=device, batch_size=4096).predict(x).point)


def fc_train(
    rep: Report,
    ctx: dict[str, Any],
    kind: str,
    device: str,
    precision: str,
    tag: str,
    time_limit: float | None = None,
) -> dict[str, Any]:
    """Train one model with the project's Trainer; the numbers every training check reports."""
    import torch

    from neural_trader.forecasting import TrainConfig, Trainer, build_model, make_config

    s = rep.sizes
    spec = s["fc_models"][kind]
    sets = fc_sets(ctx, spec["input"], s)
    config = make_config(kind, input_size=spec["input"], horizon=HORIZON, **spec["params"])
    model = build_model(config, seed=0).to(device)
    probe = Trainer(TrainConfig(device=device, progress=False))
    subset = sets["train_subset"]
    y_sub = subset.arrays()[2]
    # Training progress in data units (standardised), on a fixed sample of training windows:
    # the scaled training loss can be dominated by a near-constant window's tiny scale.
    mae_before = float(np.mean(np.abs(predict_point(model, subset, device) - y_sub)))
    loss_before = probe.evaluate_loss(model, subset, device=torch.device(device))
    stamps: list[float] = []
    tc = TrainConfig(
        max_steps=s["fc_steps"],
        batch_size=spec["batch"],
        val_check_steps=s["fc_val_check"],
        patience=0,
        precision=precision,  # type: ignore[arg-type]
        device=device,
        seed=0,
        progress=False,
        time_limit=time_limit,
    )
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    result = Trainer(tc, on_step=lambda step, total: stamps.append(time.perf_counter())).fit(
        model, sets["train"], sets["val"]
    )
    wall = time.perf_counter() - t0
    peak = torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else None
    loss_after = probe.evaluate_loss(model, subset, device=torch.device(device))
    mae_after = float(np.mean(np.abs(predict_point(model, subset, device) - y_sub)))
    gaps = np.diff(stamps) if len(stamps) > 2 else np.array([wall / max(result.steps, 1)])
    step_s = float(np.median(gaps))
    val = predict_point(model, sets["val"], device)
    test = predict_point(model, sets["test"], device)
    y_val = sets["val"].arrays()[2]
    y_test = sets["test"].arrays()[2]
    hist = [h["train_loss"] for h in result.history]
    out = {
        "model": model,
        "result": result,
        "kind": kind,
        "tag": tag,
        "device": result.device,
        "precision": precision,
        "steps": result.steps,
        "batch": spec["batch"],
        "input": spec["input"],
        "params": result.n_parameters,
        "seconds": round(wall, 3),
        "step_ms_median": round(step_s * 1e3, 3),
        "windows_per_s": round(spec["batch"] / step_s, 1),
        "train_mae_before": mae_before,
        "train_mae_after": mae_after,
        "scaled_loss_before": loss_before,
        "scaled_loss_after": loss_after,
        "history_train_loss": [round(h, 6) for h in hist],
        "history_val_loss": [round(h.get("val_loss", math.nan), 6) for h in result.history],
        "best_step": result.best_step,
        "best_val_loss": result.best_val_loss,
        "val_mae": float(np.mean(np.abs(val - y_val))),
        "test_mae": float(np.mean(np.abs(test - y_test))),
        "peak_gpu_mb": None if peak is None else round(peak, 1),
    }
    if result.device.startswith("cuda"):
        extra = " + GradScaler" if precision == "fp16" else ""
        rep.reach(
            f"forecasting.training.Trainer on {result.device}: {kind}, precision {precision}{extra}"
        )
        rep.reach(f"forecasting.predictor.Forecaster on {result.device}: {kind}")
    return out


def fc_report_train(rep: Report, ctx: dict[str, Any], chk: Check, run: dict[str, Any]) -> None:
    keys = (
        "device",
        "precision",
        "steps",
        "batch",
        "input",
        "params",
        "seconds",
        "step_ms_median",
        "windows_per_s",
        "train_mae_before",
        "train_mae_after",
        "scaled_loss_before",
        "scaled_loss_after",
        "val_mae",
        "test_mae",
        "best_step",
        "best_val_loss",
        "peak_gpu_mb",
        "history_train_loss",
        "history_val_loss",
    )
    for k in keys:
        v = run[k]
        chk.numbers[k] = _f(v, 6) if isinstance(v, float) else v
    base = ctx.get("fc_baselines", {})
    if base:
        chk.numbers["val_seasonal_naive_mae"] = _f(base["val"]["seasonal_naive"], 4)
        chk.numbers["test_seasonal_naive_mae"] = _f(base["test"]["seasonal_naive"], 4)
        if run["test_mae"] > base["test"]["seasonal_naive"]:
            chk.note(
                f"test MAE {run['test_mae']:.4f} is above the seasonal naive's "
                f"{base['test']['seasonal_naive']:.4f} ({run['steps']} steps is a short run)"
            )
    finite = ("scaled_loss_after", "train_mae_after", "val_mae", "test_mae")
    chk.expect(all(math.isfinite(float(run[k])) for k in finite), "non-finite loss or MAE")
    before, after = run["train_mae_before"], run["train_mae_after"]
    chk.expect(after < before, f"training MAE did not decrease: {before:.4f} -> {after:.4f}")
    rep.tables["forecasting"].append(
        {k: (_f(run[k], 5) if isinstance(run[k], float) else run[k]) for k in TABLE_KEYS}
    )


TABLE_KEYS = (
    "kind",
    "tag",
    "device",
    "precision",
    "steps",
    "batch",
    "input",
    "seconds",
    "windows_per_s",
    "train_mae_before",
    "train_mae_after",
    "val_mae",
    "test_mae",
    "peak_gpu_mb",
)


def fc_model_checks(rep: Report, ctx: dict[str, Any], kind: str) -> None:
    dev = ctx["device"]
    runs: dict[str, dict[str, Any]] = {}
    need_data = "ett" not in ctx

    def train_main(chk: Check) -> None:
        if need_data:
            raise SkipCheckError("no ETTh1 data (fc.data_and_baselines failed or skipped)")
        runs["a"] = fc_train(rep, ctx, kind, dev, "32", "fp32")
        fc_report_train(rep, ctx, chk, runs["a"])

    rep.run("forecasting", f"fc.{kind}.train_{dev}_fp32", train_main)

    def determinism(chk: Check) -> None:
        import torch

        if "a" not in runs:
            raise SkipCheckError("the first training run failed")
        b = fc_train(rep, ctx, kind, dev, "32", "fp32 rerun")
        rep.tables["forecasting"].append(
            {k: (_f(b[k], 5) if isinstance(b[k], float) else b[k]) for k in TABLE_KEYS}
        )
        chk.numbers["rerun_windows_per_s"] = b["windows_per_s"]
        a = runs["a"]
        ha, hb = a["history_train_loss"], b["history_train_loss"]
        diffs = [abs(x - y) for x, y in zip(ha, hb, strict=False)]
        pa = a["model"].state_dict()
        pb = b["model"].state_dict()
        wdiff = max(float((pa[k].float() - pb[k].float()).abs().max()) for k in pa)
        same = wdiff == 0.0 and diffs and max(diffs) == 0.0
        chk.numbers.update(
            bitwise_identical=bool(same),
            max_train_loss_diff=max(diffs) if diffs else None,
            val_mae=[_f(a["val_mae"]), _f(b["val_mae"])],
            val_mae_rel_diff=_f(abs(a["val_mae"] - b["val_mae"]) / a["val_mae"], 8),
            max_weight_diff=wdiff,
            cudnn_deterministic=bool(torch.backends.cudnn.deterministic),
        )
        rel = abs(a["val_mae"] - b["val_mae"]) / a["val_mae"]
        if not same:
            chk.note(
                "the same seed did not give bitwise-identical training on "
                f"{dev} (non-deterministic kernels, e.g. cuDNN RNN or atomic adds in backward); "
                "reported, not failed"
            )
        # The seed must still control the run: a large gap would mean it does not (cuDNN's
        # LSTM kernels are allowed to drift: reported only).
        if kind == "lstm":
            if rel >= 0.05:
                chk.note(f"the same seed gave validation MAEs {rel:.1%} apart (LSTM: reported)")
        else:
            chk.expect(rel < 0.05, f"the same seed gave validation MAEs {rel:.1%} apart")

    rep.run("forecasting", f"fc.{kind}.determinism_{dev}", determinism)

    if dev.startswith("cuda"):
        precisions = [("fp16", "fp16")] + ([("bf16", "bf16")] if kind == "nhits" else [])
    else:
        precisions = [("bf16", "bf16")] if kind == "nhits" else []
    for precision, tag in precisions:

        def mixed(chk: Check, precision: str = precision, tag: str = tag) -> None:
            if need_data:
                raise SkipCheckError("no ETTh1 data")
            run = fc_train(rep, ctx, kind, dev, precision, tag)
            fc_report_train(rep, ctx, chk, run)
            if "a" in runs:
                ratio = run["val_mae"] / runs["a"]["val_mae"]
                chk.numbers["val_mae_vs_fp32"] = _f(ratio, 4)
                chk.expect(ratio < 1.25, f"{tag} validation MAE {ratio:.2f}x the fp32 run's")
                chk.numbers["speedup_vs_fp32"] = _f(
                    run["windows_per_s"] / runs["a"]["windows_per_s"], 3
                )

        rep.run("forecasting", f"fc.{kind}.train_{dev}_{tag}", mixed)

    def cpu_baseline(chk: Check) -> None:
        if need_data:
            raise SkipCheckError("no ETTh1 data")
        run = fc_train(
            rep, ctx, kind, "cpu", "32", "cpu fp32", time_limit=rep.sizes["fc_cpu_time_limit"]
        )
        runs["cpu"] = run
        fc_report_train(rep, ctx, chk, run)
        if "a" in runs:
            a = runs["a"]
            chk.numbers["device_val_mae"] = _f(a["val_mae"], 6)
            chk.numbers["device_test_mae"] = _f(a["test_mae"], 6)
            chk.numbers["device_windows_per_s"] = a["windows_per_s"]
            chk.numbers["speedup_device_vs_cpu"] = _f(a["windows_per_s"] / run["windows_per_s"], 2)
            if run["steps"] < a["steps"]:
                chk.note(
                    f"the CPU run stopped at {run['steps']} of {a['steps']} steps (time limit "
                    f"{rep.sizes['fc_cpu_time_limit']:.0f} s): its MAE is not comparable"
                )
            elif a["history_train_loss"] and run["history_train_loss"]:
                # Same seed, same batches: with no dropout (NHITS) the curves should track.
                chk.numbers["first_check_train_loss_device_vs_cpu"] = [
                    a["history_train_loss"][0],
                    run["history_train_loss"][0],
                ]

    rep.run("forecasting", f"fc.{kind}.cpu_baseline_fp32", cpu_baseline)

    def inference(chk: Check) -> None:
        if "a" not in runs:
            raise SkipCheckError("no trained model")
        s = rep.sizes
        model = runs["a"]["model"]
        sets = fc_sets(ctx, s["fc_models"][kind]["input"], s)
        on_dev = predict_point(model, sets["test"], dev)
        cpu_model = copy.deepcopy(model).to("cpu")
        on_cpu = predict_point(cpu_model, sets["test"], "cpu")
        diff = float(np.max(np.abs(on_dev - on_cpu)))
        chk.numbers.update(
            windows=int(on_dev.shape[0]),
            max_abs_diff=diff,
            mean_abs_diff=float(np.mean(np.abs(on_dev - on_cpu))),
            scale="standardised units (series std = 1)",
        )
        if diff < 1e-4 or not dev.startswith("cuda"):
            chk.expect(diff < 1e-4, f"{dev} and CPU forecasts differ by up to {diff:.3g}")
        else:
            # cuDNN runs float32 RNNs and convolutions on tensor cores (TF32) by default: the
            # float32 contract holds only with TF32 off, which is what is checked; the drift
            # with it on is reported.
            import torch

            saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
            try:
                torch.backends.cuda.matmul.allow_tf32 = False
                torch.backends.cudnn.allow_tf32 = False
                strict = predict_point(model, sets["test"], dev)
            finally:
                torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved
            strict_diff = float(np.max(np.abs(strict - on_cpu)))
            chk.numbers["max_abs_diff_tf32_off"] = strict_diff
            chk.note(f"with cuDNN TF32 on (the default) forecasts drift by up to {diff:.3g}")
            chk.expect(
                strict_diff < 1e-4,
                f"{dev} and CPU forecasts differ by up to {strict_diff:.3g} even with TF32 off",
            )

    rep.run("forecasting", f"fc.{kind}.inference_{dev}_vs_cpu", inference)

    def latency(chk: Check) -> None:
        import torch

        from neural_trader.forecasting import Forecaster

        if "a" not in runs:
            raise SkipCheckError("no trained model")
        s = rep.sizes
        sets = fc_sets(ctx, s["fc_models"][kind]["input"], s)
        x = sets["test"].arrays()[0]
        rows = np.resize(np.arange(len(x)), 500)
        windows = x[rows]
        for device in dict.fromkeys([dev, "cpu"]):
            fc = Forecaster(copy.deepcopy(runs["a"]["model"]), device=device)
            for _ in range(3):
                fc.predict(windows)
            times = []
            n = s["fc_latency_runs"] if device != "cpu" else max(3, s["fc_latency_runs"] // 4)
            for _ in range(n):
                if device.startswith("cuda"):
                    torch.cuda.synchronize()
                t0 = time.perf_counter()
                fc.predict(windows)
                if device.startswith("cuda"):
                    torch.cuda.synchronize()
                times.append(time.perf_counter() - t0)
            chk.numbers[f"{device}_ms_median"] = round(statistics.median(times) * 1e3, 3)
            chk.numbers[f"{device}_ms_min"] = round(min(times) * 1e3, 3)
        chk.numbers["series"] = 500

    rep.run("forecasting", f"fc.{kind}.latency_500_series", latency)


def fc_cross_validation(rep: Report, ctx: dict[str, Any]) -> None:
    """Rolling-origin CV refitting per fold (``trainer_fit``) with a device TrainConfig."""

    def check(chk: Check) -> None:
        from neural_trader.forecasting import TrainConfig, make_config, rolling_origin_cv
        from neural_trader.forecasting.evaluation import trainer_fit

        if "ett" not in ctx:
            raise SkipCheckError("no ETTh1 data")
        dev = ctx["device"]
        ot = ctx["ett"][-1][: ETT_TRAIN + ETT_VAL]
        config = make_config("nhits", input_size=168, horizon=24, mlp_units=256)
        steps = max(10, rep.sizes["fc_steps"] // 10)
        tc = TrainConfig(max_steps=steps, batch_size=64, device=dev, progress=False)
        cv = rolling_origin_cv(
            [ot],
            input_size=168,
            horizon=24,
            n_folds=2,
            step=24 * 7,
            season_length=SEASON,
            fit=trainer_fit(config, tc),
        )
        table = cv.overall.table()
        model_mae = table["model"]["mae"]
        chk.numbers.update(
            device=dev,
            steps_per_fold=steps,
            folds=len(cv.folds),
            windows=cv.overall.n_windows,
            model_mae=_f(model_mae, 5),
            seasonal_naive_mae=_f(table["seasonal_naive"]["mae"], 5),
        )
        chk.expect(math.isfinite(model_mae), "non-finite cross-validated MAE")
        if dev.startswith("cuda"):
            rep.reach(f"forecasting.evaluation.trainer_fit + rolling_origin_cv on {dev}")

    rep.run("forecasting", "fc.rolling_origin_cv_trainer_fit", check)


# --------------------------------------------------------------------------- services


def services(rep: Report, ctx: dict[str, Any]) -> None:
    home = Path(tempfile.mkdtemp(prefix="nt-gpu-check-"))
    os.environ["NT_HOME"] = str(home)  # nothing may write into the real ~/.neural-trader
    catalog = home / "catalog"
    registry = home / "models"
    expect_gpu = ctx["device"].startswith("cuda")
    s = rep.sizes

    def setup(chk: Check) -> None:
        import gzip
        from importlib import resources

        from neural_trader.services.data import import_file

        for name, file in (("SPX", "sp500.csv.gz"), ("IXIC", "nasdaq.csv.gz")):
            blob = resources.files("neural_trader.data").joinpath("samples", file).read_bytes()
            path = home / f"{name}.csv"
            path.write_bytes(gzip.decompress(blob))
            try:
                out = import_file(path, name, spec="1d", catalog=catalog)
                chk.numbers[f"{name}_rows"] = out.rows_written
            except Exception as exc:
                # Keep the GPU services reachable: store the sample as the demo does.
                from neural_trader.data.catalog import Catalog
                from neural_trader.data.providers.sample import load_sample

                chk.expect(False, f"import service failed on {name}: {exc!r}")
                chk.error = traceback.format_exc()
                Catalog(catalog).write_bars(name, "1d", load_sample(name), mode="overwrite")
                chk.note(f"{name} stored with Catalog.write_bars instead (as the demo does)")
        ctx["svc_ready"] = True
        chk.numbers["nt_home"] = str(home)

    rep.run("services", "svc.import_sample_into_catalog", setup)

    for model in KINDS:

        def sim(chk: Check, model: str = model) -> None:
            from neural_trader.services.simulation import simulate_portfolio

            if not ctx.get("svc_ready"):
                raise SkipCheckError("no catalog")
            common: dict[str, Any] = {
                "positions": "SPX:100,IXIC:50",
                "paths": s["svc_paths"],
                "horizon": s["svc_horizon"],
                "model": model,
                "catalog": catalog,
            }
            gpu = simulate_portfolio(use_gpu=True, **common)
            cpu = simulate_portfolio(use_gpu=False, **common)
            chk.numbers.update(
                backend=gpu.backend,
                device=gpu.device,
                gpu_used=gpu.gpu_used,
                var=[_f(gpu.var, 2), _f(cpu.var, 2)],
                cvar=[_f(gpu.cvar, 2), _f(cpu.cvar, 2)],
                expected_pnl=[_f(gpu.expected_pnl, 2), _f(cpu.expected_pnl, 2)],
                notes=gpu.notes,
            )
            chk.expect(gpu.gpu_used == expect_gpu, f"gpu_used={gpu.gpu_used} on {gpu.device}")
            rel = abs(gpu.var - cpu.var) / cpu.var
            chk.numbers["var_rel_diff"] = _f(rel, 5)
            chk.expect(rel < 0.05, f"use_gpu VaR {gpu.var:.2f} vs CPU {cpu.var:.2f}")
            se = math.hypot(gpu.pnl_std, cpu.pnl_std) / math.sqrt(s["svc_paths"])
            z = (gpu.expected_pnl - cpu.expected_pnl) / se
            chk.numbers["expected_pnl_z"] = _f(z, 2)
            chk.expect(abs(z) < 4.0, f"expected P&L differs by {z:.1f} standard errors")
            if gpu.gpu_used:
                rep.reach(
                    f"services.simulation.simulate_portfolio(use_gpu=True) -> torch on "
                    f"{gpu.device}: {model}"
                )

        rep.run("services", f"svc.simulate_portfolio.{model}", sim)

    def risk(chk: Check) -> None:
        from neural_trader.services.portfolio_views import portfolio_risk

        if not ctx.get("svc_ready"):
            raise SkipCheckError("no catalog")
        items = [{"symbol": "SPX", "quantity": 100}, {"symbol": "IXIC", "quantity": 50}]
        gpu = portfolio_risk(items, use_gpu=True, paths=s["svc_paths"], catalog=catalog)
        cpu = portfolio_risk(items, use_gpu=False, paths=s["svc_paths"], catalog=catalog)
        chk.numbers.update(
            device=gpu.device,
            gpu_used=gpu.gpu_used,
            var=[_f(gpu.var.var, 2), _f(cpu.var.var, 2)],
            backend=gpu.var.details.get("backend"),
            notes=gpu.notes,
        )
        chk.expect(gpu.gpu_used == expect_gpu, f"gpu_used={gpu.gpu_used} on {gpu.device}")
        rel = abs(gpu.var.var - cpu.var.var) / cpu.var.var
        chk.numbers["var_rel_diff"] = _f(rel, 5)
        chk.expect(rel < 0.05, f"use_gpu VaR {gpu.var.var:.2f} vs CPU {cpu.var.var:.2f}")
        if gpu.gpu_used:
            rep.reach(f"services.portfolio_views.portfolio_risk(use_gpu=True) on {gpu.device}")

    rep.run("services", "svc.portfolio_risk", risk)

    def train(chk: Check) -> None:
        import pandas as pd

        from neural_trader.services.neural import train_epochs

        if not ctx.get("svc_ready"):
            raise SkipCheckError("no catalog")
        frame = pd.read_csv(home / "SPX.csv")
        series = home / "spx_close.csv"
        frame[["Date", "Close"]].rename(columns={"Date": "date", "Close": "close"}).to_csv(
            series, index=False
        )
        out = train_epochs(
            data_path=series,
            model_type="nhits",
            epochs=s["svc_epochs"],
            batch_size=64,
            use_gpu=True,
            registry=registry,
        )
        table = out.test or out.validation
        metrics = {} if table is None else table.metrics
        chk.numbers.update(
            model_id=out.model_id,
            device=out.device,
            steps=out.steps,
            seconds=out.seconds,
            test_mae=(metrics.get("model") or {}).get("mae"),
            test_naive_mae=(metrics.get("naive") or {}).get("mae"),
        )
        chk.expect(out.device.startswith("cuda") == expect_gpu, f"trained on {out.device}")
        ctx["svc_model"] = (out.model_id, frame["Close"].to_numpy(dtype=np.float64))
        if out.device.startswith("cuda"):
            rep.reach(f"services.neural.train_epochs(use_gpu=True) -> Trainer on {out.device}")

    rep.run("services", "svc.train_epochs_use_gpu", train)

    def predict(chk: Check) -> None:
        from neural_trader.services.neural import predict_values

        if "svc_model" not in ctx:
            raise SkipCheckError("no model trained by svc.train_epochs_use_gpu")
        model_id, closes = ctx["svc_model"]
        values = closes[-200:].tolist()
        on_dev = predict_values(model_id, values, device=ctx["device"], registry=registry)
        on_cpu = predict_values(model_id, values, device="cpu", registry=registry)
        a, b = np.array(on_dev.predictions), np.array(on_cpu.predictions)
        rel = float(np.max(np.abs(a - b) / np.abs(b)))
        chk.numbers.update(
            predictions=[round(x, 3) for x in on_dev.predictions],
            max_rel_diff=rel,
            interval_method=on_dev.interval_method,
        )
        chk.expect(rel < 1e-5, f"{ctx['device']} vs CPU predictions differ (rel {rel:.3g})")
        if ctx["device"].startswith("cuda"):
            rep.reach(f"services.neural.predict_values(device='{ctx['device']}') from the registry")

    rep.run("services", "svc.predict_values_device_vs_cpu", predict)
    rep.not_reached += [
        "services.neural.optimize_model / forecasting.tuning with use_gpu (needs optuna, "
        "not on the GPU image)",
        "fronts.mcp tools (the MCP wrappers; they call the services above)",
    ]


# --------------------------------------------------------------------------- summary


def summary(rep: Report) -> dict[str, Any]:
    counts = {k: sum(c.status == k for c in rep.checks) for k in ("pass", "fail", "skip")}
    log("")
    log("=" * 100)
    log(
        f"GPU CHECK SUMMARY ({rep.elapsed():.0f} s, device {rep.args.device}, "
        f"{'quick' if rep.args.quick else 'full'} sizes): {counts['pass']} passed, "
        f"{counts['fail']} failed, {counts['skip']} skipped"
    )
    gpu = rep.env.get("gpu")
    if gpu:
        log(f"GPU: {gpu['name']} ({gpu['memory_gib']} GiB), torch {rep.env['versions']['torch']}")
    if rep.tables["mc_timing"]:
        log("")
        log("Monte Carlo timings (path_stats=True, best of the timed runs after a warm-up):")
        log(
            f"  {'paths x days x assets':<22} {'model':<9} {'backend/device':<16} {'dtype':<8} "
            f"{'s':>8} {'Mpaths/s':>9} {'peak MB':>8} {'VaR99':>12}"
        )
        for r in rep.tables["mc_timing"]:
            peak = "" if r["peak_gpu_mb"] is None else f"{r['peak_gpu_mb']:.0f}"
            log(
                f"  {r['case']:<22} {r['model']:<9} {r['backend'] + '/' + r['device']:<16} "
                f"{r['dtype']:<8} {r['seconds_best']:>8.3f} {r['paths_per_s'] / 1e6:>9.2f} "
                f"{peak:>8} {r['var99']:>12,.0f}"
            )
    if rep.tables["forecasting"]:
        log("")
        log("Forecasting on ETTh1 (horizon 96, standardised units):")
        log(
            f"  {'model':<12} {'run':<11} {'device':<7} {'steps':>5} {'win/s':>9} "
            f"{'train MAE 0->T':>15} {'val MAE':>8} {'test MAE':>8} {'peak MB':>8}"
        )
        for r in rep.tables["forecasting"]:
            peak = "" if r["peak_gpu_mb"] is None else f"{r['peak_gpu_mb']:.0f}"
            loss = f"{r['train_mae_before']:.3f}->{r['train_mae_after']:.3f}"
            log(
                f"  {r['kind']:<12} {r['tag']:<11} {r['device']:<7} {r['steps']:>5} "
                f"{r['windows_per_s']:>9.0f} {loss:>15} {r['val_mae']:>8.4f} "
                f"{r['test_mae']:>8.4f} {peak:>8}"
            )
    log("")
    log("Code paths reached on the GPU:" if rep.reached else "Code paths reached on the GPU: none")
    for p in rep.reached:
        log(f"  + {p}")
    for p in rep.not_reached:
        log(f"  - not reached: {p}")
    failed = [c for c in rep.checks if c.status == "fail"]
    log("")
    if failed:
        log(f"FAILED CHECKS ({len(failed)}):")
        for c in failed:
            log(f"  x {c.name}: {'; '.join(c.problems)[:300]}")
    else:
        log("FAILED CHECKS: none")
    skipped = [c for c in rep.checks if c.status == "skip"]
    for c in skipped:
        log(f"  (skipped {c.name}: {'; '.join(c.notes)[:200]})")
    return {
        **counts,
        "failed": [c.name for c in failed],
        "skipped": [c.name for c in skipped],
        "seconds": round(rep.elapsed(), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    parser.add_argument("--quick", action="store_true", help="small sizes (a CPU smoke run)")
    parser.add_argument("--out", default=os.environ.get("OUT", "."), help="output folder")
    parser.add_argument("--data", default=None, help="ETTh1.csv (default: .gpudata/ or shared/)")
    parser.add_argument("--budget-s", type=float, default=240.0, help="soft deadline (s)")
    parser.add_argument(
        "--sections", default="mc,fc,svc", help="comma-separated subset of mc, fc, svc"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    rep = Report(args, sizes)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    sections = {x.strip() for x in args.sections.split(",") if x.strip()}
    ctx: dict[str, Any] = {"device": args.device}
    log(
        f"gpu_check: device {args.device}, {'quick' if args.quick else 'full'} sizes, out {out_dir}"
    )

    environment(rep, ctx)
    if "mc" in sections:
        mc_models(rep, ctx)
        for kind in KINDS:
            for dtype in ("float32", "float64"):
                mc_determinism(rep, ctx, kind, dtype)
        mc_agreement(rep, ctx, "gbm", terminal=True)
        for kind in KINDS:
            mc_agreement(rep, ctx, kind)
    # Cheap and essential first (services: the use_gpu paths), so that a slow machine that
    # runs out of --budget-s loses the last forecasting checks rather than these.
    if "svc" in sections:
        services(rep, ctx)
    if "mc" in sections:
        for n_assets, horizon in ((1, 252), (10, 10)):
            for kind in KINDS:
                mc_timing(rep, ctx, n_assets, horizon, kind)
    if "fc" in sections:
        fc_data(rep, ctx)
        fc_model_checks(rep, ctx, "nhits")
        fc_cross_validation(rep, ctx)
        for kind in ("transformer", "lstm"):
            fc_model_checks(rep, ctx, kind)

    totals = summary(rep)
    doc = {
        "summary": totals,
        "environment": rep.env,
        "device_used": ctx["device"],
        "code_paths_reached": rep.reached,
        "code_paths_not_reached": rep.not_reached,
        "tables": rep.tables,
        "checks": [
            {
                "section": c.section,
                "name": c.name,
                "status": c.status,
                "seconds": c.seconds,
                "numbers": c.numbers,
                "problems": c.problems,
                "notes": c.notes,
                "error": c.error,
            }
            for c in rep.checks
        ],
    }
    path = out_dir / "gpu_check.json"
    path.write_text(json.dumps(_clean(doc), indent=1))
    log(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
