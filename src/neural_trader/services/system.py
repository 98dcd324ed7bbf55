"""``doctor``: what this installation can do, checked for real rather than assumed."""

from __future__ import annotations

import importlib
import importlib.metadata as md
import os
import platform
import sys
import tempfile
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from neural_trader import __version__
from neural_trader.config import config_path, default_home, load_settings
from neural_trader.core.errors import ConfigError

__all__ = ["OPTIONAL_FEATURES", "Check", "DoctorReport", "run_doctor"]

Status = Literal["ok", "warn", "fail"]

# (import name, distribution name, extra, what it enables). Each later issue adds its extras.
OPTIONAL_FEATURES: tuple[tuple[str, str, str, str], ...] = (
    ("yfinance", "yfinance", "yahoo", "Yahoo Finance provider (data fetch --provider yahoo)"),
)
CORE_PACKAGES = ("numpy", "pandas", "pyarrow", "duckdb", "pydantic", "exchange_calendars")


class Check(BaseModel):
    group: str
    name: str
    status: Status
    detail: str


class DoctorReport(BaseModel):
    version: str
    python: str
    platform: str
    home: str
    status: Status
    checks: list[Check]


def _dist_version(name: str) -> str | None:
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def _check_home(home: Path) -> Check:
    if not home.exists():
        parent = next((p for p in home.parents if p.exists()), None)
        if parent is not None and os.access(parent, os.W_OK):
            return Check(
                group="data",
                name="NT_HOME",
                status="ok",
                detail=f"{home} (created on first write)",
            )
        return Check(
            group="data",
            name="NT_HOME",
            status="fail",
            detail=f"{home} does not exist and cannot be created; set NT_HOME",
        )
    try:
        with tempfile.NamedTemporaryFile(dir=home, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check(
            group="data",
            name="NT_HOME",
            status="fail",
            detail=f"{home} is not writable ({exc.strerror}); set NT_HOME",
        )
    return Check(group="data", name="NT_HOME", status="ok", detail=f"{home} (writable)")


def _check_storage_engine() -> Check:
    """Write and query a Parquet file with DuckDB: the catalog's whole I/O path."""
    try:
        import duckdb
        import pyarrow as pa
        import pyarrow.parquet as pq

        with tempfile.TemporaryDirectory(prefix="nt-doctor-") as tmp:
            f = Path(tmp) / "probe.parquet"
            pq.write_table(pa.table({"ts_event": [1, 2, 3], "close": [1.0, 2.0, 4.0]}), f)
            con = duckdb.connect()
            try:
                row = con.execute("SELECT sum(close) FROM read_parquet(?)", [str(f)]).fetchone()
            finally:
                con.close()
        if row is None or row[0] != 7.0:
            return Check(
                group="services",
                name="parquet+duckdb",
                status="fail",
                detail=f"probe query returned {row!r}, expected 7.0",
            )
        return Check(
            group="services",
            name="parquet+duckdb",
            status="ok",
            detail=f"duckdb {duckdb.__version__}, pyarrow {pa.__version__}: "
            "write and query probe passed",
        )
    except Exception as exc:  # report, do not crash: doctor is what users run when broken
        return Check(group="services", name="parquet+duckdb", status="fail", detail=repr(exc))


def run_doctor() -> DoctorReport:
    checks: list[Check] = []
    cfg = config_path()
    try:
        settings = load_settings()
        home = settings.home
        detail = f"{cfg} (valid)" if cfg.exists() else f"{cfg} (absent: defaults and NT_* env)"
        checks.append(Check(group="config", name="config file", status="ok", detail=detail))
    except ConfigError as exc:
        settings = None
        home = default_home()
        checks.append(Check(group="config", name="config file", status="fail", detail=str(exc)))
    checks.append(_check_home(home))
    if settings is not None:
        checks.append(_catalog_check(settings.catalog_path))
    for name in CORE_PACKAGES:
        v = _dist_version(name.replace("_", "-")) or _dist_version(name)
        checks.append(
            Check(
                group="packages",
                name=name,
                status="ok" if v else "fail",
                detail=v or "missing: reinstall neural-trader",
            )
        )
    for module, dist, extra, purpose in OPTIONAL_FEATURES:
        v = _dist_version(dist)
        if v is not None:
            try:
                importlib.import_module(module)
                checks.append(
                    Check(
                        group="extras",
                        name=f"[{extra}] {dist}",
                        status="ok",
                        detail=f"{v}: {purpose}",
                    )
                )
                continue
            except Exception as exc:
                checks.append(
                    Check(
                        group="extras",
                        name=f"[{extra}] {dist}",
                        status="fail",
                        detail=f"{v} installed but import fails: {exc!r}",
                    )
                )
                continue
        checks.append(
            Check(
                group="extras",
                name=f"[{extra}] {dist}",
                status="warn",
                detail=f"not installed; {purpose} needs pip install 'neural-trader[{extra}]'",
            )
        )
    checks.append(_check_storage_engine())
    worst: Status = "ok"
    if any(c.status == "fail" for c in checks):
        worst = "fail"
    elif any(c.status == "warn" for c in checks):
        worst = "warn"
    return DoctorReport(
        version=__version__,
        python=sys.version.split()[0],
        platform=platform.platform(),
        home=str(home),
        status=worst,
        checks=checks,
    )


def _catalog_check(path: Path) -> Check:
    if not path.exists():
        return Check(
            group="data",
            name="catalog",
            status="ok",
            detail=f"{path} (empty: import data with 'neural-trader data import')",
        )
    try:
        from neural_trader.data.catalog import Catalog

        entries = Catalog(path).entries()
    except Exception as exc:
        return Check(
            group="data", name="catalog", status="fail", detail=f"{path}: cannot be read ({exc})"
        )
    rows = sum(e.rows for e in entries)
    size = sum(e.bytes for e in entries)
    return Check(
        group="data",
        name="catalog",
        status="ok",
        detail=f"{path}: {len(entries)} series, {rows:,} bars, {size / 1e6:.1f} MB",
    )
