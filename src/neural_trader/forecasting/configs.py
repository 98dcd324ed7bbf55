"""Model and training configurations: frozen dataclasses, JSON round-trip, no torch.

They live apart from the PyTorch modules so that reading a registry entry (``forecast list``,
``show``), validating CLI options or building a search space never imports torch, which takes
a second or more to load.

Every model maps a window of ``input_size`` past values (plus ``n_exog`` past exogenous
features) to ``horizon`` future values. With ``loss="mq"`` it outputs one value per quantile in
``quantiles`` (0.5 always included: it is the point forecast); otherwise one point value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, get_args

from neural_trader.core.errors import InvalidArgumentError

__all__ = [
    "CONFIG_CLASSES",
    "LSTMConfig",
    "Loss",
    "ModelConfig",
    "NHITSConfig",
    "Precision",
    "Scaler",
    "TrainConfig",
    "TransformerConfig",
    "config_from_dict",
    "make_config",
    "model_kinds",
    "quantiles_for_levels",
]

Loss = Literal["mae", "mse", "mq"]
Scaler = Literal["standard", "robust", "none"]
Precision = Literal["32", "bf16", "fp16"]


def quantiles_for_levels(levels: Sequence[float]) -> tuple[float, ...]:
    """Quantiles that bound central intervals: 80 -> (0.1, 0.9); the median always included."""
    qs = {0.5}
    for level in levels:
        if not 0.0 < float(level) < 100.0:
            raise InvalidArgumentError(f"interval level must be in (0, 100), got {level}")
        half = float(level) / 200.0
        qs.add(round(0.5 - half, 10))
        qs.add(round(0.5 + half, 10))
    return tuple(sorted(qs))


def _positive(name: str, value: int) -> None:
    if int(value) < 1:
        raise InvalidArgumentError(f"{name} must be >= 1, got {value}")


@dataclass(frozen=True, kw_only=True)
class ModelConfig:
    """What every model shares. ``level_skip``: forecast the change from the last input value
    (the network learns a correction to the naive forecast, NHITS's "Naive1 level")."""

    kind: ClassVar[str] = ""

    input_size: int
    horizon: int
    n_exog: int = 0
    loss: Loss = "mae"
    quantiles: tuple[float, ...] = ()
    scaler: Scaler = "standard"
    level_skip: bool = True
    dropout: float = 0.0

    def __post_init__(self) -> None:
        _positive("input_size", self.input_size)
        _positive("horizon", self.horizon)
        if self.n_exog < 0:
            raise InvalidArgumentError(f"n_exog must be >= 0, got {self.n_exog}")
        if self.loss not in get_args(Loss):
            raise InvalidArgumentError(f"loss must be one of {get_args(Loss)}, got {self.loss!r}")
        if self.scaler not in get_args(Scaler):
            raise InvalidArgumentError(
                f"scaler must be one of {get_args(Scaler)}, got {self.scaler!r}"
            )
        if not 0.0 <= self.dropout < 1.0:
            raise InvalidArgumentError(f"dropout must be in [0, 1), got {self.dropout}")
        qs = tuple(float(q) for q in self.quantiles)
        if self.loss == "mq":
            if not qs:
                raise InvalidArgumentError("loss 'mq' needs quantiles (e.g. 0.1, 0.5, 0.9)")
            if any(not 0.0 < q < 1.0 for q in qs):
                raise InvalidArgumentError(f"quantiles must be in (0, 1), got {qs}")
            qs = tuple(sorted(set(qs) | {0.5}))
        elif qs:
            raise InvalidArgumentError(f"quantiles need loss 'mq', not {self.loss!r}")
        object.__setattr__(self, "quantiles", qs)

    @property
    def n_outputs(self) -> int:
        return len(self.quantiles) if self.quantiles else 1

    @property
    def median_index(self) -> int:
        return self.quantiles.index(0.5) if self.quantiles else 0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out

    def replace(self, **changes: Any) -> ModelConfig:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True, kw_only=True)
class NHITSConfig(ModelConfig):
    """NHITS (Challu et al. 2023) with the reference implementation's defaults.

    Three stacks, one per (pooling kernel, downsampling) pair: kernels (2, 2, 1) and
    downsampling (4, 2, 1) as in neuralforecast, so the first stack reads a 2x max-pooled input
    and emits ``horizon / 4`` knots (the slow component), the last reads every value and emits
    one knot per step (the fast component). One block per stack and two hidden layers of 512
    units, also the reference's: depth = 3 blocks x 3 linear layers. More blocks per stack add
    about 0.4M parameters each at 512 units without a new frequency band to specialise on; the
    original's documented (168, 24, 1) downsampling suits hourly data with a 168-step input and
    is one config change away.
    """

    kind: ClassVar[str] = "nhits"

    pooling_kernels: tuple[int, ...] = (2, 2, 1)
    downsample: tuple[int, ...] = (4, 2, 1)
    blocks_per_stack: int = 1
    mlp_units: int = 512
    mlp_layers: int = 2
    pooling: Literal["max", "avg"] = "max"
    interpolation: Literal["linear", "nearest"] = "linear"

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "pooling_kernels", tuple(int(k) for k in self.pooling_kernels))
        object.__setattr__(self, "downsample", tuple(int(k) for k in self.downsample))
        if not self.pooling_kernels or len(self.pooling_kernels) != len(self.downsample):
            raise InvalidArgumentError(
                "pooling_kernels and downsample need one entry per stack, same length"
            )
        for k in (*self.pooling_kernels, *self.downsample):
            _positive("pooling kernel / downsampling", k)
        _positive("blocks_per_stack", self.blocks_per_stack)
        _positive("mlp_units", self.mlp_units)
        _positive("mlp_layers", self.mlp_layers)
        if self.pooling not in ("max", "avg"):
            raise InvalidArgumentError(f"pooling must be 'max' or 'avg', got {self.pooling!r}")
        if self.interpolation not in ("linear", "nearest"):
            raise InvalidArgumentError(
                f"interpolation must be 'linear' or 'nearest', got {self.interpolation!r}"
            )


@dataclass(frozen=True, kw_only=True)
class LSTMConfig(ModelConfig):
    """Encoder-decoder LSTM, 2 layers of 128 (the original's v2 example used 128 units).

    The encoder reads the window; its final states start a decoder that runs ``horizon`` steps
    on learnt step embeddings plus the encoder's last output (no feedback of its own forecasts,
    so no exposure bias and one pass for all steps).
    """

    kind: ClassVar[str] = "lstm"

    hidden_size: int = 128
    num_layers: int = 2
    step_embedding: int = 16
    dropout: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        _positive("hidden_size", self.hidden_size)
        _positive("num_layers", self.num_layers)
        _positive("step_embedding", self.step_embedding)


@dataclass(frozen=True, kw_only=True)
class TransformerConfig(ModelConfig):
    """Transformer encoder over patches of ``patch_len`` steps (PatchTST-style tokens).

    Patches make a token carry local shape rather than one number and cut the attention cost
    by ``patch_len**2``, which matters on CPUs with inputs of hundreds of steps. A flatten head
    maps every token to the horizon, so position information reaches the output directly.
    """

    kind: ClassVar[str] = "transformer"

    d_model: int = 64
    n_heads: int = 4
    n_layers: int = 2
    ff_size: int = 128
    patch_len: int = 8
    dropout: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("d_model", "n_heads", "n_layers", "ff_size", "patch_len"):
            _positive(name, getattr(self, name))
        if self.d_model % self.n_heads:
            raise InvalidArgumentError(
                f"d_model {self.d_model} must be a multiple of n_heads {self.n_heads}"
            )
        if self.patch_len > self.input_size:
            raise InvalidArgumentError(
                f"patch_len {self.patch_len} exceeds input_size {self.input_size}"
            )


CONFIG_CLASSES: dict[str, type[ModelConfig]] = {
    c.kind: c for c in (NHITSConfig, LSTMConfig, TransformerConfig)
}


def model_kinds() -> list[str]:
    return list(CONFIG_CLASSES)


def _config_class(kind: str) -> type[ModelConfig]:
    try:
        return CONFIG_CLASSES[kind.lower()]
    except KeyError:
        raise InvalidArgumentError(
            f"unknown model {kind!r}; choose one of {', '.join(CONFIG_CLASSES)}"
        ) from None


def make_config(kind: str, **params: Any) -> ModelConfig:
    """A validated config of model ``kind``; unknown parameter names are an error."""
    cls = _config_class(kind)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(params) - known)
    if unknown:
        raise InvalidArgumentError(
            f"{kind} has no parameter {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    clean: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
    return cls(**clean)


def config_from_dict(data: Mapping[str, Any]) -> ModelConfig:
    """Inverse of :meth:`ModelConfig.to_dict` (what the registry stores)."""
    params = dict(data)
    kind = str(params.pop("kind", ""))
    return make_config(kind, **params)


@dataclass(frozen=True, kw_only=True)
class TrainConfig:
    """The training loop's settings; defaults follow neuralforecast's NHITS where it has one.

    ``lr_decays``: the learning rate halves (``lr_gamma``) this many times, evenly over
    ``max_steps`` (the reference's ``num_lr_decays=3``). ``patience``: validation checks
    without improvement before stopping (0 = never stop early); the best weights are restored
    either way. ``threads``: ``torch.set_num_threads`` for the run (None = leave torch's).
    ``progress``: None = a bar on stderr when it is a terminal. ``time_limit``: seconds of
    training after which the run stops, after one last validation check so that the steps
    since the previous one count (None = no limit); a budget for benchmarks and shared
    machines, where ``max_steps`` alone says nothing about the wall time.
    """

    max_steps: int = 1000
    batch_size: int = 32
    learning_rate: float = 1e-3
    lr_decays: int = 3
    lr_gamma: float = 0.5
    weight_decay: float = 0.0
    val_check_steps: int = 50
    patience: int = 5
    min_delta: float = 0.0
    grad_clip: float | None = 1.0
    precision: Precision = "32"
    device: str = "auto"
    threads: int | None = None
    seed: int = 0
    progress: bool | None = None
    eval_batch_size: int = 1024
    time_limit: float | None = None

    def __post_init__(self) -> None:
        _positive("max_steps", self.max_steps)
        if self.time_limit is not None and not self.time_limit > 0.0:
            raise InvalidArgumentError(f"time_limit must be > 0 seconds, got {self.time_limit}")
        _positive("batch_size", self.batch_size)
        _positive("val_check_steps", self.val_check_steps)
        _positive("eval_batch_size", self.eval_batch_size)
        if not self.learning_rate > 0.0:
            raise InvalidArgumentError(f"learning rate must be > 0, got {self.learning_rate}")
        if self.lr_decays < 0 or not 0.0 < self.lr_gamma <= 1.0:
            raise InvalidArgumentError("lr_decays must be >= 0 and lr_gamma in (0, 1]")
        if self.patience < 0:
            raise InvalidArgumentError(f"patience must be >= 0, got {self.patience}")
        if self.grad_clip is not None and not self.grad_clip > 0.0:
            raise InvalidArgumentError(f"grad_clip must be > 0 or None, got {self.grad_clip}")
        if self.precision not in get_args(Precision):
            raise InvalidArgumentError(
                f"precision must be one of {get_args(Precision)}, got {self.precision!r}"
            )
        if self.threads is not None:
            _positive("threads", self.threads)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)
