"""Helpers for import tests: spreadsheets written the way office software writes them."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path


def write_xlsx(path: Path, headers: list, rows: list[list], *, title_rows: int = 0, sheet: str = "Лист1",
               constant_memory: bool = False) -> Path:
    """xlsxwriter (shared strings, numbers as floats, real date cells, a merged title row above the header)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": constant_memory})
    ws = wb.add_worksheet(sheet)
    datefmt = wb.add_format({"num_format": "dd.mm.yyyy"})
    r = 0
    if title_rows:
        ws.merge_range(0, 0, 0, max(1, len(headers) - 1), "Выгрузка контрагентов")
        r = title_rows  # the rows between stay empty
    for c, h in enumerate(headers):
        if h is not None:
            ws.write_string(r, c, h)
    for row in rows:
        r += 1
        for c, v in enumerate(row):
            if v is None:
                continue
            if isinstance(v, dt.date):
                ws.write_datetime(r, c, dt.datetime.combine(v, dt.time()), datefmt)
            elif isinstance(v, (int, float)):
                ws.write_number(r, c, v)
            else:
                ws.write_string(r, c, v)
    wb.close()
    return path


def write_openpyxl(path: Path, headers: list, rows: list[list]) -> Path:
    """openpyxl (inline-style writer of another library)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def write_csv(path: Path, headers: list, rows: list[list], *, encoding: str = "utf-8", delimiter: str = ";") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter)
        w.writerow(headers)
        for row in rows:
            w.writerow(["" if v is None else v for v in row])
    return path
