"""The portfolio a risk number is about: positions, their prices and currencies, and cash.

Why a validated model at the boundary: every risk figure is a sum of ``quantity * price * fx``
terms, so one bad input (a NaN price, a zero quantity left over from a closed position, a
typo in a symbol, a euro position read as dollars) silently corrupts the total. The checks
happen once, here, with messages that name the position; the numeric code behind it can then
trust its inputs.

Conventions:

* ``quantity`` is signed (negative = short) and never zero; ``price`` is per unit in the
  position's ``currency`` and, when given, finite and positive. A missing price is filled from
  the catalog's last close by the service (:meth:`Portfolio.with_prices`).
* ``fx_rates`` maps a currency to units of ``base_currency`` per unit of it (EUR -> 1.08 for a
  USD book). A position in a currency without a rate is refused with
  :class:`~neural_trader.core.errors.NotSupportedError`: inventing a rate would be inventing
  the position's size. The rate is held fixed: currency risk itself is not modelled.
* ``cash`` is in the base currency and carries no market risk; it counts in the portfolio's
  value (the denominator of every "fraction of value") and in rebalancing, nowhere else.

Files: CSV with a header (``symbol,quantity[,price][,currency]``; ``qty``/``shares`` accepted
for quantity) or JSON (a list of positions, or an object with ``positions`` and optionally
``cash``, ``base_currency`` and ``fx_rates``).
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from neural_trader.core.errors import (
    DataFormatError,
    InvalidArgumentError,
    NotFoundError,
    NotSupportedError,
    UnknownSymbolError,
)

__all__ = [
    "Portfolio",
    "Position",
    "build_portfolio",
    "check_symbols",
    "load_portfolio_file",
    "parse_positions",
]

FloatArray = npt.NDArray[np.float64]

_QTY_NAMES: Final = ("quantity", "qty", "shares", "units")
_KNOWN_COLUMNS: Final = frozenset({"symbol", "price", "currency", *_QTY_NAMES})


def _check_currency(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise ValueError(f"currency must be a 3-letter ISO code such as USD, got {value!r}")
    return code


class Position(BaseModel):
    """One holding: ``quantity`` units of ``symbol`` at ``price`` (in ``currency``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    symbol: str
    quantity: float
    price: float | None = None
    currency: str = "USD"

    @field_validator("symbol")
    @classmethod
    def _symbol(cls, value: str) -> str:
        text = value.strip()
        if not text:
            raise ValueError("symbol must not be empty")
        return text

    @field_validator("quantity")
    @classmethod
    def _quantity(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"quantity must be finite, got {value!r}")
        if value == 0.0:
            raise ValueError("quantity must be non-zero (drop closed positions from the file)")
        return value

    @field_validator("price")
    @classmethod
    def _price(cls, value: float | None) -> float | None:
        if value is not None and (not math.isfinite(value) or value <= 0.0):
            raise ValueError(f"price must be a positive finite number, got {value!r}")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        return _check_currency(value)


class Portfolio(BaseModel):
    """Positions (unique symbols), cash and the FX rates to value them in ``base_currency``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    positions: tuple[Position, ...]
    cash: float = 0.0
    base_currency: str = "USD"
    fx_rates: dict[str, float] = {}

    @field_validator("base_currency")
    @classmethod
    def _base(cls, value: str) -> str:
        return _check_currency(value)

    @field_validator("cash")
    @classmethod
    def _cash(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"cash must be finite, got {value!r}")
        return value

    @field_validator("fx_rates")
    @classmethod
    def _rates(cls, value: dict[str, float]) -> dict[str, float]:
        out: dict[str, float] = {}
        for cur, rate in value.items():
            if not math.isfinite(rate) or rate <= 0.0:
                raise ValueError(f"fx rate for {cur} must be a positive finite number, got {rate}")
            out[_check_currency(cur)] = float(rate)
        return out

    @model_validator(mode="after")
    def _unique(self) -> Portfolio:
        if not self.positions:
            raise ValueError("a portfolio needs at least one position")
        seen: set[str] = set()
        dupes: set[str] = set()
        for p in self.positions:
            (dupes if p.symbol in seen else seen).add(p.symbol)
        if dupes:
            raise ValueError(
                f"symbol(s) listed more than once: {', '.join(sorted(set(dupes)))}; "
                "combine them into one position each"
            )
        return self

    # -- derived values ---------------------------------------------------------------------

    @property
    def symbols(self) -> list[str]:
        return [p.symbol for p in self.positions]

    @property
    def quantities(self) -> FloatArray:
        return np.array([p.quantity for p in self.positions], dtype=np.float64)

    def fx_rate(self, currency: str) -> float:
        """Units of the base currency per unit of ``currency``; refuses an unknown rate."""
        if currency == self.base_currency:
            return 1.0
        rate = self.fx_rates.get(currency)
        if rate is None:
            raise NotSupportedError(
                f"a position is priced in {currency} but the portfolio's base currency is "
                f"{self.base_currency} and no {currency} rate was given; rates are never guessed",
                hint=f"pass the rate, e.g. --fx {currency}=1.0 (units of "
                f"{self.base_currency} per {currency}), or fx_rates in the JSON file",
            )
        return rate

    def missing_prices(self) -> list[str]:
        return [p.symbol for p in self.positions if p.price is None]

    def with_prices(self, prices: Mapping[str, float]) -> Portfolio:
        """A copy whose missing prices are taken from ``prices`` (given prices are kept)."""
        new = []
        for p in self.positions:
            if p.price is None:
                if p.symbol not in prices:
                    raise NotFoundError(f"no price for {p.symbol}")
                new.append(_validated(Position, {**p.model_dump(), "price": prices[p.symbol]}))
            else:
                new.append(p)
        return self.model_copy(update={"positions": tuple(new)})

    def prices(self) -> FloatArray:
        missing = self.missing_prices()
        if missing:
            raise InvalidArgumentError(
                f"no price for {', '.join(missing)}: give one in the file or read the last "
                "close from the catalog first"
            )
        return np.array([p.price for p in self.positions], dtype=np.float64)

    def exposures(self) -> FloatArray:
        """Signed market value of each position in the base currency: ``q * price * fx``."""
        fx = np.array([self.fx_rate(p.currency) for p in self.positions], dtype=np.float64)
        return self.quantities * self.prices() * fx

    def net_value(self) -> float:
        """Positions' net market value plus cash, in the base currency."""
        return float(self.exposures().sum()) + self.cash

    def gross_exposure(self) -> float:
        return float(np.abs(self.exposures()).sum())

    def value_base(self) -> tuple[float, str]:
        """The denominator of "fraction of value" and its name.

        The net value (positions plus cash) when it is positive: what the owner can lose.
        A book whose net value is zero or negative (market-neutral, net short) has no such
        capital figure, so the gross exposure is used instead and named so.
        """
        net = self.net_value()
        if net > 0.0:
            return net, "net_value"
        return self.gross_exposure(), "gross_exposure"


def _format_validation(exc: ValidationError, labels: Mapping[int, str] | None = None) -> str:
    parts = []
    for err in exc.errors():
        loc = list(err.get("loc", ()))
        where = ""
        if len(loc) >= 2 and loc[0] == "positions" and isinstance(loc[1], int):
            idx = loc[1]
            label = (labels or {}).get(idx, f"position {idx + 1}")
            where = label + (f" {loc[2]}" if len(loc) > 2 else "")
        elif loc:
            where = ".".join(str(x) for x in loc)
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        parts.append(f"{where}: {msg}" if where else msg)
    return "; ".join(parts)


def _validated(model: type[Position], data: Mapping[str, Any]) -> Position:
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise InvalidArgumentError(f"invalid position: {_format_validation(exc)}") from None


def build_portfolio(
    positions: Iterable[Position | Mapping[str, Any]],
    *,
    cash: float = 0.0,
    base_currency: str = "USD",
    fx_rates: Mapping[str, float] | None = None,
    source: str = "portfolio",
) -> Portfolio:
    """Validate raw positions into a :class:`Portfolio`, or raise one readable error.

    Every problem is reported at once, each named by its position (``row 3 (AAPL) quantity:
    ...``), as :class:`InvalidArgumentError`; pydantic's own error text is not shown raw.
    """
    rows = [p.model_dump() if isinstance(p, Position) else dict(p) for p in positions]
    labels = {}
    for i, row in enumerate(rows):
        sym = row.get("symbol")
        labels[i] = f"{source} row {i + 1}" + (f" ({sym})" if sym else "")
    try:
        return Portfolio.model_validate(
            {
                "positions": rows,
                "cash": cash,
                "base_currency": base_currency,
                "fx_rates": dict(fx_rates or {}),
            }
        )
    except ValidationError as exc:
        raise InvalidArgumentError(f"invalid {source}: {_format_validation(exc, labels)}") from None


def check_symbols(portfolio: Portfolio, known: Collection[str]) -> None:
    """Raise :class:`UnknownSymbolError` (with close matches) for the first unknown symbol."""
    known_list = sorted(known)
    for sym in portfolio.symbols:
        if sym not in known:
            raise UnknownSymbolError(sym, known=known_list)


def _float(text: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise InvalidArgumentError(f"{what} {text!r} is not a number") from None


def parse_positions(text: str) -> list[dict[str, Any]]:
    """``"AAPL:10,MSFT:-5@310.5"`` -> raw positions (``SYM:QTY`` with an optional ``@PRICE``)."""
    out: list[dict[str, Any]] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        sym, sep, rest = item.partition(":")
        if not sep or not sym.strip() or not rest.strip():
            raise InvalidArgumentError(
                f"position {item!r} is not SYMBOL:QUANTITY (e.g. AAPL:10 or AAPL:10@185.5)"
            )
        qty_text, at, price_text = rest.partition("@")
        row: dict[str, Any] = {
            "symbol": sym.strip(),
            "quantity": _float(qty_text.strip(), f"quantity of {sym.strip()}"),
        }
        if at:
            row["price"] = _float(price_text.strip(), f"price of {sym.strip()}")
        out.append(row)
    if not out:
        raise InvalidArgumentError("no positions given (expected SYM:QTY,SYM:QTY,...)")
    return out


def _read_csv(path: Path) -> list[dict[str, Any]]:
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        if "symbol" not in header:
            raise DataFormatError(
                f"{path}: a portfolio CSV needs a header with 'symbol' and 'quantity' columns "
                f"(optional: price, currency); found {header or 'no header'}"
            )
        unknown = [h for h in header if h not in _KNOWN_COLUMNS]
        if unknown:
            raise DataFormatError(
                f"{path}: unknown column(s) {', '.join(unknown)}; accepted: symbol, "
                "quantity (or qty/shares/units), price, currency"
            )
        qty_cols = [h for h in header if h in _QTY_NAMES]
        if len(qty_cols) != 1:
            raise DataFormatError(f"{path}: need exactly one quantity column, found {qty_cols}")
        rows: list[dict[str, Any]] = []
        for n, raw in enumerate(reader, start=2):
            rec = {str(k).strip().lower(): (v or "").strip() for k, v in raw.items() if k}
            if not any(rec.values()):
                continue
            row: dict[str, Any] = {
                "symbol": rec["symbol"],
                "quantity": _float(rec[qty_cols[0]], f"{path} line {n}: quantity"),
            }
            if rec.get("price"):
                row["price"] = _float(rec["price"], f"{path} line {n}: price")
            if rec.get("currency"):
                row["currency"] = rec["currency"]
            rows.append(row)
    return rows


def load_portfolio_file(
    path: str | Path,
    *,
    cash: float | None = None,
    base_currency: str | None = None,
    fx_rates: Mapping[str, float] | None = None,
) -> Portfolio:
    """Read a CSV or JSON portfolio file (by extension) and validate it.

    Keyword arguments override (``cash``, ``base_currency``) or extend (``fx_rates``) what
    the file says, so a command-line ``--fx`` can supply a rate the file lacks.
    """
    p = Path(path)
    if not p.is_file():
        raise NotFoundError(f"portfolio file {p} does not exist")
    meta: dict[str, Any] = {}
    suffix = p.suffix.lower()
    if suffix == ".json":
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataFormatError(f"{p}: not valid JSON ({exc})") from None
        if isinstance(doc, list):
            rows = doc
        elif isinstance(doc, dict) and isinstance(doc.get("positions"), list):
            rows = doc["positions"]
            extra = set(doc) - {"positions", "cash", "base_currency", "fx_rates"}
            if extra:
                raise DataFormatError(f"{p}: unknown key(s) {', '.join(sorted(extra))}")
            meta = {k: doc[k] for k in ("cash", "base_currency", "fx_rates") if k in doc}
        else:
            raise DataFormatError(
                f"{p}: expected a list of positions or an object with a 'positions' list"
            )
        if not all(isinstance(r, dict) for r in rows):
            raise DataFormatError(f"{p}: every position must be an object")
    elif suffix in (".csv", ".txt"):
        rows = _read_csv(p)
    else:
        raise DataFormatError(f"{p}: portfolio files are .csv or .json, not {suffix or 'none'}")
    rates = {**dict(meta.get("fx_rates") or {}), **dict(fx_rates or {})}
    return build_portfolio(
        rows,
        cash=float(meta.get("cash", 0.0)) if cash is None else cash,
        base_currency=base_currency or str(meta.get("base_currency", "USD")),
        fx_rates=rates,
        source=p.name,
    )
