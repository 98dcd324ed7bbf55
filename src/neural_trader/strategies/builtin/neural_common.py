"""What the neural strategies share: walk-forward models, float64 batch forecasts, decisions.

``neural_trend``, ``neural_sentiment`` and ``neural_arbitrage`` trade a forecast of
:mod:`neural_trader.forecasting`. Either the user names a trained model (``-p model=ID``, an id
of ``neural-trader forecast list``), or the strategy trains one itself, walk-forward:

- **Folds.** The first ``train_bars`` bars are never traded. Fold 0 trades from bar
  ``train_bars`` on with a model trained on bars ``[0, train_bars)`` only; with
  ``retrain_every = R`` fold ``k`` starts at ``train_bars + k R`` with a model trained on every
  bar before that start (an expanding window). The schedule depends on bar indices only, so a
  truncated series has the same folds, trained on the same bars, up to its end.
- **Training** inside a fold's past: the last ``val_fraction`` of the training bars validate
  (early stopping, and split-conformal interval radii, 0016); the seed fixes initialisation,
  window sampling and dropout. Models train on the CPU so that one machine gives one answer.
- **Forecast at bar t**: the window of the ``input_size`` values ending *at* ``t`` (bar ``t``
  has closed), ``horizon`` steps ahead. Nothing after ``t`` is read and no model saw bar ``t``
  in training: the look-ahead check (``backtest --check-lookahead``) holds by construction.

Two paths, one answer (docs/decisions/0010). ``signals`` forecasts every window of a fold in a
few large forward passes; ``on_bar`` forecasts one window per bar, training each fold's model
when its first bar arrives from the bars it has seen. Trained models are cached per process,
keyed by a digest of the training data and settings, so a look-ahead check or both engines on
the same data train once. Both paths run the network in float64: float32 matrix products
differ in the last bits with the batch size (measured: about 1e-7 relative between one window
and a batch), enough to flip a threshold now and then; in float64 the gap is ~2e-16. Every
decision is a threshold comparison and every target size is one of a few constants (1 or
``trim_size``), so the two paths give the same targets bit for bit unless a forecast lands
within ~1e-15 of a threshold; the parity tests hold them to exact equality.

Importing this module does not import torch: a strategy listing stays fast, and only running a
neural strategy needs the ``forecast`` extra (``MissingDependencyError`` otherwise).
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import numpy.typing as npt

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.strategies.base import Strategy, StrategyData
from neural_trader.strategies.parameters import ChoiceParam, FloatParam, IntParam, TextParam

if TYPE_CHECKING:
    from neural_trader.forecasting.conformal import ConformalIntervals
    from neural_trader.forecasting.models.base import ForecastModel
    from neural_trader.forecasting.registry import ModelRecord

__all__ = [
    "BAR_COLUMNS",
    "DEFAULT_HORIZON",
    "DEFAULT_INPUT",
    "NeuralStrategy",
    "Predictor64",
    "TrainSpec",
    "clear_model_cache",
    "fold_start_of",
    "fold_starts",
    "horizon_move",
    "train_predictor",
]

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]

DEFAULT_INPUT = 60
DEFAULT_HORIZON = 5
BAR_COLUMNS = ("open", "high", "low", "close", "volume")
CALENDAR_PREFIX = "calendar:"
INFERENCE_CHUNK = 4096
"""Windows per forward pass: one pass for a few years of daily bars, bounded memory beyond."""
CACHE_SIZE = 16
"""Trained models kept per process (a small NHITS is ~1 MB in float32 plus its float64 twin)."""


# --------------------------------------------------------------------------- folds


def fold_starts(n_bars: int, first: int, every: int | None) -> list[int]:
    """First bar of each fold within ``n_bars`` bars: ``first``, then every ``every`` bars."""
    if first >= n_bars:
        return []
    if not every:
        return [first]
    return list(range(first, n_bars, every))


def fold_start_of(t: int, first: int, every: int | None) -> int:
    """The start of the fold bar ``t >= first`` belongs to."""
    if not every:
        return first
    return first + ((t - first) // every) * every


# --------------------------------------------------------------------------- inference


class Predictor64:
    """A trained model's float64 twin and what turns its outputs into intervals.

    ``forecast`` returns the point path and, when a ``level`` is asked for, the bounds of that
    central interval: the model's own quantiles (``loss="mq"``) or the conformal radii stored
    with it (point models). See the module doc for why inference runs in float64.
    """

    def __init__(
        self,
        model: ForecastModel,
        *,
        conformal: ConformalIntervals | None,
        features: Sequence[str],
        source: str,
    ) -> None:
        self.model = copy.deepcopy(model).cpu().double().eval()
        self.conformal = conformal
        self.quantile_levels = tuple(model.config.quantiles)
        self.input_size = int(model.input_size)
        self.horizon = int(model.horizon)
        self.n_exog = int(model.n_exog)
        self.features = tuple(features)
        self.source = source
        if len(self.features) != self.n_exog:
            raise InvalidArgumentError(
                f"{source}: {self.n_exog} exogenous input(s) but {len(self.features)} "
                "feature name(s) recorded"
            )

    @property
    def levels(self) -> tuple[float, ...]:
        """Central interval levels (percent) this model can give."""
        if self.quantile_levels:
            qs = self.quantile_levels
            return tuple(
                sorted(round((1.0 - 2.0 * q) * 100.0, 8) for q in qs if q < 0.5 and 1.0 - q in qs)
            )
        return () if self.conformal is None else tuple(self.conformal.levels)

    def forecast(
        self,
        windows: FloatArray,
        exog: Float32Array | None,
        level: float | None,
    ) -> tuple[FloatArray, FloatArray | None, FloatArray | None]:
        """``(point, lower, upper)``, each ``[n, horizon]``; bounds ``None`` without a level."""
        import torch

        from neural_trader.forecasting.predictor import build_forecast

        y = np.ascontiguousarray(windows, dtype=np.float64)
        outs: list[FloatArray] = []
        with torch.no_grad():
            for s in range(0, y.shape[0], INFERENCE_CHUNK):
                yt = torch.from_numpy(y[s : s + INFERENCE_CHUNK])
                xt = None
                if exog is not None:
                    xt = torch.from_numpy(np.ascontiguousarray(exog[s : s + INFERENCE_CHUNK]))
                outs.append(self.model(yt, xt).numpy())
        raw = (
            np.concatenate(outs, axis=0)
            if outs
            else np.empty((0, self.horizon, self.model.n_outputs))
        )
        fc = build_forecast(raw, self.quantile_levels, y, self.conformal)
        if level is None:
            return fc.point, None, None
        bounds = fc.intervals.get(float(level))
        if bounds is None:
            have = ", ".join(f"{v:g}%" for v in self.levels) or "none"
            raise InvalidArgumentError(
                f"{self.source} has no {level:g}% interval (it has: {have})",
                hint="set -p level= to one of those, or drop max_width",
            )
        return fc.point, bounds[0], bounds[1]


def horizon_move(
    point: FloatArray,
    lower: FloatArray | None,
    upper: FloatArray | None,
    last: FloatArray,
    stat: str,
) -> tuple[FloatArray, FloatArray]:
    """Expected move from the last value and the interval-width-to-move ratio, per window.

    ``stat="end"``: the forecast at the horizon's last step (the move a position held for the
    whole horizon would earn); ``"mean"``: the mean over the horizon (less noisy, smaller).
    The ratio divides the interval's width at the same point (or its mean width) by the
    absolute expected move: 2 means the band is twice as wide as the move it brackets. It is
    NaN without intervals and infinite for a zero move.
    """
    if stat == "end":
        target = point[:, -1]
        band = None if lower is None or upper is None else upper[:, -1] - lower[:, -1]
    else:
        target = point.mean(axis=1)
        band = None if lower is None or upper is None else (upper - lower).mean(axis=1)
    move: FloatArray = target - last
    if band is None:
        ratio: FloatArray = np.full(move.shape, math.nan)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(move != 0.0, band / np.abs(move), math.inf)
    return move, ratio


# --------------------------------------------------------------------------- training


@dataclass(frozen=True)
class TrainSpec:
    """How a strategy trains its own models (also the model cache's key, with the data)."""

    kind: str
    input_size: int
    horizon: int
    hidden: int
    max_steps: int
    learning_rate: float
    val_fraction: float
    level: float
    seed: int
    batch_size: int = 32

    def model_params(self) -> dict[str, Any]:
        """Width settings per model kind: NHITS MLP units, LSTM hidden size, Transformer
        model dimension (feed-forward twice that)."""
        if self.kind == "nhits":
            return {"mlp_units": self.hidden}
        if self.kind == "lstm":
            return {"hidden_size": self.hidden}
        d_model = max(4, (self.hidden // 4) * 4)  # a multiple of the 4 attention heads
        return {"d_model": d_model, "ff_size": 2 * d_model, "n_heads": 4}


_CACHE: OrderedDict[str, Predictor64] = OrderedDict()


def clear_model_cache() -> None:
    """Forget every model trained in this process (the next run trains again)."""
    _CACHE.clear()


def _digest(values: FloatArray, exog: Float32Array | None, spec: TrainSpec, tag: str) -> str:
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(values, dtype=np.float64).tobytes())
    if exog is not None:
        h.update(np.ascontiguousarray(exog, dtype=np.float32).tobytes())
    h.update(json.dumps(asdict(spec), sort_keys=True).encode())
    h.update(tag.encode())
    return h.hexdigest()


def train_predictor(
    values: FloatArray,
    exog: Float32Array | None,
    spec: TrainSpec,
    *,
    features: Sequence[str] = (),
    label: str = "model",
) -> Predictor64:
    """Train (or fetch from the cache) a model on ``values`` (and ``exog``, ``[rows, F]``).

    The last ``spec.val_fraction`` of the rows validate: early stopping keeps the best
    weights, and the validation errors calibrate split-conformal intervals at ``spec.level``
    (skipped, and the strategy's width gate refused later, when too few windows fit).
    """
    key = _digest(values, exog, spec, "|".join(features))
    hit = _CACHE.get(key)
    if hit is not None:
        _CACHE.move_to_end(key)
        return hit
    from neural_trader.forecasting.configs import TrainConfig, make_config
    from neural_trader.forecasting.conformal import ConformalIntervals
    from neural_trader.forecasting.datasets import split_windows
    from neural_trader.forecasting.models import build_model
    from neural_trader.forecasting.training import Trainer

    n_exog = 0 if exog is None else int(exog.shape[1])
    config = make_config(
        spec.kind,
        input_size=spec.input_size,
        horizon=spec.horizon,
        n_exog=n_exog,
        **spec.model_params(),
    )
    try:
        splits = split_windows(
            [values],
            None if exog is None else [exog],
            input_size=spec.input_size,
            horizon=spec.horizon,
            val_fraction=spec.val_fraction,
        )
    except InvalidArgumentError as exc:
        raise InvalidArgumentError(
            f"{label}: {len(values)} training bars are too few for input_size "
            f"{spec.input_size} and horizon {spec.horizon} ({exc.message})",
            hint="raise train_bars, or lower input_size / horizon",
        ) from None
    net = build_model(config, seed=spec.seed)
    train = TrainConfig(
        max_steps=spec.max_steps,
        batch_size=spec.batch_size,
        learning_rate=spec.learning_rate,
        val_check_steps=max(1, min(50, spec.max_steps)),
        patience=5 if splits.val is not None else 0,
        device="cpu",
        seed=spec.seed,
        progress=False,
    )
    Trainer(train).fit(net, splits.train, splits.val)
    predictor = Predictor64(net, conformal=None, features=features, source=label)
    if splits.val is not None and len(splits.val):
        v_in, v_ex, v_out = splits.val.arrays()
        n_val = len(splits.val)
        if math.ceil((n_val + 1) * spec.level / 100.0) <= n_val:
            point, _, _ = predictor.forecast(v_in, v_ex, None)
            predictor.conformal = ConformalIntervals.fit(v_out, point, v_in, [spec.level])
    _CACHE[key] = predictor
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return predictor


def _load_registry(model_id: str) -> tuple[Predictor64, ModelRecord]:
    from neural_trader.forecasting.registry import ModelRegistry

    model, record = ModelRegistry().load(model_id)
    predictor = Predictor64(
        model,
        conformal=record.conformal_intervals(),
        features=record.features,
        source=f"model {model_id}",
    )
    return predictor, record


def _registry_record(model_id: str) -> ModelRecord:
    from neural_trader.forecasting.registry import ModelRegistry

    return ModelRegistry().get(model_id)


def forward_fill(values: FloatArray, start: float = 0.0) -> FloatArray:
    """NaN replaced by the last value before it (``start`` before the first): what was known."""
    arr = np.asarray(values, dtype=np.float64)
    idx = np.where(np.isnan(arr), 0, np.arange(len(arr)))
    np.maximum.accumulate(idx, out=idx)
    out: FloatArray = arr[idx]
    out[np.isnan(out)] = start
    return out


# --------------------------------------------------------------------------- the base class


class NeuralStrategy(Strategy):
    """Base of the neural strategies: model parameters, folds, model provision, exogenous
    inputs (see the module doc). Subclasses define the series, the decision and the targets.
    """

    long_only: ClassVar[bool] = False
    features: ClassVar[tuple[str, ...]] = ()
    """Exogenous inputs of the models this strategy trains itself (feed names)."""

    model = TextParam(
        None,
        description="id of a trained model (neural-trader forecast list); "
        "none: train on the bars before each fold",
    )
    model_kind = ChoiceParam(
        "nhits",
        choices=("nhits", "lstm", "transformer"),
        description="architecture of the models trained here",
    )
    input_size = IntParam(
        None,
        optional=True,
        low=8,
        high=512,
        step=8,
        description=f"bars in each input window (default {DEFAULT_INPUT}, or the model's)",
    )
    horizon = IntParam(
        None,
        optional=True,
        low=1,
        high=60,
        step=1,
        description=f"bars forecast ahead (default {DEFAULT_HORIZON}, or the model's)",
    )
    train_bars = IntParam(
        1000,
        low=0,
        high=20_000,
        step=250,
        description="bars before the first trade: the first model's training data",
    )
    retrain_every = IntParam(
        None,
        optional=True,
        low=21,
        high=5040,
        step=21,
        description="retrain on every bar so far each this many bars (none: train once)",
    )
    hidden = IntParam(128, low=4, description="model width (NHITS units, LSTM hidden, d_model)")
    max_steps = IntParam(300, low=1, description="training steps per model (early stopping)")
    learning_rate = FloatParam(1e-3, low=1e-6, high=1.0, description="Adam learning rate")
    val_fraction = FloatParam(
        0.2,
        low=0.05,
        high=0.5,
        description="last fraction of the training bars kept for early stopping and intervals",
    )
    seed = IntParam(0, low=0, description="seed of initialisation, sampling and dropout")
    level = FloatParam(
        80.0, low=50.0, high=95.0, step=5.0, description="interval level (percent) for the width"
    )
    max_width = FloatParam(
        None,
        optional=True,
        low=0.5,
        high=50.0,
        step=0.5,
        description="interval width / expected move above which an entry is skipped (or trimmed)",
    )
    trim_size = FloatParam(
        None,
        optional=True,
        low=0.05,
        high=0.95,
        step=0.05,
        description="with max_width: enter at this size instead of skipping a too-wide forecast",
    )
    horizon_stat = ChoiceParam(
        "end",
        choices=("end", "mean"),
        description="expected move: forecast at the horizon's end, or its mean over the horizon",
    )

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._record: ModelRecord | None = None
        self._loaded: Predictor64 | None = None

    def check_params(self) -> None:
        p = self.p
        if p.trim_size is not None and p.max_width is None:
            raise InvalidArgumentError(
                f"parameter trim_size={p.trim_size} needs max_width (the width above which the "
                "position is trimmed)"
            )

    # -- model shape and schedule --------------------------------------------------------------
    def record(self) -> ModelRecord | None:
        """The registry entry of ``model`` (metadata only; no torch), or None."""
        if self.p.model is None:
            return None
        if self._record is None:
            rec = _registry_record(self.p.model)
            for name, value in (("input_size", rec.input_size), ("horizon", rec.horizon)):
                given = getattr(self.p, name)
                if given is not None and given != value:
                    raise InvalidArgumentError(
                        f"parameter {name}={given} differs from model {self.p.model}'s {value}",
                        hint=f"drop -p {name} (a registry model brings its own)",
                    )
            self._record = rec
        return self._record

    @property
    def window(self) -> int:
        rec = self.record()
        if rec is not None:
            return int(rec.input_size)
        return int(self.p.input_size or DEFAULT_INPUT)

    @property
    def steps_ahead(self) -> int:
        rec = self.record()
        if rec is not None:
            return int(rec.horizon)
        return int(self.p.horizon or DEFAULT_HORIZON)

    @property
    def first_bar(self) -> int:
        """The first bar that can trade: after the training bars and a full input window."""
        return max(int(self.p.train_bars), self.window - 1)

    @property
    def warmup(self) -> int:
        return self.first_bar

    def folds(self, n_bars: int) -> list[tuple[int, int]]:
        """``(start, stop)`` of each fold within ``n_bars``."""
        every = None if self.p.model is not None else self.p.retrain_every
        starts = fold_starts(n_bars, self.first_bar, every)
        return [(s, starts[i + 1] if i + 1 < len(starts) else n_bars) for i, s in enumerate(starts)]

    def fold_of(self, t: int) -> int:
        every = None if self.p.model is not None else self.p.retrain_every
        return fold_start_of(t, self.first_bar, every)

    def train_spec(self) -> TrainSpec:
        p = self.p
        return TrainSpec(
            kind=p.model_kind,
            input_size=self.window,
            horizon=self.steps_ahead,
            hidden=int(p.hidden),
            max_steps=int(p.max_steps),
            learning_rate=float(p.learning_rate),
            val_fraction=float(p.val_fraction),
            level=float(p.level),
            seed=int(p.seed),
        )

    @property
    def interval_level(self) -> float | None:
        """The level whose width the decision reads (None when no width gate is set)."""
        return None if self.p.max_width is None else float(self.p.level)

    # -- models ---------------------------------------------------------------------------------
    def model_features(self) -> tuple[str, ...]:
        rec = self.record()
        return tuple(rec.features) if rec is not None else self.features

    def predictor(
        self,
        start: int,
        values: FloatArray,
        exog: Float32Array | None,
        ts: npt.NDArray[np.int64] | None = None,
    ) -> Predictor64:
        """The model trading the fold that starts at ``start``: the registry model, or one
        trained on ``values[:start]`` (already cut by the caller: bars before ``start``)."""
        if self.p.model is not None:
            if self._loaded is None:
                self._loaded, record = _load_registry(self.p.model)
                self._note_registry_span(record, ts, start)
            return self._loaded
        spec = self.train_spec()
        label = f"{self.name}: {spec.kind} trained on bars [0, {start})"
        pred = train_predictor(values, exog, spec, features=self.model_features(), label=label)
        self._note(
            f"{spec.kind} models trained walk-forward, each on the bars before its fold "
            f"(first trade at bar {self.first_bar}"
            + (f", retrained every {self.p.retrain_every} bars)" if self.p.retrain_every else ")")
        )
        if self.interval_level is not None and pred.conformal is None:
            raise InvalidArgumentError(
                f"{label}: too few validation windows for a {self.p.level:g}% interval",
                hint="raise train_bars or val_fraction, or lower level",
            )
        return pred

    def _note_registry_span(
        self, record: ModelRecord, ts: npt.NDArray[np.int64] | None, start: int
    ) -> None:
        """Say so when the registry model was trained on data reaching into the traded bars."""
        lasts = record.data.get("last") if isinstance(record.data, Mapping) else None
        if ts is None or not lasts or start >= len(ts):
            return
        import pandas as pd

        try:
            trained_to = max(pd.Timestamp(str(x), tz="UTC").value for x in lasts)
        except (TypeError, ValueError):
            return
        if trained_to >= int(ts[start]):
            self._note(
                f"model {record.model_id} was trained on data up to {max(map(str, lasts))}, "
                "after the first traded bar: this backtest is partly in-sample"
            )

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    # -- exogenous inputs -----------------------------------------------------------------------
    def _missing_feed(self, name: str, bars: int | None) -> InvalidArgumentError:
        where = "" if bars is None else f" before bar {bars} (the first model's training bars)"
        return InvalidArgumentError(
            f"{self.name} needs a {name!r} series{where}: "
            + ("its models read it as an exogenous input" if self.p.model is None else
               f"model {self.p.model} was trained with it"),
            hint=f"pass --with {name}=FILE.csv:column (time, value per bar) to neural-trader "
            f"backtest, or StrategyData(..., feeds={{'{name}': values}})",
        )  # fmt: skip

    def exog_matrix(self, data: StrategyData) -> Float32Array | None:
        """``[n_bars, F]`` float32 exogenous inputs, one column per model feature.

        Calendar features come from the timestamps, bar columns from the bars, anything else
        from the feed of that name, forward-filled (a value holds until the next one; 0 before
        the first). A feed that is absent, or has no value before the first trade, is refused.
        """
        names = self.model_features()
        if not names:
            return None
        declared = {r.name for r in self.requires}
        cols: list[npt.NDArray[Any]] = []
        for name in names:
            low = name.lower()
            if name.startswith(CALENDAR_PREFIX):
                from neural_trader.forecasting.datasets import calendar_features

                cols.append(calendar_features(data.ts_event, [name])[:, 0])
            elif low in BAR_COLUMNS:
                cols.append(np.asarray(getattr(data, low), dtype=np.float64))
            else:
                if name not in declared:
                    raise InvalidArgumentError(
                        f"model {self.p.model} needs a {name!r} input, which {self.name} does "
                        f"not take (its inputs: {', '.join(sorted(declared)) or 'none'})",
                        hint="use neural_sentiment for a model trained with sentiment",
                    )
                feed = data.feed(name)
                if feed is None:
                    raise self._missing_feed(name, None)
                values = np.asarray(feed, dtype=np.float64)
                first = min(self.first_bar, len(values))
                if len(values) > self.first_bar and not np.isfinite(values[:first]).any():
                    raise self._missing_feed(name, self.first_bar)
                cols.append(forward_fill(values))
        return np.stack(cols, axis=1).astype(np.float32)

    def on_start_features(self) -> None:
        """Reset the event path's feature state (last feed values, their history)."""
        self._last_feed: dict[str, float] = {}
        self._seen_feed: dict[str, bool] = {}
        self._exog_rows: list[list[float]] = []

    def exog_row(self, ctx: Any, bar: Any) -> None:
        """Append bar ``t``'s exogenous row (the incremental twin of :meth:`exog_matrix`)."""
        names = self.model_features()
        if not names:
            return
        row: list[float] = []
        for name in names:
            low = name.lower()
            if name.startswith(CALENDAR_PREFIX):
                from neural_trader.forecasting.datasets import calendar_features

                ts = np.array([bar.ts_event], dtype=np.int64)
                row.append(float(calendar_features(ts, [name])[0, 0]))
            elif low in BAR_COLUMNS:
                row.append(float(getattr(bar, low)))
            else:
                v = float(ctx.feed(name))
                if v == v:
                    self._last_feed[name] = v
                    self._seen_feed[name] = True
                row.append(self._last_feed.get(name, 0.0))
        self._exog_rows.append(row)

    def check_event_feeds(self) -> None:
        """At the first trade: every feed input must have had a value before it."""
        declared = {r.name for r in self.requires}
        for name in self.model_features():
            if name.startswith(CALENDAR_PREFIX) or name.lower() in BAR_COLUMNS:
                continue
            if name not in declared:
                raise InvalidArgumentError(
                    f"model {self.p.model} needs a {name!r} input, which {self.name} does not "
                    f"take (its inputs: {', '.join(sorted(declared)) or 'none'})"
                )
            if not self._seen_feed.get(name, False):
                raise self._missing_feed(name, self.first_bar)

    def exog_array(self, stop: int | None = None, last: int | None = None) -> Float32Array | None:
        """Event-path exogenous rows ``[:stop]`` or the ``last`` rows, as float32."""
        if not self.model_features():
            return None
        rows = self._exog_rows[:stop] if last is None else self._exog_rows[-last:]
        return np.asarray(rows, dtype=np.float64).astype(np.float32)


def gate(
    ratio: FloatArray, max_width: float | None, trim_size: float | None
) -> tuple[BoolArray, FloatArray]:
    """``(allowed, size)`` per bar from the interval-width ratio (see ``max_width``).

    Without ``max_width`` every entry is allowed at full size. With it, a forecast whose band
    is wider than ``max_width`` times its expected move is skipped, or with ``trim_size``
    entered at that size. Sizes are constants, never a function of the forecast, so the
    vectorized and event paths give bit-equal targets.
    """
    n = ratio.shape[0]
    if max_width is None:
        return np.ones(n, dtype=np.bool_), np.ones(n)
    wide = ~(ratio <= max_width)  # NaN counts as wide
    if trim_size is None:
        return ~wide, np.ones(n)
    return np.ones(n, dtype=np.bool_), np.where(wide, trim_size, 1.0)
