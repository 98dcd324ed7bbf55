"""Fixtures for the trading-store tests: every store test runs on SQLite and on PostgreSQL.

SQLite gets a fresh file under ``tmp_path``. PostgreSQL runs against the server named by
``NT_TEST_POSTGRES_URL`` (``make test`` starts a local one with scripts/pg_test_server.sh); each
test gets its own schema (selected through the connection's ``search_path``), so xdist workers
never see each other's tables, and the schema is dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from neural_trader.execution.journal import Journal

POSTGRES_ENV = "NT_TEST_POSTGRES_URL"
NO_POSTGRES = f"no PostgreSQL server: {POSTGRES_ENV} is unset (make test starts one)"


def postgres_base_url() -> str | None:
    return os.environ.get(POSTGRES_ENV, "").strip() or None


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    base = postgres_base_url()
    if base is None:
        pytest.skip(NO_POSTGRES)
    engine = create_engine(base, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    yield engine
    engine.dispose()


def _schema_url(base: str, schema: str) -> str:
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty trading store (nothing migrated yet) on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store' / 'trading.db'}"
        return
    admin: Engine = request.getfixturevalue("pg_admin")
    schema = f"nt_{uuid.uuid4().hex[:16]}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield _schema_url(str(postgres_base_url()), schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


@pytest.fixture
def backend(store_url: str) -> str:
    return make_url(store_url).get_backend_name()


@pytest.fixture
def journal(store_url: str) -> Iterator[Journal]:
    with Journal.open(store_url, broker="paper") as j:
        yield j
