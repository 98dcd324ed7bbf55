"""Alpaca's tradable US equities as core instruments (``GET /v2/assets``).

Each active ``us_equity`` asset on a listing venue we model becomes an
:class:`~neural_trader.core.instruments.Equity` whose size grid says what Alpaca accepts:
fractionable assets trade in steps of 1e-9 shares (Alpaca's nine decimal places), the rest in
whole shares. Prices sit on the $0.01 grid. (Alpaca also takes four decimals below $1, the
sub-penny exemption; the core equity has one increment, so sub-dollar limit prices are held to
cents here: stricter than Alpaca, never looser.)

Assets on venues outside :class:`~neural_trader.core.enums.Exchange` (OTC, crypto) are skipped
with a debug line; their raw flags stay available through :meth:`AlpacaInstrumentProvider.assets`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from neural_trader.adapters.alpaca.config import AlpacaConfig
from neural_trader.adapters.alpaca.execution import AlpacaRest, make_trading_client
from neural_trader.adapters.alpaca.parsing import parse_decimal
from neural_trader.core.enums import AssetClass, Exchange
from neural_trader.core.errors import BrokerError, InvalidArgumentError
from neural_trader.core.identifiers import InstrumentId, Symbol, Venue
from neural_trader.core.instruments import Equity
from neural_trader.core.values import USD, Price, Quantity
from neural_trader.execution.throttle import Sleep, TokenBucket

__all__ = ["AlpacaAsset", "AlpacaInstrumentProvider", "asset_to_equity"]

log = logging.getLogger(__name__)

_EXCHANGES: Final = {
    "NYSE": Exchange.NYSE,
    "NASDAQ": Exchange.NASDAQ,
    "AMEX": Exchange.AMEX,
    "ARCA": Exchange.NYSE_ARCA,
    "BATS": Exchange.BATS,
}
_FRACTION_STEP: Final = Quantity.from_str("0.000000001")
_WHOLE_SHARE: Final = Quantity.from_int(1)
_CENT: Final = Price.from_str("0.01")


@dataclass(frozen=True, slots=True)
class AlpacaAsset:
    """The flags Alpaca keeps per asset that the core instrument has no field for."""

    symbol: str
    exchange: str
    name: str
    tradable: bool
    fractionable: bool
    shortable: bool
    easy_to_borrow: bool
    marginable: bool


def _asset(raw: dict[str, Any]) -> AlpacaAsset:
    return AlpacaAsset(
        symbol=str(raw["symbol"]),
        exchange=str(raw.get("exchange", "")),
        name=str(raw.get("name") or ""),
        tradable=bool(raw.get("tradable")),
        fractionable=bool(raw.get("fractionable")),
        shortable=bool(raw.get("shortable")),
        easy_to_borrow=bool(raw.get("easy_to_borrow")),
        marginable=bool(raw.get("marginable")),
    )


def _quantity(value: Any, what: str) -> Quantity:
    d = parse_decimal(value, what).normalize()
    return Quantity.from_str(format(d, "f"))


def asset_to_equity(raw: dict[str, Any]) -> Equity | None:
    """One ``/v2/assets`` object to an :class:`Equity`, or ``None`` when it is not a US equity
    on a venue we model (or not tradable)."""
    if raw.get("class") != "us_equity" or not raw.get("tradable"):
        return None
    exchange = _EXCHANGES.get(str(raw.get("exchange", "")).upper())
    symbol = str(raw.get("symbol", ""))
    if exchange is None or not symbol:
        log.debug("alpaca asset %r on %r skipped: venue not modelled", symbol, raw.get("exchange"))
        return None
    size_increment = _FRACTION_STEP if raw.get("fractionable") else _WHOLE_SHARE
    if raw.get("min_trade_increment"):
        size_increment = _quantity(raw["min_trade_increment"], "min trade increment")
    price_increment = _CENT
    if raw.get("price_increment"):
        price_increment = Price.from_str(
            format(parse_decimal(raw["price_increment"], "price increment").normalize(), "f")
        )
    min_quantity = None
    if raw.get("min_order_size"):
        min_quantity = _quantity(raw["min_order_size"], "min order size")
    try:
        return Equity(
            id=InstrumentId(Symbol(symbol), Venue(exchange.value)),
            asset_class=AssetClass.EQUITY,
            quote_currency=USD,
            price_precision=price_increment.precision,
            price_increment=price_increment,
            size_precision=size_increment.precision,
            size_increment=size_increment,
            lot_size=Quantity.from_int(100),
            min_quantity=min_quantity,
            min_price=Price.from_raw(0, price_increment.precision),
            exchange=exchange,
        )
    except InvalidArgumentError as exc:
        log.debug("alpaca asset %r skipped: %s", symbol, exc.message)
        return None


class AlpacaInstrumentProvider:
    """Loads instruments from the trading API (share ``bucket`` with the broker: same quota)."""

    def __init__(
        self,
        config: AlpacaConfig,
        *,
        bucket: TokenBucket | None = None,
        sleep: Sleep = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._client = make_trading_client(config)
        self.bucket = bucket if bucket is not None else TokenBucket(config.rate_per_minute)
        self.rest = AlpacaRest(self._client, self.bucket, sleep=sleep, rng=rng)
        self._assets: dict[str, AlpacaAsset] = {}

    async def load_all(self) -> list[Equity]:
        """Every active, tradable US equity on a modelled venue
        (``GET /v2/assets?status=active&asset_class=us_equity``)."""
        params = {"status": "active", "asset_class": "us_equity"}
        raw = await self.rest.read(lambda: self._client.get("/assets", params), "assets")
        if not isinstance(raw, list):
            raise BrokerError("Alpaca assets: expected a JSON array")
        out: list[Equity] = []
        for item in raw:
            if not isinstance(item, dict) or "symbol" not in item:
                continue
            self._assets[str(item["symbol"])] = _asset(item)
            equity = asset_to_equity(item)
            if equity is not None:
                out.append(equity)
        return out

    async def load(self, symbol: str) -> Equity | None:
        """One asset (``GET /v2/assets/{symbol}``); ``None`` when Alpaca does not list it or it
        is not a tradable US equity on a modelled venue."""
        path = f"/assets/{quote(symbol, safe='')}"
        raw = await self.rest.read(
            lambda: self._client.get(path), f"asset {symbol}", none_on_404=True
        )
        if raw is None:
            return None
        if not isinstance(raw, dict):
            raise BrokerError(f"Alpaca asset {symbol}: expected a JSON object")
        self._assets[str(raw.get("symbol", symbol))] = _asset(raw)
        return asset_to_equity(raw)

    def assets(self) -> dict[str, AlpacaAsset]:
        """The raw flags of every asset loaded so far, by symbol."""
        return dict(self._assets)

    def close(self) -> None:
        self.rest.close()
