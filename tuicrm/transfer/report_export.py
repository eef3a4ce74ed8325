"""A report to .xlsx (one sheet per table, the chart's data on its own sheet), .csv and JSON.

Numbers stay numbers: money in major units with a money format, percents as fractions with a
percent format, days with one decimal. Header row bold and frozen, column widths fitted.
No Textual here: the app and the CLI both call it.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

from tuicrm.i18n import _
from tuicrm.services.base import ServiceError
from tuicrm.services.reports import DAYS, INT, MONEY, PERCENT, TEXT, ReportResult, Table

NUMBER_FORMATS = {MONEY: "#,##0.00", PERCENT: "0.0%", DAYS: "0.0", INT: "0"}
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


class ExportError(ServiceError):
    pass


def _sheet_title(title: str, used: set[str]) -> str:
    base = re.sub(r"\s+", " ", _BAD_SHEET_CHARS.sub(" ", title)).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name.lower())
    return name


def _check_target(path: Path) -> Path:
    path = Path(path).expanduser()
    if path.is_dir():
        raise ExportError(_("cannot write {path}: it is a directory").format(path=path))
    if not path.parent.exists():
        raise ExportError(_("cannot write {path}: the folder {folder} does not exist").format(path=path, folder=path.parent))
    return path


def _write_failed(path: Path, exc: OSError) -> ExportError:
    return ExportError(_("cannot write {path}: {reason}").format(path=path, reason=exc.strerror or exc))


def write_xlsx(result: ReportResult, path: Path) -> Path:
    """All tables of the report, then its chart data; returns the path written."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    path = _check_target(path)
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    info = f"{result.title} · {result.period.label()}"
    for table in result.tables:
        ws = wb.create_sheet(_sheet_title(table.title, used))
        ws.append([info])
        ws["A1"].font = Font(italic=True)
        ws.append(list(table.headers))
        for cell in ws[2]:
            cell.font = Font(bold=True)
        widths = [len(str(h)) for h in table.headers]
        for row in table.plain():
            ws.append(row)
            r = ws.max_row
            for c, (value, kind) in enumerate(zip(row, table.kinds), 1):
                if kind in NUMBER_FORMATS and value is not None:
                    ws.cell(row=r, column=c).number_format = NUMBER_FORMATS[kind]
                shown = f"{value:,.2f}" if isinstance(value, float) else str(value if value is not None else "")
                widths[c - 1] = max(widths[c - 1], len(shown) + (2 if kind == MONEY else 0))
        for c, width in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(c)].width = min(max(width + 2, 8), 60)
        ws.freeze_panes = "A3"
    try:
        wb.save(path)
    except OSError as exc:
        raise _write_failed(path, exc) from exc
    return path


def table_csv_rows(table: Table) -> list[list[Any]]:
    return [list(table.headers), *table.plain()]


def write_csv(result: ReportResult, path: Path | None, stream=None, *, which: int = 0) -> None:
    """The main table (or table ``which``) as CSV (UTF-8, comma)."""
    table = result.tables[which]
    if path is not None:
        path = _check_target(path)
        try:
            with path.open("w", encoding="utf-8", newline="") as fh:
                csv.writer(fh).writerows(table_csv_rows(table))
        except OSError as exc:
            raise _write_failed(path, exc) from exc
    else:
        csv.writer(stream).writerows(table_csv_rows(table))


def result_json(result: ReportResult) -> dict:
    return {
        "report": result.report,
        "title": result.title,
        "period": {"start": result.period.start.isoformat(), "end": result.period.end.isoformat(), "spec": result.period.spec},
        "granularity": result.granularity,
        "callout": result.callout or None,
        "tables": [
            {"title": t.title, "headers": list(t.headers), "kinds": list(t.kinds), "rows": t.plain()}
            for t in result.tables
        ],
        "chart": {
            "title": result.chart.title, "style": result.chart.style, "unit": result.chart.unit,
            "labels": list(result.chart.labels),
            "series": [{"name": s.name, "values": list(s.values)} for s in result.chart.series],
            "empty": result.chart.empty,
        },
        "totals": {k: v for k, v in result.totals.items()},
    }


def write_json(result: ReportResult, path: Path | None, stream=None) -> None:
    text = json.dumps(result_json(result), ensure_ascii=False, indent=2)
    if path is not None:
        path = _check_target(path)
        try:
            path.write_text(text + "\n", encoding="utf-8")
        except OSError as exc:
            raise _write_failed(path, exc) from exc
    else:
        stream.write(text + "\n")


def render_text(result: ReportResult, width: int = 100) -> str:
    """Plain aligned tables for a terminal or a mail (formatted for the language)."""
    lines = [f"{result.title} — {result.period.label()}"]
    if result.callout:
        lines.append(result.callout)
    for table in result.tables:
        lines.append("")
        lines.append(table.title)
        cells = [list(table.headers), *table.formatted(result.currency)]
        widths = [max(len(str(row[i])) for row in cells) for i in range(len(table.headers))]
        for n, row in enumerate(cells):
            parts = []
            for i, (value, kind) in enumerate(zip(row, table.kinds)):
                parts.append(str(value).ljust(widths[i]) if kind == TEXT or n == 0 and i == 0 else str(value).rjust(widths[i]))
            lines.append("  ".join(parts).rstrip())
            if n == 0:
                lines.append("  ".join("-" * w for w in widths))
        if not table.rows:
            lines.append(_("(nothing in this period)"))
    return "\n".join(lines)
