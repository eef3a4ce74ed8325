"""Cell values to field values: text, dates (cells, serials, text), tax ids, money. Never raises."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation

from tuicrm.services.phones import cell_to_text

_EXCEL_EPOCH = dt.date(1899, 12, 30)
_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y", "%d-%m-%Y", "%Y.%m.%d", "%m/%d/%Y", "%d %m %Y")


def text(value: object, limit: int | None = None) -> str:
    s = " ".join(cell_to_text(value).split())
    return s[:limit] if limit else s


def to_date(value: object) -> tuple[dt.date | None, bool]:
    """(date, ok). Empty → (None, True); unreadable → (None, False)."""
    if value is None or value == "":
        return None, True
    if isinstance(value, dt.datetime):
        return value.date(), True
    if isinstance(value, dt.date):
        return value, True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # an Excel serial day number
            return _EXCEL_EPOCH + dt.timedelta(days=int(value)), True
        return None, False
    s = str(value).strip()
    s = s.split(" ")[0] if re.match(r"^\d{4}-\d\d-\d\d[ T]", s) else s
    s = s.split("T")[0]
    for fmt in _DATE_FORMATS:
        try:
            d = dt.datetime.strptime(s, fmt).date()
        except ValueError:
            continue
        if 1900 <= d.year <= 2100:
            return d, True
    if re.fullmatch(r"\d{5}(\.0+)?", s):
        return _EXCEL_EPOCH + dt.timedelta(days=int(float(s))), True
    return None, False


def tax_id(value: object, lengths: tuple[int, ...]) -> tuple[str | None, bool]:
    """ИНН/КПП: digits only; a number cell that lost its leading zero gets it back."""
    if value is None or value == "":
        return None, True
    numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
    s = re.sub(r"[\s\-]", "", cell_to_text(value))
    if not s:
        return None, True
    if not s.isdigit():
        return None, False
    if numeric and len(s) + 1 in lengths:
        s = "0" + s
    return (s, True) if len(s) in lengths else (None, False)


_MONEY_JUNK = re.compile(r"(?i)(руб\.?|р\.|₽|rub|usd|eur|\$|€|\s|\u00a0|')")


def money_minor(value: object) -> tuple[int | None, bool]:
    """'1 500 000,50 ₽' → 150000050 kopecks."""
    if value is None or value == "":
        return None, True
    if isinstance(value, bool):
        return None, False
    if isinstance(value, (int, float)):
        if value != value or value < 0 or value == float("inf"):  # NaN, negative, a cell overflowing to inf
            return None, False
        return int(round(Decimal(repr(value)) * 100)), True
    s = _MONEY_JUNK.sub("", str(value))
    if "," in s and "." in s:
        s = s.replace(",", "") if s.rfind(".") > s.rfind(",") else s.replace(".", "").replace(",", ".")
    else:
        s = s.replace(",", ".")
    try:
        d = Decimal(s)
    except InvalidOperation:
        return None, False
    if not d.is_finite() or d < 0 or d > Decimal(10) ** 15:  # "nan" would raise on the comparison
        return None, False
    return int((d * 100).to_integral_value()), True
