"""Opening the trading store: engine settings, migrations, and the lock that serialises them.

SQLite is the default (one file under ``$NT_HOME``, nothing to run); PostgreSQL
(``postgresql+psycopg://``) is for deployments that want a server. Both get the same schema from
the same Alembic migrations, run on every open (a no-op once the store is at head), so a store
written by an older release is upgraded before anything reads it.

SQLite settings, and why:

* ``journal_mode=WAL``: readers (the CLI, a dashboard) never block the trading process's writes.
* ``synchronous=NORMAL``: in WAL mode a commit is written to the WAL file before ``commit()``
  returns but fsynced only at checkpoints. A committed transaction therefore survives the
  process being killed (``kill -9``, a crash), which is what the write-ahead journal needs; a
  power loss or OS crash can drop the last few commits. ``NT_JOURNAL_SYNC=full`` selects
  ``synchronous=FULL`` (an fsync per commit, survives power loss, each commit costs a disk
  flush).
* ``busy_timeout=10000``: a second process (the CLI, a second opener running migrations) waits
  up to 10 s for the write lock instead of failing at once.
* ``foreign_keys=ON``: SQLite ignores foreign keys unless asked.
* Checkpoints (copying the WAL back into the database file, with an fsync) run on a background
  thread every quarter second instead of inside whichever commit crosses 1000 WAL pages: done
  inline they cost the unlucky ``record_intent`` 4-10 ms, every ~150 orders. The connections'
  own auto-checkpoint stays on, at 10000 pages, as the backstop if that thread falls behind or
  is gone (after :meth:`Engine.dispose`, or in a forked child).
* Every transaction that may write starts with ``BEGIN IMMEDIATE``: it takes the write lock up
  front, so a read-then-write transaction (apply a fill: read the order, update it) can neither
  interleave with another writer nor fail half-way when upgrading a read lock (SQLite answers
  that with an immediate ``SQLITE_BUSY`` that the busy timeout does not cover). Connections
  opened through :func:`read_only` start with a plain ``BEGIN`` and never take the lock.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Final

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from neural_trader.core.errors import ConfigError, MissingDependencyError
from neural_trader.ops.logging import redact

__all__ = [
    "MIGRATIONS_DIR",
    "READ_ONLY_OPTION",
    "create_store_engine",
    "migration_lock",
    "open_store",
    "read_only",
    "safe_url",
    "upgrade",
]

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"

READ_ONLY_OPTION: Final = "nt_read_only"
"""Execution option: a connection carrying it starts SQLite transactions with a plain BEGIN."""

_BUSY_TIMEOUT_MS: Final = 10_000
_SYNC_MODES: Final = {"normal": "NORMAL", "full": "FULL"}
_CHECKPOINT_INTERVAL_S: Final = 0.25
_BACKSTOP_AUTOCHECKPOINT_PAGES: Final = 10_000
_WAL_SIZE_LIMIT_BYTES: Final = 64 * 1024 * 1024
# Class half of the two-key PostgreSQL advisory lock taken while migrating ("nt" in ASCII); the
# other half hashes the schema, so stores in different schemas of one database do not wait on
# each other.
_PG_LOCK_CLASS: Final = 0x6E74


def safe_url(url: str | URL) -> str:
    """The URL as it may appear in a message: password masked, other secrets redacted."""
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError:
        return redact(str(url))
    secrets = [parsed.password] if isinstance(parsed.password, str) else []
    return redact(parsed.render_as_string(hide_password=True), secrets)


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"'{safe_url(url)}' is not a database URL",
            hint="use sqlite:///path/to/trading.db or postgresql+psycopg://user@host/db",
        ) from None


def _sqlite_sync_mode() -> str:
    raw = os.environ.get("NT_JOURNAL_SYNC", "normal").strip().lower() or "normal"
    try:
        return _SYNC_MODES[raw]
    except KeyError:
        raise ConfigError(
            f"NT_JOURNAL_SYNC={raw!r} is not a sync mode",
            hint="use 'normal' (survives a crash of the process) or 'full' (survives power loss)",
        ) from None


def create_store_engine(url: str) -> Engine:
    """An engine for the trading store at ``url``, configured as the module docstring says.

    Creates the parent folder of a SQLite file. Raises :class:`ConfigError` for a malformed URL
    or a backend other than SQLite and PostgreSQL (the only two the migrations and the journal's
    upserts are written and tested for).
    """
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed)
    if backend == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            import psycopg  # noqa: F401
        except ImportError:
            raise MissingDependencyError(
                "psycopg", "postgres", "A PostgreSQL trading store"
            ) from None
        try:
            return create_engine(parsed, pool_pre_ping=True)
        except (ArgumentError, NoSuchModuleError) as exc:
            raise ConfigError(
                f"cannot use '{safe_url(parsed)}': {redact(str(exc))}",
                hint="the PostgreSQL driver is psycopg 3: postgresql+psycopg://user@host/db",
            ) from None
    raise ConfigError(
        f"the trading store supports SQLite and PostgreSQL, not '{backend}' ({safe_url(parsed)})",
        hint="use sqlite:///path/to/trading.db or postgresql+psycopg://user@host/db",
    )


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    sync = _sqlite_sync_mode()
    engine = create_engine(url)
    file_backed = bool(database) and database != ":memory:" and not database.startswith("file:")

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module (its legacy mode does not
        # BEGIN before a SELECT); the "begin" hook below emits BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")
            _enable_wal(cursor)
            cursor.execute(f"PRAGMA synchronous={sync}")
            cursor.execute("PRAGMA foreign_keys=ON")
            if file_backed:
                cursor.execute(f"PRAGMA wal_autocheckpoint={_BACKSTOP_AUTOCHECKPOINT_PAGES}")
                cursor.execute(f"PRAGMA journal_size_limit={_WAL_SIZE_LIMIT_BYTES}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    if file_backed:
        checkpointer = _WalCheckpointer(database, sync)
        event.listen(engine, "engine_disposed", lambda _engine: checkpointer.stop())
        weakref.finalize(engine, checkpointer.stop)
        checkpointer.start()
    return engine


class _WalCheckpointer:
    """A daemon thread that runs ``PRAGMA wal_checkpoint(PASSIVE)`` every quarter second on its
    own connection, so that the fsyncs of a checkpoint never land inside a trading commit.

    PASSIVE never waits for (or blocks) readers and writers; frames it cannot copy yet are
    copied on a later round. Nothing here is needed for correctness: a stopped checkpointer
    leaves the connections' auto-checkpoint backstop to keep the WAL bounded.
    """

    def __init__(self, path: str, sync: str) -> None:
        self._path = path
        self._sync = sync
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"nt-wal-checkpoint:{Path(path).name}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        try:
            while not self._stopped.wait(_CHECKPOINT_INTERVAL_S):
                try:
                    if connection is None:
                        connection = sqlite3.connect(self._path, isolation_level=None)
                        connection.execute(f"PRAGMA synchronous={self._sync}")
                    connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error:
                    # A busy or vanished file: try again next round with a fresh connection.
                    if connection is not None:
                        connection.close()
                    connection = None
        finally:
            if connection is not None:
                connection.close()


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another connection holds the lock.

    Switching a new file to WAL needs an exclusive lock, and SQLite answers a conflict there
    with an immediate SQLITE_BUSY instead of calling the busy handler: two processes opening a
    new store at the same moment would otherwise see "database is locked". The retry stops at
    the busy timeout, like every other wait for the lock.
    """
    deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
    delay = 0.001
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL").fetchall()
            return
        except sqlite3.OperationalError as exc:
            text_ = str(exc).lower()
            if ("locked" not in text_ and "busy" not in text_) or time.monotonic() > deadline:
                raise
        time.sleep(delay)
        delay = min(delay * 2, 0.05)


def read_only(engine: Engine) -> Engine:
    """The same engine (same pool) whose transactions only read: on SQLite they start with a
    plain BEGIN and so never wait for, or block, a writer."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


def migration_lock(connection: Connection) -> None:
    """Serialise migrations across processes for the rest of ``connection``'s transaction.

    PostgreSQL: a transaction-level advisory lock, released by the commit. SQLite: nothing to
    do, the store engine's transactions begin with ``BEGIN IMMEDIATE``, which already holds the
    database's write lock (a second opener waits for it up to the busy timeout).
    """
    if connection.dialect.name == "postgresql":
        connection.execute(
            text(
                "SELECT pg_advisory_xact_lock(CAST(:cls AS integer), "
                "hashtext(coalesce(current_schema(), '')))"
            ),
            {"cls": _PG_LOCK_CLASS},
        )


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    return config


def upgrade(engine: Engine) -> None:
    """Bring the store's schema to the newest migration (``alembic upgrade head``).

    Idempotent and cheap at head, so it runs on every open. The whole upgrade is one transaction
    holding :func:`migration_lock`: two processes opening a new store at once do not both
    create the tables, the second waits and then finds the store at head.
    """
    config = _alembic_config()
    try:
        with engine.begin() as connection:
            migration_lock(connection)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except DBAPIError as exc:
        raise _open_error(engine.url, exc) from None


def _open_error(url: URL, exc: DBAPIError) -> ConfigError:
    secrets = [url.password] if isinstance(url.password, str) else []
    detail = redact(str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else "", secrets)
    return ConfigError(
        f"cannot open the trading store at {safe_url(url)}: {detail}",
        hint="check NT_DATABASE_URL (server running, user, password, database name)",
    )


def open_store(url: str) -> Engine:
    """Create the engine and migrate the store: what every user of the store calls."""
    engine = create_store_engine(url)
    try:
        upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine
