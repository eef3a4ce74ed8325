"""Dates, times, money and numbers for the current language, through babel. Times are stored as
naive UTC and shown in the user's zone.

The dates of the first screen (the header's date, the list's short dates and times) come from
babel too, but without loading it at start: babel reads and merges four CLDR files for a locale
(en_GB → en_001 → en → root, and global.dat) before it can format a date — ≈ 30 ms of a
≈ 450 ms start, with its import. What those dates need from the locale — the medium date
pattern, the ``dMMM`` skeleton's pattern, both as babel tokenizes them, and the month names — is
kept in a small cache file (``dates.json`` in the cache dir), written by babel the first time and
valid while babel's files are the ones it was made from (their size and mtime, as Python checks
its .pyc files); the fields are then applied as babel's DateTimeFormat applies them. Anything
else (another pattern, a field the cache does not know, no cache) goes through babel. The output
is the same: tests compare both for every day of several years and every minute of a day.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
    from babel import numbers

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
    from babel import numbers

    if digits:
        return numbers.format_decimal(value, format=f"#,##0.{'0' * digits}", locale=locale())
    return numbers.format_decimal(value, format="#,##0", locale=locale())


def percent(value: float) -> str:
    from babel import numbers

    return numbers.format_percent(value, locale=locale())


def date(value: dt.date | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    if fmt == "medium":
        data = _cached_dates(locale())
        if data is not None:
            out = _apply(data["medium"], value, data)
            if out is not None:
                return out
    from babel import dates

    return dates.format_date(value, format=fmt, locale=locale())


@lru_cache(maxsize=None)
def _skeleton_pattern(skeleton: str, loc: str) -> str:
    """The locale's pattern for a skeleton, as ``dates.format_skeleton`` finds it — which it does
    again on every call (a fuzzy match over all the locale's skeletons, ≈ 1 ms: 100 ms for one
    page of the contacts list)."""
    from babel import dates
    from babel.core import Locale

    known = Locale.parse(loc).datetime_skeletons
    if skeleton not in known:
        skeleton = dates.match_skeleton(skeleton, known) or skeleton
    return known[skeleton]


def short_date(value: dt.date | None) -> str:
    if value is None:
        return ""
    loc = locale()
    data = _cached_dates(loc)
    if data is not None:
        out = _apply(data["dMMM"], value, data)
        if out is not None:
            return out
    from babel import dates

    return dates.format_datetime(value, _skeleton_pattern("dMMM", loc), locale=loc)


_HH_MM = [("field", ("H", 2)), ("chars", ":"), ("field", ("m", 2))]  # babel's tokens for "HH:mm"


def time(value: dt.datetime | None, tz: dt.tzinfo | None = None) -> str:
    if value is None:
        return ""
    local = to_local(value, tz)
    out = _apply(_HH_MM, local, {})  # digits only: the same in every locale, no locale data needed
    if out is not None:
        return out
    from babel import dates

    return dates.format_time(local, format="HH:mm", locale=locale())


def datetime(value: dt.datetime | None, tz: dt.tzinfo | None = None, fmt: str = "short") -> str:
    if value is None:
        return ""
    from babel import dates

    local = to_local(value, tz)
    return f"{dates.format_date(local, format=fmt, locale=locale())} {dates.format_time(local, format='HH:mm', locale=locale())}"


def weekday(value: dt.date) -> str:
    from babel import dates

    return dates.format_date(value, format="EEEE", locale=locale())


def relative(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    if value is None:
        return ""
    from babel import dates

    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    return dates.format_timedelta(value - now, add_direction=True, locale=locale())


# --- the first screen's dates without loading babel ---------------------------------------------

_CACHE_FORMAT = 1
_MONTHS = {("M", 3): "MMM", ("M", 4): "MMMM", ("L", 3): "LLL", ("L", 4): "LLLL"}
_cached: dict[str, dict | None] = {}


def _apply(tokens, value, data: dict) -> str | None:
    """``tokens`` (babel's ``tokenize_pattern``) applied to ``value`` as babel's DateTimeFormat
    does; None for a field it does not know (the caller asks babel)."""
    out = []
    for kind, token in tokens:
        if kind == "chars":
            out.append(token)
            continue
        char, num = token
        if char == "d":
            out.append("%0*d" % (num, value.day))
        elif char in "ML" and num <= 2:
            out.append("%0*d" % (num, value.month))
        elif (char, num) in _MONTHS and _MONTHS[char, num] in data:
            out.append(data[_MONTHS[char, num]][value.month - 1])
        elif char == "y":
            year = "%0*d" % (num, value.year)
            out.append(year[-2:] if num == 2 else year)
        elif char == "H":
            out.append("%0*d" % (num, value.hour))
        elif char == "m":
            out.append("%0*d" % (num, value.minute))
        else:
            return None
    return "".join(out)


def _cache_file() -> str | None:
    from tuicrm import paths

    return paths.cache_file("dates.json")


def _babel_files_key(loc: str) -> list | None:
    """Size and mtime of the babel files a locale's dates come from (its code, the locale's and
    root's CLDR data, global.dat), found without importing babel; None if they cannot be read."""
    from tuicrm import paths

    stamp = paths.files_stamp("babel", ("__init__.py", "dates.py", "core.py", "localedata.py", "global.dat",
                                        "locale-data/root.dat", f"locale-data/{loc}.dat", f"locale-data/{loc.split('_')[0]}.dat"))
    return None if stamp is None else [loc, _CACHE_FORMAT, *stamp]


def _from_babel(loc: str) -> dict:
    from babel import dates
    from babel.core import Locale

    locale_ = Locale.parse(loc)
    data = {
        "medium": dates.tokenize_pattern(dates.parse_pattern(locale_.date_formats["medium"]).pattern),
        "dMMM": dates.tokenize_pattern(dates.parse_pattern(_skeleton_pattern("dMMM", loc)).pattern),
    }
    for (char, num), name in _MONTHS.items():
        width = {3: "abbreviated", 4: "wide"}[num]
        context = {"M": "format", "L": "stand-alone"}[char]
        data[name] = [dates.get_month_names(width, context, locale_)[m] for m in range(1, 13)]
    return data


def _cached_dates(loc: str) -> dict | None:
    """The locale's date data (see the module's doc): from the cache file when it was made from
    the babel files installed now, else from babel (then written to the cache). None if neither
    works (the caller asks babel itself)."""
    if loc in _cached:
        return _cached[loc]
    import json

    data = None
    key = _babel_files_key(loc)
    path = _cache_file() if key is not None else None
    stored: dict = {}
    if path is not None:
        try:
            with open(path, encoding="utf-8") as fh:
                stored = json.load(fh)
            entry = stored.get(loc) if isinstance(stored, dict) else None
            if isinstance(entry, dict) and entry.get("key") == key:
                data = entry["data"]
                data["medium"] = [(k, tuple(v) if k == "field" else v) for k, v in data["medium"]]
                data["dMMM"] = [(k, tuple(v) if k == "field" else v) for k, v in data["dMMM"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            data = None
            stored = {}
    if data is None:
        try:
            data = _from_babel(loc)
        except Exception:  # noqa: BLE001 - the caller formats through babel, which says what is wrong
            _cached[loc] = None
            return None
        if path is not None:
            stored = stored if isinstance(stored, dict) else {}
            stored[loc] = {"key": key, "data": data}
            from tuicrm import paths

            paths.write_json_atomic(path, stored)  # False in a read-only home: babel every start, same output
    _cached[loc] = data
    return data
