"""Search spaces: ``--grid`` specs checked against a strategy's declared parameters.

A spec is ``name=lo:hi:step`` (inclusive range), ``name=lo:hi`` (the declaration's step, 1 for
integers), ``name=a,b,c`` (a list) or ``name=v`` (a fixed value). Every value goes through the
parameter's own ``parse``, so a typo in a name or a value outside the declared bounds is an
error before anything runs, not a silently empty sweep.

Combinations that pass each parameter's check can still break a rule between parameters
(``fast >= slow``). The strategy's constructor is the only judge of that rule, so every
combination is built once; the ones it refuses are dropped and *counted*, and the count is
reported with the result: a grid that is 60% invalid says something about the grid.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.strategies.base import Strategy
from neural_trader.strategies.parameters import FloatParam, IntParam, Param

__all__ = ["Dimension", "SearchSpace", "ValidCombos", "parse_grid", "validate_combinations"]

MAX_COMBINATIONS = 5_000_000


@dataclass(frozen=True)
class Dimension:
    """The values one parameter takes in a search.

    ``low``/``high``/``step`` are kept for numeric ranges so that the Bayesian search can treat
    the dimension as ordered (Optuna's int/float distributions) rather than as unrelated labels.
    """

    name: str
    values: tuple[Any, ...]
    kind: str
    low: float | None = None
    high: float | None = None
    step: float | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None and self.high is not None and self.step is not None


@dataclass(frozen=True)
class SearchSpace:
    """The cartesian product of some dimensions (declaration order of the strategy)."""

    dimensions: tuple[Dimension, ...]

    @property
    def size(self) -> int:
        return math.prod(len(d.values) for d in self.dimensions)

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.dimensions]

    def combinations(self) -> Iterator[dict[str, Any]]:
        """Every combination, the last dimension varying fastest."""
        names = self.names
        for values in itertools.product(*(d.values for d in self.dimensions)):
            yield dict(zip(names, values, strict=True))


@dataclass(frozen=True)
class ValidCombos:
    """Combinations the strategy accepted, how many it refused and one example why."""

    combos: list[dict[str, Any]]
    dropped: int
    example: str | None


def _range_values(param: Param, lo_s: str, hi_s: str, step_s: str | None) -> Dimension:
    if isinstance(param, IntParam):
        lo, hi = param.parse(lo_s), param.parse(hi_s)
        if lo is None or hi is None:
            raise InvalidArgumentError(f"--grid {param.name}: a range needs numbers at both ends")
        try:
            step = int(step_s) if step_s is not None else param.step
        except ValueError:
            raise InvalidArgumentError(
                f"--grid {param.name}: step {step_s!r} is not an integer"
            ) from None
        if step <= 0:
            raise InvalidArgumentError(f"--grid {param.name}: step must be > 0, got {step}")
        if lo > hi:
            raise InvalidArgumentError(f"--grid {param.name}: {lo} > {hi}; write low:high:step")
        values: list[Any] = list(range(lo, hi + 1, step))
        return Dimension(param.name, tuple(values), "int", lo, values[-1], step)
    if isinstance(param, FloatParam):
        flo, fhi = param.parse(lo_s), param.parse(hi_s)
        if flo is None or fhi is None:
            raise InvalidArgumentError(f"--grid {param.name}: a range needs numbers at both ends")
        if step_s is None and param.step is None:
            raise InvalidArgumentError(
                f"--grid {param.name}={lo_s}:{hi_s}: give a step (low:high:step); "
                "the parameter declares none"
            )
        try:
            fstep = float(step_s) if step_s is not None else float(param.step or 0.0)
        except ValueError:
            raise InvalidArgumentError(
                f"--grid {param.name}: step {step_s!r} is not a number"
            ) from None
        if not (math.isfinite(fstep) and fstep > 0):
            raise InvalidArgumentError(f"--grid {param.name}: step must be > 0, got {fstep}")
        if flo > fhi:
            raise InvalidArgumentError(f"--grid {param.name}: {flo} > {fhi}; write low:high:step")
        # A tolerance so that 0.1:0.3:0.1 includes 0.3 despite binary rounding.
        n = math.floor((fhi - flo) / fstep + 1e-9)
        fvalues = [param.parse(round(flo + i * fstep, 12)) for i in range(n + 1)]
        return Dimension(param.name, tuple(fvalues), "float", flo, fvalues[-1], fstep)
    raise InvalidArgumentError(
        f"--grid {param.name}: a {param.kind} parameter takes a list (a,b,c), not a range"
    )


def _parse_one(spec: str, declared: dict[str, Param]) -> Dimension:
    name, sep, body = spec.partition("=")
    name, body = name.strip(), body.strip()
    if not sep or not name or not body:
        raise InvalidArgumentError(
            f"--grid {spec!r} is not name=low:high:step or name=a,b,c (e.g. --grid fast=5:50:5)"
        )
    param = declared.get(name)
    if param is None:
        raise InvalidArgumentError(
            f"--grid {name}: the strategy has no parameter {name!r}; "
            f"its parameters are {', '.join(declared)}"
        )
    if ":" in body:
        parts = [p.strip() for p in body.split(":")]
        if len(parts) not in (2, 3) or not all(parts):
            raise InvalidArgumentError(f"--grid {spec!r}: a range is low:high or low:high:step")
        return _range_values(param, parts[0], parts[1], parts[2] if len(parts) == 3 else None)
    raw = [v.strip() for v in body.split(",")]
    if not all(raw):
        raise InvalidArgumentError(f"--grid {spec!r}: empty value in the list")
    values = list(dict.fromkeys(param.parse(v) for v in raw))  # keep order, drop repeats
    return Dimension(param.name, tuple(values), param.kind)


def _default_dimension(param: Param) -> Dimension:
    values = tuple(param.grid())
    if isinstance(param, IntParam) and len(values) > 1:
        return Dimension(param.name, values, "int", values[0], values[-1], param.step)
    if isinstance(param, FloatParam) and len(values) > 1 and param.step is not None:
        return Dimension(param.name, values, "float", values[0], values[-1], param.step)
    return Dimension(param.name, values, param.kind)


def parse_grid(
    strategy_cls: type[Strategy],
    specs: Sequence[str] | None,
    *,
    max_combinations: int | None = MAX_COMBINATIONS,
) -> SearchSpace:
    """The search space of ``specs`` for ``strategy_cls``.

    ``max_combinations`` guards searches that enumerate the product (grid); a sampler that
    only draws from the dimensions (Bayesian search) passes ``None``.

    Without specs, every declared parameter of the strategy's own (not the shared stop
    options) spans its declared ``grid()``: the range its author thought worth searching.
    Parameters without a spec keep their default. Naming a parameter twice is an error.
    """
    declared = strategy_cls.parameters()
    dims: dict[str, Dimension] = {}
    if specs:
        for spec in specs:
            dim = _parse_one(spec, declared)
            if dim.name in dims:
                raise InvalidArgumentError(f"--grid {dim.name} is given twice; give it once")
            dims[dim.name] = dim
    else:
        shared = set(Strategy.parameters())
        for key, param in declared.items():
            if key not in shared:
                dims[key] = _default_dimension(param)
        if not dims:
            raise InvalidArgumentError(
                f"strategy {strategy_cls.name!r} declares no parameters to search",
                hint="give --grid name=low:high:step",
            )
    ordered = tuple(dims[k] for k in declared if k in dims)
    space = SearchSpace(ordered)
    if max_combinations is not None and space.size > max_combinations:
        raise InvalidArgumentError(
            f"the grid has {space.size:,} combinations (limit {max_combinations:,})",
            hint="narrow it with --grid name=low:high:step, or use --method bayes",
        )
    return space


def validate_combinations(
    strategy_cls: type[Strategy], combos: Sequence[dict[str, Any]] | SearchSpace
) -> ValidCombos:
    """Keep the combinations ``strategy_cls(**params)`` accepts; count the ones it refuses.

    Only :class:`InvalidArgumentError` (the documented way for ``check_params`` to refuse)
    counts as "invalid"; any other exception is a bug in the strategy and propagates.
    """
    items = combos.combinations() if isinstance(combos, SearchSpace) else iter(combos)
    kept: list[dict[str, Any]] = []
    dropped = 0
    example: str | None = None
    for params in items:
        try:
            strategy_cls(**params)
        except InvalidArgumentError as exc:
            dropped += 1
            if example is None:
                example = f"{params}: {exc.message}"
            continue
        kept.append(params)
    return ValidCombos(kept, dropped, example)
