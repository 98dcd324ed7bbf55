"""The store itself: migrations, engine settings, exact decimals, safe error messages."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import StatementError

from neural_trader.core.errors import ConfigError
from neural_trader.persistence import create_store_engine, open_store, safe_url, upgrade
from neural_trader.persistence.models import Base

TABLES = {"orders", "fills", "positions", "account_snapshots", "state", "events"}


def _version(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]


def test_upgrade_creates_every_table_on_an_empty_store(store_url: str) -> None:
    engine = create_store_engine(store_url)
    try:
        assert TABLES.isdisjoint(inspect(engine).get_table_names())
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) == {*TABLES, "alembic_version"}
        assert _version(engine) == ["0001"]
    finally:
        engine.dispose()


def test_second_upgrade_is_a_no_op_that_keeps_the_data(store_url: str) -> None:
    engine = open_store(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                Base.metadata.tables["state"].insert(),
                {"broker": "paper", "key": "k", "value": {"a": 1}, "ts_updated": 1},
            )
        upgrade(engine)
        upgrade(engine)
        assert _version(engine) == ["0001"]
        with engine.connect() as conn:
            rows = conn.execute(select(Base.metadata.tables["state"].c.value)).all()
        assert [r[0] for r in rows] == [{"a": 1}]
    finally:
        engine.dispose()


def test_migrated_schema_matches_the_models(store_url: str) -> None:
    """A column added to models.py without a migration (or the reverse) fails here."""
    engine = open_store(store_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == []
    finally:
        engine.dispose()


def _open_concurrently(url: str, openers: int) -> list[BaseException]:
    barrier = threading.Barrier(openers)
    errors: list[BaseException] = []

    def opener() -> None:
        engine = create_store_engine(url)
        try:
            barrier.wait()
            upgrade(engine)
        except BaseException as exc:
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=opener) for _ in range(openers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_concurrent_openers_of_a_new_store_all_succeed(
    store_url: str, backend: str, tmp_path: Path
) -> None:
    """Four engines (four connections, as four processes would have) migrate at once. On
    SQLite this repeats on fresh files: switching a new file to WAL under contention is where
    a naive opener fails with "database is locked", and only now and then."""
    urls = [store_url]
    if backend == "sqlite":
        urls += [f"sqlite:///{tmp_path / f'round{i}' / 'trading.db'}" for i in range(8)]
    for url in urls:
        assert _open_concurrently(url, 4) == []
        engine = create_store_engine(url)
        try:
            assert _version(engine) == ["0001"]
            assert set(inspect(engine).get_table_names()) >= TABLES
        finally:
            engine.dispose()


def test_concurrent_processes_open_a_new_sqlite_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared' / 'trading.db'}"
    start_at = time.time() + 1.5  # every child has imported everything by then
    code = (
        "import sys, time\n"
        "from neural_trader.persistence import open_store\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "open_store(sys.argv[1]).dispose()\n"
        "print('opened')\n"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, url, str(start_at)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    outcomes = [p.communicate(timeout=60) for p in procs]
    assert [out.strip() for out, _ in outcomes] == ["opened"] * 3, [e for _, e in outcomes]
    engine = create_store_engine(url)
    try:
        assert _version(engine) == ["0001"]
    finally:
        engine.dispose()


def _pragmas(engine: Engine) -> dict[str, object]:
    with engine.connect() as conn:
        return {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
        }


def test_sqlite_runs_wal_with_normal_sync_and_creates_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NT_JOURNAL_SYNC", raising=False)
    path = tmp_path / "deep" / "er" / "trading.db"
    engine = open_store(f"sqlite:///{path}")
    try:
        assert path.is_file()
        assert _pragmas(engine) == {
            "journal_mode": "wal",
            "synchronous": 1,  # NORMAL
            "busy_timeout": 10000,
            "foreign_keys": 1,
        }
    finally:
        engine.dispose()


def test_nt_journal_sync_full_selects_synchronous_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NT_JOURNAL_SYNC", "FULL")
    engine = create_store_engine(f"sqlite:///{tmp_path / 't.db'}")
    try:
        assert _pragmas(engine)["synchronous"] == 2
    finally:
        engine.dispose()
    monkeypatch.setenv("NT_JOURNAL_SYNC", "sometimes")
    with pytest.raises(ConfigError, match="NT_JOURNAL_SYNC"):
        create_store_engine(f"sqlite:///{tmp_path / 't.db'}")


def test_an_unsupported_backend_is_refused_without_showing_the_password() -> None:
    with pytest.raises(ConfigError) as info:
        create_store_engine("mysql+pymysql://trader:hunter2secret@db.example/trading")
    message = str(info.value)
    assert "hunter2secret" not in message
    assert "mysql" in message
    assert "***" in message


def test_a_malformed_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="not a database URL"):
        create_store_engine("trading.db")


def test_a_failed_connection_names_the_store_but_not_its_password() -> None:
    # Port 1 on localhost refuses at once: no server listens there.
    url = "postgresql+psycopg://trader:s3cretpassw0rd@127.0.0.1:1/trading?connect_timeout=2"
    with pytest.raises(ConfigError) as info:
        open_store(url)
    message = str(info.value)
    assert "s3cretpassw0rd" not in message
    assert "trader:***@127.0.0.1:1/trading" in message


def test_safe_url_masks_the_password() -> None:
    assert (
        safe_url("postgresql+psycopg://u:pw1234@h:5432/db")
        == "postgresql+psycopg://u:***@h:5432/db"
    )
    assert safe_url("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"


@pytest.mark.parametrize(
    "value",
    [
        "0.1",
        "10.10",
        "-0.000000000000000000000000000001",
        "123456789012345678901234567890.123456789012345678901234567890",
        "1E+30",
        "0",
    ],
)
def test_decimals_round_trip_exactly(store_url: str, value: str) -> None:
    """Text storage keeps every digit (and the scale) a float or SQLite REAL would lose."""
    engine = open_store(store_url)
    table = Base.metadata.tables["positions"]
    try:
        with engine.begin() as conn:
            conn.execute(
                table.insert(),
                {
                    "broker": "b",
                    "symbol": "X",
                    "quantity": Decimal(value),
                    "avg_price": Decimal(value),
                    "realized_pnl": Decimal(value),
                    "ts_updated": 2**62,
                },
            )
        with engine.connect() as conn:
            row = conn.execute(select(table)).one()
        # Same digits and same exponent: 10.10 stays 10.10, not 10.1.
        assert row.quantity.as_tuple() == Decimal(value).as_tuple()
        assert row.avg_price == Decimal(value)
        assert row.ts_updated == 2**62
    finally:
        engine.dispose()


def test_floats_are_refused_by_decimal_columns(tmp_path: Path) -> None:
    engine = open_store(f"sqlite:///{tmp_path / 't.db'}")
    table = Base.metadata.tables["positions"]
    row = {"broker": "b", "symbol": "X", "avg_price": Decimal(1), "realized_pnl": Decimal(0)}
    try:
        with pytest.raises(StatementError, match="Decimal or int"), engine.begin() as conn:
            conn.execute(table.insert(), {**row, "quantity": 0.1, "ts_updated": 0})
        with pytest.raises(StatementError, match="non-finite"), engine.begin() as conn:
            conn.execute(table.insert(), {**row, "quantity": Decimal("NaN"), "ts_updated": 0})
    finally:
        engine.dispose()
