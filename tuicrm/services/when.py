"""Typed dates and times, as a manager writes them: pure functions, no database, no Textual.

``parse_when(text, now)`` understands (Russian and English, any case):

- ``today`` ``сегодня`` ``tomorrow`` ``завтра`` ``послезавтра`` ``day after tomorrow``
- a weekday: ``mon`` ``monday`` ``пн`` ``понедельник`` … → the next such day (never today)
- relative: ``+1d`` ``+2h`` ``+30m`` ``+1w`` ``+1д`` ``+2ч`` ``+30мин`` ``+1н``; a bare ``+2`` is days
- a time: ``15:30`` ``15.30`` ``9`` (hour only after a date word) ``9:05``
- a date: ``28.11`` ``28.11.2026`` ``28.11.26`` ``2026-11-28`` ``28/11``
- combinations: ``завтра 15:30``, ``28.11 10:00``, ``пн 9:00``, ``tomorrow at 9``

``now`` is the user's local wall-clock time (naive); the result is local too (naive) —
the caller converts it to UTC for storing. Without a time the ``default_time`` is used;
a time alone means today. Errors raise ``WhenError`` with a message for the user.
"""

from __future__ import annotations

import datetime as dt
import re

from tuicrm.i18n import _


class WhenError(ValueError):
    pass


_WEEKDAYS = {
    0: ("mon", "monday", "пн", "пон", "понедельник"),
    1: ("tue", "tues", "tuesday", "вт", "вто", "вторник"),
    2: ("wed", "wednesday", "ср", "сре", "среда", "среду"),
    3: ("thu", "thur", "thurs", "thursday", "чт", "чет", "четверг"),
    4: ("fri", "friday", "пт", "пят", "пятница", "пятницу"),
    5: ("sat", "saturday", "сб", "суб", "суббота", "субботу"),
    6: ("sun", "sunday", "вс", "вос", "воскресенье"),
}
_WEEKDAY_WORDS = {word: day for day, words in _WEEKDAYS.items() for word in words}
_DAY_WORDS = {
    "today": 0, "сегодня": 0, "tod": 0,
    "tomorrow": 1, "tmrw": 1, "tom": 1, "завтра": 1, "зав": 1,
    "послезавтра": 2, "day after tomorrow": 2,
}
_UNITS = {
    "m": "minutes", "min": "minutes", "mins": "minutes", "м": "minutes", "мин": "minutes",
    "h": "hours", "hr": "hours", "hrs": "hours", "ч": "hours", "час": "hours", "часа": "hours", "часов": "hours",
    "d": "days", "day": "days", "days": "days", "д": "days", "дн": "days", "дня": "days", "дней": "days", "": "days",
    "w": "weeks", "wk": "weeks", "week": "weeks", "weeks": "weeks", "н": "weeks", "нед": "weeks",
}
_REL = re.compile(r"^\+\s*(\d{1,4})\s*([^\W\d_]*)$")
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?$")
_DATE_DMY = re.compile(r"^(\d{1,2})[./](\d{1,2})(?:[./](\d{2}|\d{4}))?$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_FILLER = {"at", "в", "во", "on", "к"}


def _time(text: str, *, bare_hour: bool) -> dt.time | None:
    m = _TIME.match(text)
    if not m:
        return None
    if m.group(2) is None and not bare_hour:
        return None
    hour, minute = int(m.group(1)), int(m.group(2) or 0)
    if hour > 23 or minute > 59:
        raise WhenError(_("{text}: there is no such time").format(text=text))
    return dt.time(hour, minute)


def _date(text: str, today: dt.date) -> dt.date | None:
    m = _DATE_ISO.match(text)
    if m:
        y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    else:
        m = _DATE_DMY.match(text)
        if not m:
            return None
        d, mo = int(m.group(1)), int(m.group(2))
        year = m.group(3)
        if year is None:
            y = today.year
        elif len(year) == 2:
            y = 2000 + int(year)
        else:
            y = int(year)
    try:
        return dt.date(y, mo, d)
    except ValueError:
        raise WhenError(_("{text}: there is no such date").format(text=text)) from None


def parse_date(text: str, today: dt.date | None = None) -> dt.date | None:
    """A date alone (a birthday): ``dd.mm.yyyy``, ``yyyy-mm-dd``, ``dd.mm.yy``; '' → None."""
    text = (text or "").strip()
    if not text:
        return None
    today = today or dt.date.today()
    m = _DATE_DMY.match(text)
    if m and m.group(3) is None:
        raise WhenError(_("write the year too: dd.mm.yyyy"))
    if m and m.group(3) and len(m.group(3)) == 2:
        # a two-digit year of a birthday is in the past
        y = 2000 + int(m.group(3))
        if y > today.year:
            y -= 100
        try:
            return dt.date(y, int(m.group(2)), int(m.group(1)))
        except ValueError:
            raise WhenError(_("{text}: there is no such date").format(text=text)) from None
    value = _date(text, today)
    if value is None:
        raise WhenError(_("not a date; write dd.mm.yyyy or yyyy-mm-dd"))
    return value


def parse_when(
    text: str,
    now: dt.datetime,
    *,
    default_time: dt.time = dt.time(10, 0),
) -> dt.datetime | None:
    """A typed moment → local naive datetime; '' → None. Raises WhenError."""
    raw = " ".join((text or "").strip().casefold().replace("ё", "е").split())
    if not raw:
        return None
    for phrase in ("day after tomorrow",):
        raw = raw.replace(phrase, "dayaftertomorrow")
    today = now.date()
    words: list[str] = []
    for w in re.split(r"[\s,]+", raw):
        if not w or w in _FILLER:
            continue
        if words and re.fullmatch(r"\+\d+", words[-1]) and w in _UNITS:
            words[-1] += w  # "+1 d" → "+1d"
            continue
        if words and words[-1] == "+" and w[:1].isdigit():
            words[-1] += w  # "+ 2h" → "+2h"
            continue
        words.append(w)
    day: dt.date | None = None
    at: dt.time | None = None
    relative: dt.datetime | None = None
    for word in words:
        if word == "dayaftertomorrow":
            word = "day after tomorrow"
        if word in _DAY_WORDS:
            if day is not None or relative is not None:
                raise WhenError(_("two dates in one: {text}").format(text=text.strip()))
            day = today + dt.timedelta(days=_DAY_WORDS[word])
            continue
        if word in _WEEKDAY_WORDS:
            if day is not None or relative is not None:
                raise WhenError(_("two dates in one: {text}").format(text=text.strip()))
            ahead = (_WEEKDAY_WORDS[word] - today.weekday()) % 7 or 7
            day = today + dt.timedelta(days=ahead)
            continue
        m = _REL.match(word)
        if m:
            unit = _UNITS.get(m.group(2))
            if unit is None:
                raise WhenError(_("{unit}: use d, h, m or w (д, ч, мин, н)").format(unit=m.group(2)))
            if day is not None or relative is not None:
                raise WhenError(_("two dates in one: {text}").format(text=text.strip()))
            amount = int(m.group(1))
            if unit == "days" or unit == "weeks":
                day = today + dt.timedelta(**{unit: amount})
            else:
                relative = now.replace(second=0, microsecond=0) + dt.timedelta(**{unit: amount})
            continue
        if re.fullmatch(r"\d{1,2}\.\d{1,2}", word):
            # "28.11" is a date; "15.30" (no such month) is a time
            d = None
            if day is None and relative is None:
                try:
                    d = _date(word, today)
                except WhenError:
                    d = None
            if d is not None:
                day = d
                continue
            try:
                t = _time(word, bare_hour=False)
            except WhenError:
                if day is not None:
                    raise WhenError(_("two dates in one: {text}").format(text=text.strip())) from None
                raise WhenError(_("{text}: there is no such date").format(text=word)) from None
            if at is not None:
                raise WhenError(_("two times in one: {text}").format(text=text.strip()))
            at = t
            continue
        t = _time(word, bare_hour=day is not None)
        if t is not None:
            if at is not None:
                raise WhenError(_("two times in one: {text}").format(text=text.strip()))
            at = t
            continue
        d = _date(word, today)
        if d is not None:
            if day is not None or relative is not None:
                raise WhenError(_("two dates in one: {text}").format(text=text.strip()))
            day = d
            continue
        raise WhenError(_("{word}: not a date or time (try: tomorrow 15:30, +1d, 28.11 10:00)").format(word=word))
    if relative is not None:
        if at is not None:
            raise WhenError(_("+hours/minutes already give the time: {text}").format(text=text.strip()))
        return relative
    if day is None:
        day = today
    return dt.datetime.combine(day, at or default_time)


def parse_duration(text: str) -> int | None:
    """Minutes from ``30``, ``1h``, ``1:30``, ``1ч 30м``, ``90 min``; '' → None."""
    raw = (text or "").strip().casefold()
    if not raw:
        return None
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", raw)
    if m:
        return int(m.group(1)) * 60 + int(m.group(2))
    if raw.isdigit():
        return int(raw)
    total = 0
    found = False
    for amount, unit in re.findall(r"(\d+)\s*([^\W\d_]+)", raw):
        kind = _UNITS.get(unit)
        if kind == "hours":
            total += int(amount) * 60
        elif kind == "minutes":
            total += int(amount)
        else:
            raise WhenError(_("{unit}: use minutes or hours (30, 1h, 1:30)").format(unit=unit))
        found = True
    if not found or re.sub(r"(\d+)\s*([^\W\d_]+)", "", raw).strip():
        raise WhenError(_("not a duration (30, 1h, 1:30)"))
    return total
