"""Data tools the original lacked and agents need: candles, indicators, import, catalog listing.

Backed by :mod:`neural_trader.services.data` (the ``data`` CLI) and
:mod:`neural_trader.services.market`. ``import_data`` reads a file on the server's machine
into the catalog, validating it exactly as ``neural-trader data import`` does (a file with
errors is refused and nothing is written).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from neural_trader.fronts.mcp.models import (
    DataListOut,
    DateArg,
    ImportOut,
    IndicatorArg,
    SymbolArg,
    ValidationOut,
    date_str,
)
from neural_trader.fronts.mcp.runtime import ToolSet, run_light
from neural_trader.services.data_views import BarsView
from neural_trader.services.market import IndicatorTable

__all__ = ["register"]

SpecArg = Annotated[
    str | None,
    Field(
        pattern=r"^\d+[A-Za-z]+$",
        description="bar spec such as 1d, 1h, 5m (default: the finest stored)",
    ),
]


def register(tools: ToolSet) -> None:
    state = tools.state

    @tools.tool(title="Get candles")
    async def get_candles(
        symbol: SymbolArg,
        spec: SpecArg = None,
        start_date: DateArg | None = None,
        end_date: DateArg | None = None,
        limit: Annotated[int, Field(ge=1, le=10_000, description="rows to return")] = 100,
        tail: Annotated[bool, Field(description="the last rows (false: the first)")] = True,
        adjusted: Annotated[
            bool, Field(description="split/dividend-adjusted OHLC (when adj_close is stored)")
        ] = False,
    ) -> BarsView:
        """OHLCV bars of a symbol from the catalog, with range statistics."""
        from neural_trader.services.data import show_data

        return await run_light(
            state,
            lambda: show_data(
                symbol,
                spec=spec,
                start=date_str(start_date),
                end=date_str(end_date),
                limit=limit,
                tail=tail,
                adjusted=adjusted,
            ),
        )

    @tools.tool(title="Compute indicators")
    async def compute_indicators(
        symbol: SymbolArg,
        indicators: Annotated[
            list[IndicatorArg],
            Field(
                min_length=1,
                max_length=50,
                description="e.g. [{'name': 'rsi'}, {'name': 'sma', 'params': {'timeperiod': "
                "50}}]; any TA-Lib function by lower-case name, plus vwap, rolling_zscore",
            ),
        ],
        spec: SpecArg = None,
        start_date: DateArg | None = None,
        end_date: DateArg | None = None,
        limit: Annotated[int, Field(ge=1, le=10_000, description="last rows returned")] = 50,
    ) -> IndicatorTable:
        """Technical indicators on a symbol's bars (computed over the whole range, the last
        `limit` rows returned; warm-up rows are null)."""
        from neural_trader.services.market import indicator_values

        items = [i.model_dump() for i in indicators]
        return await run_light(
            state,
            lambda: indicator_values(
                symbol,
                items,
                spec=spec,
                start=date_str(start_date),
                end=date_str(end_date),
                limit=limit,
            ),
        )

    @tools.tool(title="Import data", read_only=False, idempotent=False)
    async def import_data(
        path: Annotated[str, Field(min_length=1, description="bar file on the server's disk")],
        symbol: SymbolArg,
        spec: SpecArg = None,
        layout: Annotated[
            Literal["auto", "yahoo", "datetime", "generic"], Field(description="file layout")
        ] = "auto",
        tz: Annotated[str, Field(description="time zone of naive timestamps")] = "UTC",
        mode: Annotated[
            Literal["append", "overwrite", "upsert"],
            Field(description="append refuses overlaps; upsert replaces them"),
        ] = "append",
        repair: Annotated[
            bool, Field(description="repair what validation can repair instead of refusing")
        ] = False,
        calendar: Annotated[
            str | None, Field(description="exchange calendar for gap checks, e.g. XNYS")
        ] = None,
    ) -> ImportOut:
        """Validate a bar file and store it in the catalog (refused, nothing written, on any
        validation error unless repair is on)."""
        from neural_trader.services.data import import_file

        s = await run_light(
            state,
            lambda: import_file(
                path,
                symbol,
                spec=spec,
                layout=layout,
                tz=tz,
                repair=repair,
                calendar=calendar,
                mode=mode,
            ),
        )
        return ImportOut(
            **s.model_dump(exclude={"validation"}),
            validation=ValidationOut.model_validate(s.validation.model_dump()),
        )

    @tools.tool(title="List data")
    async def list_data() -> DataListOut:
        """Every series in the catalog: symbol, bar spec, rows, first and last bar, columns."""
        from neural_trader.services.data import list_data as entries

        rows = await run_light(state, entries)
        return DataListOut(count=len(rows), entries=rows)
