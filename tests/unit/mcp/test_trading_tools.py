"""Trading tools act on the paper broker through the order manager: risk checks and the kill
switch always apply, and the journal records what was sent."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

BUY = {"strategy": "agent", "symbol": "SPX", "action": "buy", "quantity": 2}


def test_execute_trade_sends_to_the_paper_journal(call: Any, home: Path) -> None:
    from neural_trader.services.trading import list_orders

    r = call("execute_trade", {**BUY, "order_type": "limit", "limit_price": 2300.0})
    out = r.structured_content
    assert out["status"] == "ACCEPTED"
    assert out["preview"]["broker"] == "paper"
    assert "next bar" in out["notes"][0]
    orders = list_orders()
    assert [o["client_order_id"] for o in orders] == [out["client_order_id"]]
    assert orders[0]["strategy"] == "agent"
    assert orders[0]["limit_price"] == 2300.0
    status = call("get_portfolio_status", {"include_analytics": False}).structured_content
    assert status["open_orders"] == 1
    assert status["cash"] == 100_000.0


def test_validate_only_prices_and_checks_without_journaling(call: Any, home: Path) -> None:
    from neural_trader.services.trading import list_orders

    out = call("execute_trade", {**BUY, "validate_only": True}).structured_content
    assert out["submitted"] is False
    assert out["preview"]["risk"]["allowed"] is True
    price = out["preview"]["reference_price"]
    assert out["preview"]["estimated_total"] == pytest.approx(2 * price * 1.001)
    assert list_orders() == []


def test_the_kill_switch_denies_orders(call: Any, home: Path) -> None:
    from neural_trader.services.trading import kill

    kill(reason="test halt")
    out = call("execute_trade", BUY).structured_content
    assert out["status"] == "DENIED"
    assert "kill_switch" in out["reason"]
    preview = call("execute_trade", {**BUY, "validate_only": True}).structured_content
    assert preview["preview"]["risk"]["limit"] == "kill_switch"


def test_configured_risk_limits_apply(
    call: Any, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NT_RISK__MAX_ORDER_QUANTITY", "1")
    out = call("execute_trade", BUY).structured_content
    assert out["status"] == "DENIED"
    assert out["reason"].startswith("max_order_quantity")


def test_multi_asset_risk_limit_refuses_the_whole_batch(call: Any, home: Path) -> None:
    from neural_trader.services.trading import list_orders

    out = call(
        "execute_multi_asset_trade",
        {"trades": [{"symbol": "SPX", "action": "buy", "quantity": 1},
                    {"symbol": "IXIC", "action": "buy", "quantity": 1}],
         "strategy": "agent", "risk_limit": 5_000},
    ).structured_content  # fmt: skip
    assert out["refused"].startswith("risk_limit")
    assert out["submitted"] == 0
    assert list_orders() == []
    sent = call(
        "execute_multi_asset_trade",
        {"trades": [{"symbol": "SPX", "action": "buy", "quantity": 1},
                    {"symbol": "IXIC", "action": "sell", "quantity": 1, "price": 7000.0}],
         "strategy": "agent", "risk_limit": 50_000},
    ).structured_content  # fmt: skip
    assert sent["accepted"] == 2
    assert len(list_orders()) == 2


def test_live_trading_switch_selects_the_live_broker(
    call: Any, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NT_LIVE_TRADING", "true")
    for var in ("APCA_API_KEY_ID", "APCA_API_SECRET_KEY", "NT_ALPACA_API_KEY_ID"):
        monkeypatch.delenv(var, raising=False)
    r = call("execute_trade", {**BUY, "validate_only": True})
    assert r.is_error  # no Alpaca keys: refused with the adapter's message, never paper
    assert "lpaca" in r.content[0].text


def test_simulate_trade_sizes_a_buy_with_the_cash(call: Any, home: Path) -> None:
    out = call(
        "simulate_trade", {"strategy": "buy_and_hold", "symbol": "SPX", "action": "buy"}
    ).structured_content
    price = out["preview"]["reference_price"]
    assert out["quantity"] == math.floor(100_000 / (price * 1.001))
    assert out["signal"]["stance"] == "long"
    assert out["signal"]["agrees"] is True


def test_performance_report_reads_the_strategys_fills(
    call: Any, home: Path, sample_catalog: Path
) -> None:
    from neural_trader.data.catalog import Catalog
    from neural_trader.data.export import write_bars_csv
    from neural_trader.services.orders import strategy_performance
    from neural_trader.services.trading import trade

    path = home / "spx.csv"
    write_bars_csv(Catalog(sample_catalog).read_bars("SPX", "1d").iloc[-400:], path)
    ran = trade("sma_cross", symbol="SPX", replay=path, lot_size=1.0)
    assert ran.fills > 0
    r = call("performance_report", {"strategy": "sma_cross", "period_days": 365})
    out = r.structured_content
    direct = strategy_performance("sma_cross", period_days=365).model_dump(mode="json")
    assert out.pop("processing")["gpu_used"] is False
    assert out == direct
    assert out["fills"] > 0
    assert out["benchmark"]["symbol"] == "SPX"
    assert out["sharpe"] is not None
    analytics = call("get_execution_analytics", {"time_period": "all"}).structured_content
    assert analytics["fills"] == ran.fills
    assert analytics["by_status"]["FILLED"] == ran.fills


def test_rebalance_from_the_account_uses_its_cash(call: Any, home: Path) -> None:
    out = call(
        "portfolio_rebalance", {"target_allocations": {"SPX": 0.5, "IXIC": 0.5}}
    ).structured_content
    assert out["source"] == "the paper trading account"
    assert out["value"] == 100_000.0
    assert {t["symbol"] for t in out["required_trades"]} == {"SPX", "IXIC"}
    assert out["tracking_error"] == pytest.approx(math.sqrt(0.5))
