"""The TA-Lib catalogue: TA-Lib's functions under their lower-case names, numpy in, numpy out.

Why wrap at all, when ``talib.SMA`` already exists: TA-Lib takes only contiguous 1-D float64
arrays and answers anything else with a bare ``Exception`` ("input array type is not double").
The platform works on one column per symbol, reads int volumes from Parquet and needs errors a
person can act on. Each wrapper here therefore

* converts inputs to contiguous float64 (ints accepted; bools, strings, dates refused),
* accepts a 1-D array or a 2-D array with one column per symbol and applies TA-Lib per column
  (output: same shape; multi-output functions return a ``NamedTuple`` of such arrays),
* keeps TA-Lib's keyword names and defaults (``timeperiod``, ``fastperiod``, ``nbdevup`` ...),
* raises :class:`~neural_trader.core.errors.InvalidArgumentError` for mismatched shapes, a
  non-numeric input, an unknown keyword or a parameter TA-Lib rejects,
* leaves NaN handling to TA-Lib (leading NaNs are skipped, a NaN inside the series poisons what
  TA-Lib's recurrences carry forward), so results equal TA-Lib's bit for bit.

The wrappers are generated from ``_CATALOGUE`` and TA-Lib's own metadata
(``talib.abstract.Function(name).info``) rather than written out 24 times: TA-Lib is the single
source of input names, parameters and defaults, and adding an indicator is one table row. The
generated functions are still ordinary module attributes with real signatures
(``inspect.signature(sma)`` shows ``(real, timeperiod=30)``) and are described by
:data:`TALIB_INDICATORS`, which the package-level registry merges with our own kernels.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

import numpy as np
import numpy.typing as npt
import talib
import talib.abstract

from neural_trader.core.errors import InvalidArgumentError

__all__ = [
    "TALIB_INDICATORS",
    "AroonResult",
    "BBandsResult",
    "FloatArray",
    "IndicatorSpec",
    "MACDResult",
    "ParamValue",
    "StochFResult",
    "StochRSIResult",
    "StochResult",
    "ad",
    "adosc",
    "adx",
    "adxr",
    "apo",
    "aroon",
    "aroonosc",
    "as_float_inputs",
    "atr",
    "bbands",
    "bop",
    "cci",
    "dema",
    "ema",
    "kama",
    "macd",
    "mfi",
    "minus_di",
    "mom",
    "natr",
    "obv",
    "plus_di",
    "ppo",
    "roc",
    "rsi",
    "sar",
    "sma",
    "stddev",
    "stoch",
    "stochf",
    "stochrsi",
    "t3",
    "talib_lookback",
    "tema",
    "trange",
    "trima",
    "trix",
    "ultosc",
    "willr",
    "wma",
]

FloatArray = npt.NDArray[np.float64]
ParamValue = int | float | bool | None


class MACDResult(NamedTuple):
    """``talib.MACD``'s three outputs: MACD line, its signal EMA, and their difference."""

    macd: FloatArray
    signal: FloatArray
    hist: FloatArray


class BBandsResult(NamedTuple):
    upper: FloatArray
    middle: FloatArray
    lower: FloatArray


class StochResult(NamedTuple):
    slowk: FloatArray
    slowd: FloatArray


class StochFResult(NamedTuple):
    fastk: FloatArray
    fastd: FloatArray


class StochRSIResult(NamedTuple):
    fastk: FloatArray
    fastd: FloatArray


class AroonResult(NamedTuple):
    aroondown: FloatArray
    aroonup: FloatArray


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """What a front needs to list and call one indicator without importing its module.

    ``inputs`` are the data columns :func:`neural_trader.indicators.compute` reads (``close``,
    ``high`` ...), in the order the function takes them; ``parameters`` maps each keyword to its
    default; ``outputs`` names the returned array(s). ``lookback`` gives the number of leading
    NaN bars for a parameter set (TA-Lib's own lookback for TA-Lib functions).
    """

    name: str
    description: str
    group: str
    inputs: tuple[str, ...]
    parameters: Mapping[str, ParamValue]
    outputs: tuple[str, ...]
    source: Literal["talib", "custom"]
    func: Callable[..., Any] = field(repr=False, compare=False)
    lookback: Callable[..., int] = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description for ``--json`` listings and MCP tool schemas."""
        return {
            "name": self.name,
            "description": self.description,
            "group": self.group,
            "inputs": list(self.inputs),
            "parameters": dict(self.parameters),
            "outputs": list(self.outputs),
            "source": self.source,
        }


# --------------------------------------------------------------------------- input handling


def as_float_inputs(func_name: str, arrays: Mapping[str, Any]) -> list[FloatArray]:
    """Convert named inputs to float64 arrays of one common 1-D or 2-D shape.

    2-D inputs come back in Fortran order so each column is a contiguous view that TA-Lib (or a
    kernel) can take without another copy. The error names the function and the argument.
    """
    out: list[FloatArray] = []
    shape: tuple[int, ...] | None = None
    first = ""
    for arg, value in arrays.items():
        arr = np.asarray(value)
        if arr.dtype.kind not in "iuf":
            raise InvalidArgumentError(
                f"{func_name}: input '{arg}' must be numeric, got dtype {arr.dtype}",
                hint="pass float or int arrays (one column per symbol for 2-D)",
            )
        if arr.ndim not in (1, 2):
            raise InvalidArgumentError(
                f"{func_name}: input '{arg}' must be 1-D or 2-D (bars x symbols), "
                f"got {arr.ndim}-D with shape {arr.shape}"
            )
        if shape is None:
            shape, first = arr.shape, arg
        elif arr.shape != shape:
            raise InvalidArgumentError(
                f"{func_name}: inputs have different shapes: '{first}' is {shape}, "
                f"'{arg}' is {arr.shape}",
                hint="align the series on one index before computing the indicator",
            )
        if arr.ndim == 1:
            out.append(np.ascontiguousarray(arr, dtype=np.float64))
        else:
            out.append(np.asfortranarray(arr, dtype=np.float64))
    return out


def _coerce_param(func_name: str, name: str, value: Any, default: Any) -> int | float:
    """Check one parameter against the type of TA-Lib's default (int or float).

    TA-Lib silently truncates 2.5 to 2 for an integer period; we refuse it instead, because a
    caller who typed 2.5 meant something TA-Lib will not do.
    """
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        raise InvalidArgumentError(
            f"{func_name}: parameter '{name}' must be a number, got {value!r}"
        )
    if isinstance(default, int):
        as_float = float(value)
        if not as_float.is_integer():
            raise InvalidArgumentError(
                f"{func_name}: parameter '{name}' must be an integer, got {value!r}"
            )
        return int(as_float)
    return float(value)


def _function_api_inputs(input_names: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(argument names as in TA-Lib's function API, data columns they default to).

    ``talib.abstract`` calls a single price input ``price`` (defaulting to ``close``), while the
    function API calls it ``real``; we keep the function API's argument names so code written
    against ``talib.SMA(real, timeperiod=...)`` reads the same, and the column names for
    :func:`neural_trader.indicators.compute`.
    """
    args: list[str] = []
    columns: list[str] = []
    for key, value in input_names.items():
        if isinstance(value, list):
            args.extend(value)
            columns.extend(value)
        else:
            args.append(key.replace("price", "real"))
            columns.append(str(value))
    return args, columns


# --------------------------------------------------------------------------- generation


def _make_wrapper(
    name: str, result_type: type[tuple[FloatArray, ...]] | None
) -> tuple[Callable[..., Any], IndicatorSpec]:
    """Build the wrapper for ``talib.<NAME>`` and its registry entry from TA-Lib's metadata."""
    upper = name.upper()
    info = talib.abstract.Function(upper).info  # type: ignore[attr-defined]
    raw: Callable[..., Any] = getattr(talib, upper)
    args, columns = _function_api_inputs(info["input_names"])
    defaults: dict[str, Any] = dict(info["parameters"])
    n_out = len(info["output_names"])
    if (result_type is None) != (n_out == 1):
        raise AssertionError(f"catalogue row for {name} disagrees with TA-Lib's outputs")
    outputs: tuple[str, ...] = (name,) if result_type is None else tuple(result_type._fields)  # type: ignore[attr-defined]
    positional = inspect.Parameter.POSITIONAL_OR_KEYWORD
    signature = inspect.Signature(
        [inspect.Parameter(a, positional) for a in args]
        + [inspect.Parameter(p, positional, default=d) for p, d in defaults.items()]
    )

    def wrapper(*call_args: Any, **call_kwargs: Any) -> Any:
        try:
            bound = signature.bind(*call_args, **call_kwargs)
        except TypeError as exc:
            raise InvalidArgumentError(
                f"{name}: {exc}", hint=f"signature: {name}{signature}"
            ) from None
        bound.apply_defaults()
        arrays = as_float_inputs(name, {a: bound.arguments[a] for a in args})
        params = [_coerce_param(name, p, bound.arguments[p], d) for p, d in defaults.items()]
        result = _apply(name, raw, arrays, params, n_out)
        if result_type is None:
            return result[0]
        return result_type(*result)

    wrapper.__name__ = wrapper.__qualname__ = name
    wrapper.__module__ = __name__
    wrapper.__signature__ = signature  # type: ignore[attr-defined]
    wrapper.__doc__ = (
        f"{info['display_name']} (``talib.{upper}``), per column for 2-D input.\n\n"
        f"Inputs: {', '.join(args)}. Parameters (TA-Lib defaults): "
        f"{', '.join(f'{p}={d!r}' for p, d in defaults.items()) or 'none'}.\n"
        f"Returns: {', '.join(outputs) if n_out > 1 else 'one array'} of the input's shape."
    )

    def lookback(**params: Any) -> int:
        return talib_lookback(upper, **params)

    spec = IndicatorSpec(
        name=name,
        description=str(info["display_name"]),
        group=str(info["group"]),
        inputs=tuple(columns),
        parameters=MappingProxyType(defaults),
        outputs=outputs,
        source="talib",
        func=wrapper,
        lookback=lookback,
    )
    return wrapper, spec


def _apply(
    name: str,
    raw: Callable[..., Any],
    arrays: Sequence[FloatArray],
    params: Sequence[int | float],
    n_out: int,
) -> list[FloatArray]:
    """Call TA-Lib once (1-D) or once per column (2-D), turning its bare errors into ours."""
    try:
        if arrays[0].ndim == 1:
            res = raw(*arrays, *params)
            res = (res,) if n_out == 1 else res
            return [np.asarray(r, dtype=np.float64) for r in res]
        n_rows, n_cols = arrays[0].shape
        outs = [np.empty((n_rows, n_cols), dtype=np.float64) for _ in range(n_out)]
        for j in range(n_cols):
            res = raw(*(a[:, j] for a in arrays), *params)
            res = (res,) if n_out == 1 else res
            for k in range(n_out):
                outs[k][:, j] = res[k]
        return outs
    except InvalidArgumentError:
        raise
    except Exception as exc:  # TA-Lib raises bare Exception for bad parameters
        raise InvalidArgumentError(f"{name}: TA-Lib refused the call: {exc}") from None


def talib_lookback(talib_name: str, **params: Any) -> int:
    """TA-Lib's lookback (leading NaN bars) for ``talib_name`` with ``params``."""
    func = talib.abstract.Function(talib_name.upper())  # type: ignore[attr-defined]
    if params:
        try:
            func.set_parameters(**params)
        except Exception as exc:
            raise InvalidArgumentError(f"{talib_name.lower()}: {exc}") from None
    return int(func.lookback)


# One row per wrapper: (lower-case name, result NamedTuple for multi-output functions).
_CATALOGUE: tuple[tuple[str, type[tuple[FloatArray, ...]] | None], ...] = (
    # overlap studies
    ("sma", None),
    ("ema", None),
    ("wma", None),
    ("dema", None),
    ("tema", None),
    ("trima", None),
    ("kama", None),
    ("t3", None),
    ("bbands", BBandsResult),
    ("sar", None),
    # momentum
    ("rsi", None),
    ("macd", MACDResult),
    ("stoch", StochResult),
    ("stochf", StochFResult),
    ("stochrsi", StochRSIResult),
    ("adx", None),
    ("adxr", None),
    ("plus_di", None),
    ("minus_di", None),
    ("aroon", AroonResult),
    ("aroonosc", None),
    ("cci", None),
    ("willr", None),
    ("roc", None),
    ("mom", None),
    ("trix", None),
    ("mfi", None),
    ("apo", None),
    ("ppo", None),
    ("bop", None),
    ("ultosc", None),
    # volatility
    ("atr", None),
    ("natr", None),
    ("trange", None),
    ("stddev", None),
    # volume
    ("obv", None),
    ("ad", None),
    ("adosc", None),
)

_built = {row[0]: _make_wrapper(*row) for row in _CATALOGUE}

TALIB_INDICATORS: Mapping[str, IndicatorSpec] = MappingProxyType(
    {key: spec for key, (_, spec) in _built.items()}
)
"""Registry entries of every TA-Lib wrapper, keyed by lower-case name."""

# Module attributes, typed: single-output wrappers return an array, the others their NamedTuple.
sma: Callable[..., FloatArray] = _built["sma"][0]
ema: Callable[..., FloatArray] = _built["ema"][0]
wma: Callable[..., FloatArray] = _built["wma"][0]
dema: Callable[..., FloatArray] = _built["dema"][0]
tema: Callable[..., FloatArray] = _built["tema"][0]
trima: Callable[..., FloatArray] = _built["trima"][0]
kama: Callable[..., FloatArray] = _built["kama"][0]
t3: Callable[..., FloatArray] = _built["t3"][0]
bbands: Callable[..., BBandsResult] = _built["bbands"][0]
sar: Callable[..., FloatArray] = _built["sar"][0]
rsi: Callable[..., FloatArray] = _built["rsi"][0]
macd: Callable[..., MACDResult] = _built["macd"][0]
stoch: Callable[..., StochResult] = _built["stoch"][0]
stochf: Callable[..., StochFResult] = _built["stochf"][0]
stochrsi: Callable[..., StochRSIResult] = _built["stochrsi"][0]
adx: Callable[..., FloatArray] = _built["adx"][0]
adxr: Callable[..., FloatArray] = _built["adxr"][0]
plus_di: Callable[..., FloatArray] = _built["plus_di"][0]
minus_di: Callable[..., FloatArray] = _built["minus_di"][0]
aroon: Callable[..., AroonResult] = _built["aroon"][0]
aroonosc: Callable[..., FloatArray] = _built["aroonosc"][0]
cci: Callable[..., FloatArray] = _built["cci"][0]
willr: Callable[..., FloatArray] = _built["willr"][0]
roc: Callable[..., FloatArray] = _built["roc"][0]
mom: Callable[..., FloatArray] = _built["mom"][0]
trix: Callable[..., FloatArray] = _built["trix"][0]
mfi: Callable[..., FloatArray] = _built["mfi"][0]
apo: Callable[..., FloatArray] = _built["apo"][0]
ppo: Callable[..., FloatArray] = _built["ppo"][0]
bop: Callable[..., FloatArray] = _built["bop"][0]
ultosc: Callable[..., FloatArray] = _built["ultosc"][0]
atr: Callable[..., FloatArray] = _built["atr"][0]
natr: Callable[..., FloatArray] = _built["natr"][0]
trange: Callable[..., FloatArray] = _built["trange"][0]
stddev: Callable[..., FloatArray] = _built["stddev"][0]
obv: Callable[..., FloatArray] = _built["obv"][0]
ad: Callable[..., FloatArray] = _built["ad"][0]
adosc: Callable[..., FloatArray] = _built["adosc"][0]

del _built
