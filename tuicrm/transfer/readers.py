"""Reading spreadsheets row by row: .xlsx/.xlsm/.xls/.ods (python-calamine, or openpyxl read-only
for very large sheets) and .csv (encoding and delimiter detected).

``open_table(path)`` finds the header row (the best-scoring of the first 20 rows: titles, empty
and merged rows above the real header are skipped), and ``Table.rows()`` yields
``(row_number, cells)`` for the data rows, blank rows left out, cells padded to the header width.
Every failure a user can cause is a ``ReadError`` with one clear sentence.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from tuicrm.i18n import _
from tuicrm.services.base import ServiceError
from tuicrm.transfer.mapping import header_score

HEADER_SCAN_ROWS = 20
CSV_SAMPLE = 256 * 1024
# Above this uncompressed sheet size calamine (which holds the whole sheet in memory) gives way to
# openpyxl read-only, which streams at a flat ~30 MB.
CALAMINE_MAX_SHEET_BYTES = int(os.environ.get("TUICRM_CALAMINE_MAX_MB", "64")) * 1024 * 1024
MAX_CELL_CHARS = 32767  # what Excel itself allows in a cell

csv.field_size_limit(16 * 1024 * 1024)

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"


class ReadError(ServiceError):
    """The file cannot be read as a table (the message says why)."""


@dataclass
class Table:
    path: Path
    kind: str  # xlsx / csv / ...
    engine: str  # calamine / openpyxl / csv
    sheet: str | None
    headers: list[str]
    header_row: int  # 1-based row number of the header
    total_rows: int | None  # data rows estimate (for progress), None when unknown
    encoding: str | None = None
    delimiter: str | None = None
    sheets: list[str] = field(default_factory=list)
    cleaned: bool = False  # the engine's rows are already cleaned (_clean_cell) cell by cell
    _rows: Iterator[list] | None = None
    _close: object = None

    def rows(self) -> Iterator[tuple[int, list]]:
        """(1-based row number in the file, cells) for each non-blank row after the header."""
        width = len(self.headers)
        number = self.header_row
        it = self._rows
        self._rows = None
        if it is None:
            raise ReadError(_("the table was already read"))
        try:
            for cells in it:
                number += 1
                if not self.cleaned:
                    cells = [_clean_cell(c) for c in cells]
                if not any(c is not None for c in cells):
                    continue
                if len(cells) < width:
                    cells.extend([None] * (width - len(cells)))
                elif len(cells) > width:
                    extra = cells[width:]
                    cells = cells[:width]
                    if any(c is not None for c in extra):
                        cells.append(_join_extra(extra))  # data beyond the header: kept, never silently lost
                yield number, cells
        except ReadError:
            raise
        except UnicodeDecodeError as exc:
            raise ReadError(_("row {row}: the text is not in {encoding}; save the file as UTF-8").format(row=number + 1, encoding=self.encoding)) from exc
        except Exception as exc:  # noqa: BLE001 - a broken file must be a message, not a traceback
            raise ReadError(_("the file is damaged near row {row}: {error}").format(row=number + 1, error=_short(exc))) from exc
        finally:
            self.close()

    def close(self) -> None:
        close, self._close = self._close, None
        if callable(close):
            try:
                close()
            except Exception:  # noqa: BLE001
                pass


def _join_extra(extra: list) -> str:
    return " | ".join(str(c) for c in extra if c is not None)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


def _clean_cell(value):
    if isinstance(value, str):
        value = value.strip().replace("\u00a0", " ")
        if not value:
            return None
        if len(value) > MAX_CELL_CHARS:
            value = value[:MAX_CELL_CHARS]
        return value
    if isinstance(value, float) and value != value:
        return None
    return value


def _header_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())[:200]


def sniff_kind(path: Path) -> str:
    """'xlsx' (zip), 'ole' (old .xls or an encrypted xlsx), 'csv' (text) — by content, not by name."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(_ZIP_MAGIC):
        return "zip"
    if head.startswith(_OLE_MAGIC):
        return "ole"
    return "text"


def _is_encrypted_ole(path: Path) -> bool:
    """An Office file protected by a password is an OLE container with an 'EncryptedPackage' stream."""
    marker = "EncryptedPackage".encode("utf-16-le")
    with path.open("rb") as fh:
        data = fh.read(4 * 1024 * 1024)
    return marker in data


def open_table(path: str | os.PathLike, sheet: str | None = None, *, engine: str | None = None,
               require_header: bool = True) -> Table:
    """``require_header=False`` (the user maps the columns): the first non-empty row is the header
    when no row looks like one."""
    path = Path(path)
    if not path.exists():
        raise ReadError(_("no such file: {path}").format(path=path))
    if path.is_dir():
        raise ReadError(_("{path} is a folder, not a file").format(path=path))
    if path.stat().st_size == 0:
        raise ReadError(_("{path} is empty").format(path=path.name))
    kind = sniff_kind(path)
    suffix = path.suffix.lower()
    if kind == "ole":
        if _is_encrypted_ole(path):
            raise ReadError(_("{name} is protected by a password: open it in Excel, remove the password and save it again").format(name=path.name))
        table = _open_calamine(path, sheet, "xls", require_header)
    elif kind == "zip":
        if suffix == ".ods":
            table = _open_calamine(path, sheet, "ods", require_header)
        else:
            table = _open_xlsx(path, sheet, engine, require_header)
    else:
        if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
            raise ReadError(_("{name} is not a spreadsheet (the file is damaged or only named {suffix})").format(name=path.name, suffix=suffix))
        table = _open_csv(path, require_header)
    return table


# --- xlsx ------------------------------------------------------------------------------------------


def _sheet_xml_size(path: Path, sheet_index: int) -> int:
    try:
        with zipfile.ZipFile(path) as zf:
            names = sorted(n for n in zf.namelist() if n.startswith("xl/worksheets/sheet") and n.endswith(".xml"))
            if not names:
                return 0
            name = f"xl/worksheets/sheet{sheet_index + 1}.xml"
            info = zf.getinfo(name if name in names else names[0])
            return info.file_size
    except (zipfile.BadZipFile, KeyError, OSError):
        return 0


def _open_xlsx(path: Path, sheet: str | None, engine: str | None, need_header: bool = True) -> Table:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
    except zipfile.BadZipFile as exc:
        raise ReadError(_("{name} is damaged: {error}").format(name=path.name, error=_short(exc))) from exc
    if "xl/workbook.xml" not in names:
        raise ReadError(_("{name} is a zip archive but not an Excel workbook").format(name=path.name))
    if engine is None:
        engine = "calamine"
        try:
            from python_calamine import CalamineWorkbook

            wb = CalamineWorkbook.from_path(str(path))
            sheet_names = wb.sheet_names
            index = sheet_names.index(sheet) if sheet in sheet_names else 0
            wb.close()
        except Exception:  # noqa: BLE001 - decided again below with a clear message
            index = 0
        if _sheet_xml_size(path, index) > CALAMINE_MAX_SHEET_BYTES:
            engine = "openpyxl"
    if engine == "openpyxl":
        return _open_openpyxl(path, sheet, need_header)
    return _open_calamine(path, sheet, "xlsx", need_header)


def _open_calamine(path: Path, sheet: str | None, kind: str, need_header: bool = True) -> Table:
    try:
        from python_calamine import CalamineWorkbook, PasswordError

        try:
            wb = CalamineWorkbook.from_path(str(path))
        except PasswordError as exc:
            raise ReadError(_("{name} is protected by a password: open it in Excel, remove the password and save it again").format(name=path.name)) from exc
        names = list(wb.sheet_names)
        if not names:
            raise ReadError(_("{name} has no sheets").format(name=path.name))
        if sheet is not None and sheet not in names:
            raise ReadError(_("no sheet {sheet!r} in {name}; sheets: {names}").format(sheet=sheet, name=path.name, names=", ".join(names)))
        ws = wb.get_sheet_by_name(sheet or names[0])
        height = ws.height
        rows = ws.iter_rows()
    except ReadError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ReadError(_("{name} cannot be read as a spreadsheet: {error}").format(name=path.name, error=_short(exc))) from exc

    def gen():
        for r in rows:  # cleaned here in one pass (text cells, the common case, first): rows() skips it
            yield [_clean_cell(c) if c.__class__ is str else _clean_cell(_calamine_cell(c)) for c in r]

    table = _finish(path, kind, "calamine", sheet or names[0], gen(), height, names, close=wb.close, need_header=need_header)
    table.cleaned = True
    return table


def _calamine_cell(value):
    if value == "":
        return None
    if isinstance(value, dt.time) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return value


_OPENPYXL_ODD = (dt.datetime, dt.time, dt.timedelta)


def _openpyxl_cell(value):
    """openpyxl's date and time cells as calamine gives them (a date at midnight is a date, a time
    or a duration its text): a sheet too large for calamine reads like any other (a date cell in a
    text field was "1980-02-01 00:00:00" there, "1980-02-01" elsewhere)."""
    if isinstance(value, dt.datetime):
        if value.hour == value.minute == value.second == value.microsecond == 0 and value.tzinfo is None:
            return value.date()
        return value
    return _calamine_cell(value)


def _open_openpyxl(path: Path, sheet: str | None, need_header: bool = True) -> Table:
    import warnings

    try:
        import openpyxl

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        names = wb.sheetnames
        if sheet is not None and sheet not in names:
            wb.close()
            raise ReadError(_("no sheet {sheet!r} in {name}; sheets: {names}").format(sheet=sheet, name=path.name, names=", ".join(names)))
        ws = wb[sheet or names[0]]
        height = ws.max_row
    except ReadError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise ReadError(_("{name} cannot be read as a spreadsheet: {error}").format(name=path.name, error=_short(exc))) from exc

    def gen():
        odd = _OPENPYXL_ODD
        for r in ws.iter_rows(values_only=True):
            yield [_openpyxl_cell(c) if c.__class__ in odd else c for c in r]

    return _finish(path, "xlsx", "openpyxl", sheet or names[0], gen(), height, names, close=wb.close, need_header=need_header)


# --- csv -------------------------------------------------------------------------------------------


def detect_encoding(sample: bytes, complete: bool) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if not complete and exc.start >= len(sample) - 3:  # a character cut by the sample's end
            return "utf-8"
    return "cp1251"


def detect_delimiter(text: str) -> str:
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    sample = "\n".join(lines)
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t|").delimiter
    except csv.Error:
        pass
    counts = {d: sum(ln.count(d) for ln in lines) for d in (";", "\t", ",", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _open_csv(path: Path, need_header: bool = True) -> Table:
    with path.open("rb") as fh:
        sample = fh.read(CSV_SAMPLE)
    complete = len(sample) < CSV_SAMPLE
    if b"\x00" in sample and not sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise ReadError(_("{name} is not a spreadsheet or a text (CSV) file").format(name=path.name))
    encoding = detect_encoding(sample, complete)
    text = sample.decode(encoding, errors="ignore")
    delimiter = detect_delimiter(text)
    fh = path.open("r", encoding=encoding, newline="", errors="strict")
    reader = csv.reader(fh, delimiter=delimiter)
    size = path.stat().st_size
    lines = text.count("\n")
    estimate = int(lines * size / max(1, len(sample))) if not complete else lines
    table = _finish(path, "csv", "csv", None, (list(r) for r in reader), estimate, [], close=fh.close, need_header=need_header)
    table.encoding, table.delimiter = encoding, delimiter
    return table


# --- header ----------------------------------------------------------------------------------------


def _finish(path: Path, kind: str, engine: str, sheet: str | None, rows: Iterator[list], height: int | None,
            sheets: list[str], close, need_header: bool = True) -> Table:
    head: list[list] = []
    try:
        for r in rows:
            head.append([_clean_cell(c) for c in r])
            if len(head) >= HEADER_SCAN_ROWS:
                break
    except UnicodeDecodeError as exc:
        close()
        raise ReadError(_("{name}: the text encoding is not recognized; save the file as UTF-8").format(name=path.name)) from exc
    except Exception as exc:  # noqa: BLE001
        close()
        raise ReadError(_("{name} cannot be read: {error}").format(name=path.name, error=_short(exc))) from exc
    if not any(any(c is not None for c in r) for r in head):
        close()
        raise ReadError(_("{where} is empty: there are no rows to import").format(
            where=_("sheet {sheet!r}").format(sheet=sheet) if sheet else path.name))
    best, best_score = -1, 0
    for i, r in enumerate(head):
        score = header_score(r)
        if score > best_score:
            best, best_score = i, score
    if (best < 0 or best_score < 2) and not need_header:
        best = next(i for i, r in enumerate(head) if any(c is not None for c in r))
    elif best < 0 or best_score < 2:
        close()
        raise ReadError(_("no header row found in the first {n} rows of {where}: the file needs column titles such as "
                          "“ФИО”, “Телефон”, “Компания”").format(
            n=HEADER_SCAN_ROWS, where=_("sheet {sheet!r}").format(sheet=sheet) if sheet else path.name))
    header_cells = head[best]
    width = max(len(header_cells), max((len(r) for r in head[best + 1:]), default=0))
    # drop trailing columns with neither a header nor data in the scanned rows
    while width and header_cells[width - 1:width] in ([None], []) and not any(len(r) >= width and r[width - 1] is not None for r in head[best + 1:]):
        width -= 1
    headers = [_header_text(c) for c in (header_cells + [None] * width)[:width]]
    rest = head[best + 1:]

    def chained():
        yield from rest
        yield from rows

    total = None if height is None else max(0, height - best - 1)
    return Table(path=path, kind=kind, engine=engine, sheet=sheet, headers=headers, header_row=best + 1,
                 total_rows=total, sheets=sheets, _rows=chained(), _close=close)
