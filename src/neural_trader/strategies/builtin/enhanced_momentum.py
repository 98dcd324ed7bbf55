"""Enhanced momentum: the momentum strategy, its entries confirmed by sentiment and a model."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from neural_trader.core.data import Bar
from neural_trader.core.errors import InvalidArgumentError
from neural_trader.strategies.base import DataRequirement, StrategyContext, StrategyData
from neural_trader.strategies.builtin.momentum import Momentum, hold_state, on_change
from neural_trader.strategies.parameters import BoolParam, FloatParam
from neural_trader.strategies.registry import register

__all__ = ["EnhancedMomentum"]

FloatArray = npt.NDArray[np.float64]
NAN = math.nan
OPPOSED = -0.5
"""``direction * sentiment`` below this halves the confidence (the original's rule)."""

NOTE_NO_FEEDS = "no sentiment feed: momentum alone"
NOTE_NO_SENTIMENT = "no sentiment feed: momentum confirmed by the model score only"
NOTE_NO_MODEL = "no model_score feed: momentum confirmed by sentiment only"


def _check_feed(name: str, values: FloatArray, low: float, high: float) -> None:
    bad = np.flatnonzero(~np.isnan(values) & ((values < low) | (values > high)))
    if bad.size:
        i = int(bad[0])
        raise InvalidArgumentError(
            f"feed {name!r} is {values[i]!r} at bar {i}; its values must lie in [{low}, {high}]"
        )


@register
class EnhancedMomentum(Momentum):
    """Momentum (see :class:`Momentum` for every rule) whose entries need enough *confidence*.

    On a momentum entry bar with direction ``d`` (+1 long, -1 short)::

        base = min(1, |z| / (2 * entry_z))                # 0.5 at the threshold, 1 at twice it
        conf = base * (1 - ws - wm) + ((d * sent + 1) / 2) * ws + s_d * wm
        conf = conf / 2  if d * sent < -0.5               # sentiment clearly opposes

    ``sent`` is the ``sentiment`` feed ([-1, 1]); ``s_d`` is the ``model_score`` feed ([0, 1],
    the model's probability of a rise) for a long and ``1 - model_score`` for a short, so each
    feed supports the side it points to. ``ws``/``wm`` are ``sentiment_weight``/``model_weight``
    on bars where that feed has a value and 0 where it is NaN or absent (its weight returns to
    ``base``). The entry is taken only when ``conf >= min_confidence``. Exits are momentum's.

    Target: ``d`` (default), or ``d * conf`` with ``scale_by_confidence`` (the sizer then
    commits that fraction). A bar with neither feed is plain momentum: no gate, target ``d``.
    So without feeds the strategy is exactly :class:`Momentum` and says so in ``notes``.
    """

    name: ClassVar[str] = "enhanced_momentum"
    description: ClassVar[str] = (
        "Momentum entries gated by a confidence blending sentiment and a model score"
    )
    requires: ClassVar[tuple[DataRequirement, ...]] = (
        DataRequirement("sentiment", "series", "news sentiment per bar in [-1, 1]", optional=True),
        DataRequirement(
            "model_score",
            "series",
            "a model's probability that the price rises, per bar in [0, 1]",
            optional=True,
        ),
    )

    sentiment_weight = FloatParam(
        0.3, low=0.0, high=1.0, step=0.1, description="weight of sentiment in the confidence"
    )
    model_weight = FloatParam(
        0.2, low=0.0, high=1.0, step=0.1, description="weight of the model score"
    )
    min_confidence = FloatParam(
        0.5, low=0.05, high=1.0, step=0.05, description="enter only at this confidence or above"
    )
    scale_by_confidence = BoolParam(
        False, description="target direction * confidence instead of the direction alone"
    )

    def check_params(self) -> None:
        super().check_params()
        total = self.p.sentiment_weight + self.p.model_weight
        if total > 1.0:
            raise InvalidArgumentError(
                f"parameter sentiment_weight={self.p.sentiment_weight} plus "
                f"model_weight={self.p.model_weight} is {total}; the weights must sum to <= 1"
            )

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def _feed_notes(self, has_sentiment: bool, has_model: bool) -> None:
        if not has_sentiment and not has_model:
            self._note(NOTE_NO_FEEDS)
        elif not has_sentiment:
            self._note(NOTE_NO_SENTIMENT)
        elif not has_model:
            self._note(NOTE_NO_MODEL)

    # -- vectorized ---------------------------------------------------------------------------
    def signals(self, data: StrategyData) -> FloatArray:
        p = self.p
        n = len(data)
        z, le, se, flat, lx, sx = self._conditions(data)
        sent_feed = data.feed("sentiment")
        model_feed = data.feed("model_score")
        sent = np.full(n, NAN) if sent_feed is None else np.asarray(sent_feed, dtype=np.float64)
        score = np.full(n, NAN) if model_feed is None else np.asarray(model_feed, np.float64)
        _check_feed("sentiment", sent, -1.0, 1.0)
        _check_feed("model_score", score, 0.0, 1.0)
        has_s = ~np.isnan(sent)
        has_m = ~np.isnan(score)
        self._feed_notes(bool(has_s.any()), bool(has_m.any()))

        s0 = np.where(has_s, sent, 0.0)
        m0 = np.where(has_m, score, 0.0)
        ws = np.where(has_s, p.sentiment_weight, 0.0)
        wm = np.where(has_m, p.model_weight, 0.0)
        base = np.minimum(1.0, np.abs(z) / (2.0 * p.entry_z))
        rest = 1.0 - ws - wm
        conf_long = base * rest + ((s0 + 1.0) / 2.0) * ws + m0 * wm
        conf_long = np.where(s0 < OPPOSED, conf_long / 2.0, conf_long)
        conf_short = base * rest + ((-s0 + 1.0) / 2.0) * ws + (1.0 - m0) * wm
        conf_short = np.where(-s0 < OPPOSED, conf_short / 2.0, conf_short)
        no_feed = ~has_s & ~has_m
        le = le & (no_feed | (conf_long >= p.min_confidence))
        se = se & (no_feed | (conf_short >= p.min_confidence))
        if p.scale_by_confidence:
            long_value = np.where(no_feed, 1.0, conf_long)
            short_value = np.where(no_feed, 1.0, conf_short)
            return on_change(hold_state(le, se, flat, lx, sx, long_value, short_value))
        return on_change(hold_state(le, se, flat, lx, sx))

    # -- event path ---------------------------------------------------------------------------
    def on_start(self, ctx: StrategyContext, **kwargs: Any) -> None:
        super().on_start(ctx, **kwargs)
        self._seen_sentiment = False
        self._seen_model = False

    def _confidence(self, d: float, z: float, sent: float, score: float) -> float:
        """One bar's confidence for direction ``d``; same operations as :meth:`signals`."""
        p = self.p
        has_s = sent == sent
        has_m = score == score
        s0 = sent if has_s else 0.0
        m0 = score if has_m else 0.0
        ws: float = p.sentiment_weight if has_s else 0.0
        wm: float = p.model_weight if has_m else 0.0
        base: float = min(1.0, abs(z) / (2.0 * p.entry_z))
        rest = 1.0 - ws - wm
        if d > 0:
            conf = base * rest + ((s0 + 1.0) / 2.0) * ws + m0 * wm
            return conf / 2.0 if s0 < OPPOSED else conf
        conf = base * rest + ((-s0 + 1.0) / 2.0) * ws + (1.0 - m0) * wm
        return conf / 2.0 if -s0 < OPPOSED else conf

    def on_bar(self, ctx: StrategyContext, bar: Bar, **kwargs: Any) -> None:
        p = self.p
        sent = float(ctx.feed("sentiment"))
        score = float(ctx.feed("model_score"))
        if sent == sent:
            if not -1.0 <= sent <= 1.0:
                raise InvalidArgumentError(
                    f"feed 'sentiment' is {sent!r} at bar {ctx.bar_index}; "
                    "its values must lie in [-1.0, 1.0]"
                )
            self._seen_sentiment = True
        if score == score:
            if not 0.0 <= score <= 1.0:
                raise InvalidArgumentError(
                    f"feed 'model_score' is {score!r} at bar {ctx.bar_index}; "
                    "its values must lie in [0.0, 1.0]"
                )
            self._seen_model = True
        z, le, se, flat, lx, sx = self._bar_conditions(bar.close)
        no_feed = sent != sent and score != score
        long_value = short_value = 1.0
        if le and not no_feed:
            long_value = self._confidence(1.0, z, sent, score)
            le = long_value >= p.min_confidence
        if se and not no_feed:
            short_value = self._confidence(-1.0, z, sent, score)
            se = short_value >= p.min_confidence
        if not p.scale_by_confidence:
            long_value = short_value = 1.0
        target = self._state.step(le, se, flat, lx, sx, long_value, short_value)
        if target == target:
            ctx.target(target)

    def on_stop(self, ctx: StrategyContext, **kwargs: Any) -> None:
        self._feed_notes(self._seen_sentiment, self._seen_model)
