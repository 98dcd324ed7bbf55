"""Our training loop: seeded, early-stopped, clipped, optionally mixed precision, interruptible.

Why not Lightning: the loop is a hundred lines, and owning it keeps every behaviour we promise
testable here: a seed fixes the result (model initialisation, window sampling and dropout all
draw from it), the best validation weights are restored whatever ends the run (patience,
``max_steps`` or Ctrl-C), and no hidden callback writes checkpoints or logs into the working
directory.

Steps, not epochs (as in neuralforecast): each step samples ``batch_size`` windows uniformly,
with replacement, from every window of every series in the training set, so a step costs the
same with one series or a thousand and ``max_steps`` bounds the run time. The loss is computed
in each window's scaled units (see :mod:`neural_trader.forecasting.models.base`).
"""

from __future__ import annotations

import contextlib
import math
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from neural_trader.core.cancel import CancelledByCaller
from neural_trader.core.errors import InvalidArgumentError, NeuralTraderError
from neural_trader.forecasting._deps import require
from neural_trader.forecasting.configs import TrainConfig
from neural_trader.forecasting.datasets import WindowSet

require("torch", "forecast training")

import torch  # noqa: E402

from neural_trader.forecasting.losses import LossFn, get_loss  # noqa: E402
from neural_trader.forecasting.models.base import ForecastModel  # noqa: E402

__all__ = ["TrainResult", "Trainer", "TrainingDivergedError", "resolve_device"]


class TrainingDivergedError(NeuralTraderError):
    """The loss became NaN or infinite; the weights are not worth keeping."""


def resolve_device(device: str = "auto") -> torch.device:
    """``auto`` = CUDA when present, else CPU; ``cuda`` without a GPU is an error."""
    name = device.lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InvalidArgumentError("device 'cuda' asked for, but no CUDA GPU is available")
    if not (name == "cpu" or name.startswith("cuda")):
        raise InvalidArgumentError(f"device must be auto, cpu or cuda[:N], got {device!r}")
    return torch.device(name)


@dataclass
class TrainResult:
    """What a run did. ``history``: one record per validation check."""

    steps: int
    best_step: int | None
    best_val_loss: float | None
    last_train_loss: float | None
    stopped_early: bool
    interrupted: bool
    seconds: float
    device: str
    precision: str
    n_parameters: int
    history: list[dict[str, float]] = field(default_factory=list)
    timed_out: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Trainer:
    """Fits a :class:`ForecastModel` on a :class:`WindowSet` (see the module doc).

    ``on_step(step, max_steps)`` is called after every step. It lives here rather than in
    :class:`TrainConfig` because the config is saved with the model and must stay plain data.
    It is also the run's cancel point: a :class:`~neural_trader.core.cancel.CancelledByCaller`
    raised from it propagates out of :meth:`fit` (the caller wants nothing back), whereas any
    other ``KeyboardInterrupt`` (Ctrl-C) ends the run cleanly with the best weights kept.
    """

    def __init__(
        self,
        config: TrainConfig | None = None,
        *,
        on_step: Callable[[int, int], None] | None = None,
    ) -> None:
        self.config = config or TrainConfig()
        self.on_step = on_step

    def fit(
        self, model: ForecastModel, train: WindowSet, val: WindowSet | None = None
    ) -> TrainResult:
        cfg = self.config
        if len(train) == 0:
            raise InvalidArgumentError("no training windows: the series is too short")
        for name, ws in (("training", train), ("validation", val)):
            if ws is None:
                continue
            if (ws.input_size, ws.horizon) != (model.input_size, model.horizon):
                raise InvalidArgumentError(
                    f"{name} windows are {ws.input_size} -> {ws.horizon}, the model "
                    f"{model.input_size} -> {model.horizon}"
                )
            if ws.n_exog != model.n_exog:
                raise InvalidArgumentError(
                    f"{name} windows carry {ws.n_exog} exogenous features, the model {model.n_exog}"
                )
        device = resolve_device(cfg.device)
        if cfg.precision == "fp16" and device.type != "cuda":
            raise InvalidArgumentError(
                "fp16 training needs a CUDA GPU (it needs loss scaling); use bf16 on CPU"
            )
        previous_threads = torch.get_num_threads()
        if cfg.threads is not None:
            torch.set_num_threads(cfg.threads)
        rng_devices = [device.index or 0] if device.type == "cuda" else []
        try:
            with torch.random.fork_rng(devices=rng_devices):
                torch.manual_seed(cfg.seed)
                return self._fit(model, train, val, device)
        finally:
            if cfg.threads is not None:
                torch.set_num_threads(previous_threads)

    def _fit(
        self,
        model: ForecastModel,
        train: WindowSet,
        val: WindowSet | None,
        device: torch.device,
    ) -> TrainResult:
        cfg = self.config
        t0 = time.perf_counter()
        model.to(device)
        loss_fn = get_loss(model.config.loss, model.config.quantiles)
        optim = torch.optim.Adam(
            model.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay
        )
        sched = None
        if cfg.lr_decays:
            step_size = max(cfg.max_steps // cfg.lr_decays, 1)
            sched = torch.optim.lr_scheduler.StepLR(optim, step_size, gamma=cfg.lr_gamma)
        grad_scaler = torch.amp.GradScaler("cuda") if cfg.precision == "fp16" else None
        rng = np.random.default_rng(cfg.seed)

        best_val = math.inf
        best_state: dict[str, torch.Tensor] | None = None
        best_step: int | None = None
        bad_checks = 0
        history: list[dict[str, float]] = []
        running, count = 0.0, 0
        last_train: float | None = None
        stopped_early = interrupted = timed_out = False
        step = 0
        with _progress(cfg.progress, cfg.max_steps) as advance:
            try:
                for step in range(1, cfg.max_steps + 1):
                    model.train()
                    idx = rng.integers(0, len(train), size=cfg.batch_size)
                    batch = train.batch(idx)
                    y_in = torch.from_numpy(batch.y_in).to(device)
                    y_out = torch.from_numpy(batch.y_out).to(device)
                    ex = None if batch.exog is None else torch.from_numpy(batch.exog).to(device)
                    optim.zero_grad(set_to_none=True)
                    with self._autocast(device):
                        pred, loc, scale = model.forward_scaled(y_in, ex)
                    loss = loss_fn(pred.float(), (y_out - loc) / scale)
                    value = float(loss.detach())
                    if not math.isfinite(value):
                        raise TrainingDivergedError(
                            f"the training loss became {value} at step {step}",
                            hint="lower the learning rate or check the data for extreme values",
                        )
                    if grad_scaler is not None:
                        grad_scaler.scale(loss).backward()  # type: ignore[no-untyped-call]
                        grad_scaler.unscale_(optim)
                    else:
                        loss.backward()  # type: ignore[no-untyped-call]
                    if cfg.grad_clip is not None:
                        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
                    if grad_scaler is not None:
                        grad_scaler.step(optim)
                        grad_scaler.update()
                    else:
                        optim.step()
                    if sched is not None:
                        sched.step()
                    running += value
                    count += 1
                    advance(value)
                    if self.on_step is not None:
                        self.on_step(step, cfg.max_steps)
                    out_of_time = (
                        cfg.time_limit is not None and time.perf_counter() - t0 >= cfg.time_limit
                    )
                    if step % cfg.val_check_steps and step != cfg.max_steps and not out_of_time:
                        continue
                    last_train = running / count
                    record = {
                        "step": float(step),
                        "train_loss": last_train,
                        "lr": float(optim.param_groups[0]["lr"]),
                    }
                    running, count = 0.0, 0
                    if val is not None and len(val):
                        v = self.evaluate_loss(model, val, loss_fn, device)
                        record["val_loss"] = v
                        if v < best_val - cfg.min_delta:
                            best_val, best_step, bad_checks = v, step, 0
                            best_state = {
                                k: t.detach().clone() for k, t in model.state_dict().items()
                            }
                        else:
                            bad_checks += 1
                    history.append(record)
                    if cfg.patience and bad_checks >= cfg.patience:
                        stopped_early = True
                        break
                    if out_of_time:
                        timed_out = True
                        break
            except CancelledByCaller:
                raise
            except KeyboardInterrupt:
                interrupted = True
        if best_state is not None:
            model.load_state_dict(best_state)
        model.eval()
        if last_train is None and count:
            last_train = running / count
        return TrainResult(
            steps=step,
            best_step=best_step,
            best_val_loss=None if best_state is None else best_val,
            last_train_loss=last_train,
            stopped_early=stopped_early,
            interrupted=interrupted,
            seconds=round(time.perf_counter() - t0, 3),
            device=str(device),
            precision=cfg.precision,
            n_parameters=model.n_parameters(),
            history=history,
            timed_out=timed_out,
        )

    def _autocast(self, device: torch.device) -> contextlib.AbstractContextManager[Any]:
        precision = self.config.precision
        if precision == "32":
            return contextlib.nullcontext()
        dtype = torch.bfloat16 if precision == "bf16" else torch.float16
        return torch.autocast(device_type=device.type, dtype=dtype)

    @torch.no_grad()
    def evaluate_loss(
        self,
        model: ForecastModel,
        windows: WindowSet,
        loss_fn: LossFn | None = None,
        device: torch.device | None = None,
    ) -> float:
        """The training loss averaged over every window of ``windows`` (eval mode)."""
        fn = loss_fn or get_loss(model.config.loss, model.config.quantiles)
        dev = device or next(model.parameters()).device
        model.eval()
        total, n = 0.0, 0
        size = self.config.eval_batch_size
        for start in range(0, len(windows), size):
            idx = np.arange(start, min(start + size, len(windows)))
            b = windows.batch(idx)
            y_in = torch.from_numpy(b.y_in).to(dev)
            ex = None if b.exog is None else torch.from_numpy(b.exog).to(dev)
            with self._autocast(dev):
                pred, loc, scale = model.forward_scaled(y_in, ex)
            target = (torch.from_numpy(b.y_out).to(dev) - loc) / scale
            total += float(fn(pred.float(), target)) * len(idx)
            n += len(idx)
        return total / max(n, 1)


@contextlib.contextmanager
def _progress(enabled: bool | None, total: int) -> Iterator[Any]:
    """A rich progress bar on stderr (when asked, or when stderr is a terminal)."""
    show = sys.stderr.isatty() if enabled is None else enabled
    if not show:
        yield lambda loss: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("training"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} loss {task.fields[loss]:.4f}"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("train", total=total, loss=float("nan"))

        def advance(loss: float) -> None:
            bar.update(task, advance=1, loss=loss)

        yield advance
