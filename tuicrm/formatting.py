"""Dates, times, money and numbers for the current language, through babel. Times are stored as
naive UTC and shown in the user's zone."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import dates, numbers

from tuicrm import i18n

_LOCALES = {"en": "en_GB", "ru": "ru_RU"}


def locale() -> str:
    return _LOCALES.get(i18n.language(), "en_GB")


def zone(name: str | None = None) -> dt.tzinfo:
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return dt.datetime.now().astimezone().tzinfo or dt.timezone.utc


def to_local(value: dt.datetime | None, tz: dt.tzinfo | None = None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(tz or zone())


def to_utc(value: dt.datetime, tz: dt.tzinfo | None = None) -> dt.datetime:
    """A local wall-clock time → naive UTC for storing."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz or zone())
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None)


def money(amount_minor: int | None, currency: str = "RUB", *, cents: bool = False) -> str:
    if amount_minor is None:
        return ""
    value = amount_minor / 100
    loc = locale()
    fmt = None if cents else "#,##0 ¤"
    if i18n.language() == "en":
        fmt = "¤#,##0" if not cents else "¤#,##0.00"
        # CLDR's currency spacing (which babel leaves out): a symbol that ends in a letter ("RUB")
        # is kept apart from the digits by a no-break space — "RUB 1,887,000", as ICU writes it;
        # "£1,887" and "US$1,887" stay as they are
        if numbers.get_currency_symbol(currency, loc)[-1:].isalpha():
            fmt = "¤\u00a0" + fmt[1:]
    return numbers.format_currency(value, currency, format=fmt, locale=loc, currency_digits=cents)


def number(value: float | int, digits: int = 0) -> str:
    if digits:
        return numbers.format_decimal(value, format=f"#,##0.{'0' * digits}", locale=locale())
    return numbers.format_decimal(value, format="#,##0", locale=locale())


def percent(value: float) -> str:
    return numbers.format_percent(value, locale=locale())


def date(value: dt.date | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return dates.format_date(value, format=fmt, locale=locale())


@lru_cache(maxsize=None)
def _skeleton_pattern(skeleton: str, loc: str) -> str:
    """The locale's pattern for a skeleton, as ``dates.format_skeleton`` finds it — which it does
    again on every call (a fuzzy match over all the locale's skeletons, ≈ 1 ms: 100 ms for one
    page of the contacts list)."""
    from babel.core import Locale

    known = Locale.parse(loc).datetime_skeletons
    if skeleton not in known:
        skeleton = dates.match_skeleton(skeleton, known) or skeleton
    return known[skeleton]


def short_date(value: dt.date | None) -> str:
    if value is None:
        return ""
    loc = locale()
    return dates.format_datetime(value, _skeleton_pattern("dMMM", loc), locale=loc)


def time(value: dt.datetime | None, tz: dt.tzinfo | None = None) -> str:
    if value is None:
        return ""
    return dates.format_time(to_local(value, tz), format="HH:mm", locale=locale())


def datetime(value: dt.datetime | None, tz: dt.tzinfo | None = None, fmt: str = "short") -> str:
    if value is None:
        return ""
    local = to_local(value, tz)
    return f"{dates.format_date(local, format=fmt, locale=locale())} {dates.format_time(local, format='HH:mm', locale=locale())}"


def weekday(value: dt.date) -> str:
    return dates.format_date(value, format="EEEE", locale=locale())


def relative(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    if value is None:
        return ""
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return dates.format_timedelta(value - now, add_direction=True, locale=locale())
