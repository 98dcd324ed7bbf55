"""Result models of the market-data services that light fronts return as they are.

Pure pydantic, no pandas: the MCP tools use them as their output models without importing
:mod:`neural_trader.services.data` (which imports pandas) when the server is built, and that
module re-exports them, so ``from neural_trader.services.data import BarsView`` still works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from neural_trader.services.formatting import ns_to_label

if TYPE_CHECKING:
    from neural_trader.data.catalog import CatalogEntry

__all__ = [
    "BarsView",
    "DataEntry",
    "ImportBase",
    "ImportSummary",
    "IssueCount",
    "ReportSummary",
]


class IssueCount(BaseModel):
    code: str
    severity: str
    count: int


class ReportSummary(BaseModel):
    """The JSON face of a :class:`~neural_trader.data.validation.ValidationReport`."""

    ok: bool
    rows_checked: int
    errors: int
    warnings: int
    by_code: list[IssueCount]
    issues: list[dict[str, Any]] = Field(description="first issues, with source row and column")
    repairs: list[dict[str, Any]] = Field(description="first repairs, with source row")
    repairs_total: int

    @classmethod
    def from_report(cls, report: Any, limit: int = 20) -> ReportSummary:
        counts: dict[tuple[str, str], int] = {}
        for issue in report.issues:
            key = (issue.code, issue.severity)
            counts[key] = counts.get(key, 0) + 1
        return cls(
            ok=report.ok,
            rows_checked=report.rows_checked,
            errors=len(report.errors),
            warnings=len(report.warnings),
            by_code=[IssueCount(code=c, severity=s, count=n) for (c, s), n in counts.items()],
            issues=[i.to_dict() for i in report.issues[:limit]],
            repairs=[_repair_dict(r) for r in report.repairs[:limit]],
            repairs_total=len(report.repairs),
        )


def _repair_dict(repair: Any) -> dict[str, Any]:
    if hasattr(repair, "to_dict"):
        out: dict[str, Any] = repair.to_dict()
        return out
    return {k: getattr(repair, k) for k in ("action", "row", "column", "detail")}


class ImportBase(BaseModel):  # an import less its validation report (each front picks its form)
    symbol: str
    spec: str
    path: str
    layout: str
    mode: str
    rows_read: int
    rows_written: int
    rows_total: int
    first: str | None
    last: str | None
    notes: list[str]


class ImportSummary(ImportBase):
    validation: ReportSummary


class DataEntry(BaseModel):
    symbol: str
    spec: str
    rows: int
    first: str
    last: str
    files: int
    bytes: int
    columns: list[str]

    @classmethod
    def from_entry(cls, e: CatalogEntry) -> DataEntry:
        daily = not e.spec.is_intraday
        return cls(
            symbol=e.symbol,
            spec=str(e.spec),
            rows=e.rows,
            first=ns_to_label(e.start_ns, daily=daily),
            last=ns_to_label(e.end_ns, daily=daily),
            files=e.files,
            bytes=e.bytes,
            columns=list(e.columns),
        )


class BarsView(BaseModel):
    symbol: str
    spec: str
    adjusted: bool
    rows_in_range: int
    rows_shown: int
    first: str | None
    last: str | None
    columns: list[str]
    bars: list[dict[str, Any]]
    stats: dict[str, float | None]
