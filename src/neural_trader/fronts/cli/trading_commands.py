"""``neural-trader trade`` and the account commands: orders, positions, account, reconcile,
kill, resume."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from neural_trader.core.errors import InvalidArgumentError
from neural_trader.fronts.cli.options import JsonOpt, StrategyOpt
from neural_trader.fronts.cli.output import console, run_command
from neural_trader.fronts.cli.research_commands import SizerName, parse_params

if TYPE_CHECKING:
    from neural_trader.services.runners import RunnerView, SwitchResult
    from neural_trader.services.trading import TradeResult


class BrokerChoice(StrEnum):
    paper = "paper"
    alpaca = "alpaca"


BrokerOpt = Annotated[
    BrokerChoice,
    typer.Option(
        "--broker", help="paper (default, simulated) or alpaca (NT_LIVE_TRADING for live)."
    ),
]


def parse_speed(value: str | None) -> float | None:
    """``max`` (or nothing) replays as fast as possible; a number is a multiple of real time."""
    if value is None or value.strip().lower() == "max":
        return None
    try:
        speed = float(value)
    except ValueError:
        raise InvalidArgumentError(f"--speed must be 'max' or a number, got {value!r}") from None
    return speed


def trade(
    strategy: StrategyOpt,
    symbol: Annotated[str, typer.Option("--symbol", help="Symbol to trade.")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Strategy parameter name=value, repeatable."),
    ] = None,
    broker: BrokerOpt = BrokerChoice.paper,
    replay: Annotated[
        Path | None,
        typer.Option(
            "--replay",
            help="Replay this bar file as the market feed (without it: Alpaca's live 1m bars).",
        ),
    ] = None,
    speed: Annotated[
        str | None, typer.Option("--speed", help="Replay speed: max (default) or N x real time.")
    ] = None,
    cash: Annotated[
        float | None,
        typer.Option("--cash", help="Paper account cash (only when the account is created)."),
    ] = None,
    fees: Annotated[
        float | None,
        typer.Option("--fees", help="Paper fee rate per side (only when the account is created)."),
    ] = None,
    slippage: Annotated[
        float | None, typer.Option("--slippage", help="Paper slippage rate (at creation).")
    ] = None,
    sizer: Annotated[
        SizerName, typer.Option("--sizer", help="How targets become quantities.")
    ] = SizerName.all_in,
    lot_size: Annotated[
        float, typer.Option("--lot-size", help="Order quantities in multiples of this (0: any).")
    ] = 0.0,
    warmup: Annotated[
        int,
        typer.Option("--warmup", help="Live feed: history bars to warm the strategy up on."),
    ] = 200,
    new_run: Annotated[
        bool, typer.Option("--new-run", help="Start over instead of resuming this run.")
    ] = False,
    bar: Annotated[
        str | None,
        typer.Option("--bar", help="Live feed: bar size built from minute bars (5m, 15m, 30m)."),
    ] = None,
    size_buffer: Annotated[
        float | None,
        typer.Option(
            "--size-buffer",
            help="Live feed: size orders at the last close raised by this fraction (0.005).",
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Trade a strategy through risk checks and the journal on a paper or live broker."""
    from neural_trader.services.trading import trade as run_trade

    def call() -> TradeResult:
        return run_trade(
            strategy,
            symbol=symbol,
            params=parse_params(param),
            broker=broker.value,
            replay=replay,
            speed=parse_speed(speed),
            cash=cash,
            fees=fees,
            slippage=slippage,
            sizer=sizer.value,
            lot_size=lot_size,
            warmup=warmup,
            new_run=new_run,
            bar=bar,
            size_buffer=size_buffer,
        )

    def render(r: TradeResult) -> None:
        what = "resumed" if r.resumed else "started"
        console.print(
            f"[bold]{r.strategy}[/] on {r.symbol} via {r.broker}: run {r.run_id} {what}; "
            f"{r.bars} bars traded ({r.warmup_bars} replayed to warm up, "
            f"{r.rejected_bars} rejected)"
        )
        console.print(
            f"orders sent {r.orders_sent}, denied {r.orders_denied}, fills {r.fills}; "
            f"position {r.position:g}, cash {r.cash:,.2f}, equity {r.equity:,.2f}"
        )
        for sw in r.switches:
            how = "closing the position" if sw["close_positions"] else "taking the position over"
            console.print(f"switched {sw['from']} -> {sw['to']} at bar {sw['bar_ts']} ({how})")
        if r.halted:
            console.print("[bold red]kill switch is on[/]: `neural-trader resume` lifts it")
        if r.interrupted:
            console.print("stopped by a signal; run the same command again to resume")
        orders_table(r.orders[:20], title="orders of this run (newest first)")
        positions_table(r.positions)
        for note in r.notes[:10]:
            console.print(f"[yellow]note:[/] {escape(note)}")

    run_command(as_json, call, render)


def orders(
    broker: BrokerOpt = BrokerChoice.paper,
    open_only: Annotated[
        bool, typer.Option("--open", help="Only orders that may still trade.")
    ] = False,
    symbol: Annotated[str | None, typer.Option("--symbol", help="Only this symbol.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many (newest first).")] = 50,
    as_json: JsonOpt = False,
) -> None:
    """Orders in the journal, newest first."""
    from neural_trader.services.trading import list_orders

    run_command(
        as_json,
        lambda: list_orders(broker=broker.value, open_only=open_only, symbol=symbol, limit=limit),
        lambda rows: orders_table(rows, title=f"{broker.value} orders"),
    )


def positions(broker: BrokerOpt = BrokerChoice.paper, as_json: JsonOpt = False) -> None:
    """Net positions in the journal."""
    from neural_trader.services.trading import list_positions

    run_command(as_json, lambda: list_positions(broker=broker.value), positions_table)


def account(broker: BrokerOpt = BrokerChoice.paper, as_json: JsonOpt = False) -> None:
    """The broker account now, and whether trading is halted."""
    from neural_trader.services.trading import account_view

    def render(a: dict[str, Any]) -> None:
        console.print(
            f"[bold]{a['broker']}[/] account {a['account_id']} ({a['currency']}): cash "
            f"{a['cash']:,.2f}, equity {a['equity']:,.2f}, buying power {a['buying_power']:,.2f}"
        )
        state = a["trading_state"]
        colour = "green" if state == "ACTIVE" else "bold red"
        reason = f" ({escape(a['kill_reason'])})" if a.get("kill_reason") else ""
        console.print(f"trading: [{colour}]{state}[/]{reason}")
        positions_table(a["positions"])

    run_command(as_json, lambda: account_view(broker=broker.value), render)


def reconcile(broker: BrokerOpt = BrokerChoice.paper, as_json: JsonOpt = False) -> None:
    """Compare the journal with the broker; repair and report the differences."""
    from neural_trader.services.trading import reconcile_now

    def render(r: dict[str, Any]) -> None:
        verdict = "[green]in agreement[/]" if r["ok"] else "[bold red]NOT in agreement[/]"
        console.print(f"journal and broker: {verdict}")
        console.print(
            f"in-flight resolved {len(r['resolved'])}, refreshed {len(r['refreshed'])}, "
            f"external adopted {len(r['adopted'])}, fills applied {r['fills_applied']}"
        )
        for rep in r["repairs"]:
            console.print(
                f"repaired {rep['symbol']}: journal {rep['journal_quantity']:g} -> broker "
                f"{rep['broker_quantity']:g}"
            )
        for text in r["problems"] + r["warnings"]:
            console.print(f"[yellow]{escape(text)}[/]")

    run_command(as_json, lambda: reconcile_now(broker=broker.value), render)


def kill(
    broker: BrokerOpt = BrokerChoice.paper,
    flatten: Annotated[
        bool | None,
        typer.Option("--flatten/--no-flatten", help="Also close every position (default: config)."),
    ] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why (kept with the state).")] = (
        "manual kill"
    ),
    as_json: JsonOpt = False,
) -> None:
    """Halt trading: cancel open orders, optionally flatten, refuse new orders until resume."""
    from neural_trader.services.trading import kill as do_kill

    def render(r: dict[str, Any]) -> None:
        console.print(f"[bold red]trading {r['trading_state']}[/]: {escape(r['reason'])}")
        if r["cancelled"] is not None:
            console.print(f"open orders cancelled: {r['cancelled']}")
        console.print(f"enforced by {r['enforced_by']}; flatten: {r['flatten']}")

    run_command(
        as_json, lambda: do_kill(broker=broker.value, flatten=flatten, reason=reason), render
    )


def resume(broker: BrokerOpt = BrokerChoice.paper, as_json: JsonOpt = False) -> None:
    """Lift the kill switch."""
    from neural_trader.services.trading import resume as do_resume

    run_command(
        as_json,
        lambda: do_resume(broker=broker.value),
        lambda r: console.print(f"trading {r['trading_state']} (was {r['was']})"),
    )


def switch(
    from_strategy: Annotated[
        str, typer.Option("--from", help="The strategy running now (a safety check).")
    ],
    to_strategy: Annotated[str, typer.Option("--to", help="The strategy to run instead.")],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="The new strategy's parameter name=value."),
    ] = None,
    close_positions: Annotated[
        bool,
        typer.Option(
            "--close-positions",
            help="Close the position first (else the new strategy takes it over).",
        ),
    ] = False,
    wait: Annotated[
        float, typer.Option("--wait", help="Seconds to wait for the runner's answer.")
    ] = 5.0,
    broker: BrokerOpt = BrokerChoice.paper,
    as_json: JsonOpt = False,
) -> None:
    """Switch the strategy a running `trade` process trades, at its next bar."""
    from neural_trader.services.runners import switch_strategy

    run_command(
        as_json,
        lambda: switch_strategy(
            from_strategy,
            to_strategy,
            parameters=parse_params(param),
            close_positions=close_positions,
            wait_seconds=wait,
            broker=broker.value,
        ),
        switch_view,
    )


def runner(broker: BrokerOpt = BrokerChoice.paper, as_json: JsonOpt = False) -> None:
    """The strategy running on the account now, and the last switch request."""
    from neural_trader.services.runners import active_runner, switch_status

    def call() -> dict[str, Any]:
        active = active_runner(broker=broker.value)
        last = switch_status(broker=broker.value)
        return {"runner": active, "last_switch": last}

    def render(r: dict[str, Any]) -> None:
        active: RunnerView | None = r["runner"]
        if active is None:
            console.print(f"no strategy is running on the {broker.value} account")
        else:
            params = ", ".join(f"{k}={v}" for k, v in active.parameters.items() if v is not None)
            console.print(
                f"[bold]{active.strategy}[/] ({params}) on {active.symbol}, pid {active.pid}, "
                f"since {active.since}"
            )
        if r["last_switch"] is not None:
            switch_view(r["last_switch"])

    run_command(as_json, call, render)


def switch_view(r: SwitchResult) -> None:
    colour = {"applied": "green", "pending": "yellow", "refused": "bold red"}[r.switch_status]
    console.print(
        f"switch {r.request_id} {r.from_strategy} -> {r.to_strategy}: "
        f"[{colour}]{r.switch_status}[/] ({escape(r.message)})"
    )
    for p in r.positions_affected:
        console.print(f"position at the switch: {p.symbol} {p.quantity:g}")
    for o in r.closed_positions:
        console.print(f"closed by {o.client_order_id}: {o.side} {o.quantity:g} ({o.status})")
    if r.cancelled_orders:
        console.print(f"cancelled: {', '.join(r.cancelled_orders)}")


def orders_table(rows: list[dict[str, Any]], *, title: str) -> None:
    if not rows:
        console.print("no orders")
        return
    table = Table(box=box.SIMPLE, title=title, padding=(0, 1))
    for col in ("client order id", "symbol", "side", "type", "qty", "filled", "avg px", "status"):
        table.add_column(col, justify="right" if col in ("qty", "filled", "avg px") else "left")
    for r in rows:
        avg = r.get("avg_fill_price")
        table.add_row(
            r["client_order_id"],
            r["symbol"],
            r["side"],
            r["type"],
            f"{r['quantity']:g}",
            f"{r['filled_quantity']:g}",
            "" if avg is None else f"{avg:,.4f}",
            r["status"],
        )
    console.print(table)


def positions_table(rows: list[dict[str, Any]]) -> None:
    if not rows:
        console.print("no open positions")
        return
    table = Table(box=box.SIMPLE, title="positions", padding=(0, 1))
    for col in ("symbol", "quantity", "avg price", "realized P&L"):
        table.add_column(col, justify="left" if col == "symbol" else "right")
    for r in rows:
        table.add_row(
            r["symbol"],
            f"{r['quantity']:g}",
            f"{r['avg_price']:,.4f}",
            f"{r.get('realized_pnl', 0.0):,.2f}",
        )
    console.print(table)
