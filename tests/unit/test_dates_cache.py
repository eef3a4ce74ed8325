"""The first screen's dates without loading babel (tuicrm.formatting's cache of babel's patterns and
month names): the same text as babel for every day of six years and every minute of a day, in
both languages; the cache is made by babel, used only while babel's files are the ones it was made
from, and never needed for a correct answer."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
from babel import dates as babel_dates

from tuicrm import formatting, i18n

DAYS = [dt.date(2023, 1, 1) + dt.timedelta(days=n) for n in range((dt.date(2029, 1, 1) - dt.date(2023, 1, 1)).days)]


@pytest.fixture
def fresh_cache():
    formatting._cached.clear()
    yield
    formatting._cached.clear()


@pytest.fixture(params=["en", "ru"])
def lang(request, fresh_cache):
    before = i18n.language()
    i18n.set_language(request.param)
    yield request.param
    i18n.set_language(before)


def _babel_short(value, loc):
    return babel_dates.format_datetime(value, formatting._skeleton_pattern("dMMM", loc), locale=loc)


def test_dates_are_babels_for_every_day_of_six_years(lang):
    loc = formatting.locale()
    formatting._cached_dates(loc)  # made by babel, written to the cache file
    formatting._cached.clear()
    assert formatting._cached_dates(loc) is not None  # …and read back from it
    for day in DAYS:
        assert formatting.date(day) == babel_dates.format_date(day, format="medium", locale=loc), day
        assert formatting.short_date(day) == _babel_short(day, loc), day
        assert formatting.short_date(day) == babel_dates.format_skeleton("dMMM", day, locale=loc), day
    assert formatting.date(dt.datetime(2026, 11, 27, 23, 59)) == babel_dates.format_date(dt.date(2026, 11, 27), format="medium", locale=loc)
    # what the patterns are, for the record (a wrong cache could not pass the loop above anyway)
    expected = {"en": ("27 Nov 2026", "2 Sept"), "ru": ("27 нояб. 2026\u202fг.", "2 сент.")}[lang]
    assert (formatting.date(dt.date(2026, 11, 27)), formatting.short_date(dt.date(2026, 9, 2))) == expected


@pytest.mark.parametrize("zone", ["UTC", "Europe/Moscow", "America/New_York", "Asia/Kolkata"])
def test_times_are_babels_for_every_minute(lang, zone):
    tz = ZoneInfo(zone)
    start = dt.datetime(2026, 3, 8, 0, 0)  # a DST change in New York
    for minute in range(0, 2 * 24 * 60, 1):
        value = start + dt.timedelta(minutes=minute)
        assert formatting.time(value, tz) == babel_dates.format_time(formatting.to_local(value, tz), format="HH:mm",
                                                                      locale=formatting.locale()), value


def test_other_formats_still_go_through_babel(lang):
    loc = formatting.locale()
    day = dt.date(2026, 11, 27)
    for fmt in ("short", "long", "full", "LLLL yyyy", "EEEE d MMMM"):
        assert formatting.date(day, fmt) == babel_dates.format_date(day, format=fmt, locale=loc)


def test_a_field_the_cache_does_not_know_is_left_to_babel():
    data = {"MMM": ["x"] * 12}
    assert formatting._apply([("field", ("E", 4)), ("chars", " "), ("field", ("d", 1))], dt.date(2026, 1, 5), data) is None
    assert formatting._apply([("field", ("M", 4))], dt.date(2026, 1, 5), data) is None  # no MMMM in this data
    assert formatting._apply([("field", ("d", 2)), ("chars", "."), ("field", ("M", 2)), ("chars", "."),
                              ("field", ("y", 2))], dt.date(2026, 1, 5), data) == "05.01.26"


def _cache_path() -> str:
    return formatting._cache_file()


def test_a_cache_made_from_other_babel_files_is_not_used(fresh_cache):
    loc = "en_GB"
    formatting._cached_dates(loc)
    path = _cache_path()
    stored = json.loads(open(path, encoding="utf-8").read())
    stored[loc]["data"]["MMM"] = ["WRONG"] * 12
    stored[loc]["key"][-1][1] += 1  # as if en.dat had changed since
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(stored, fh)
    formatting._cached.clear()
    assert formatting._cached_dates(loc)["MMM"][0] == "Jan"  # made again by babel
    again = json.loads(open(path, encoding="utf-8").read())
    assert again[loc]["key"] == formatting._babel_files_key(loc) and again[loc]["data"]["MMM"][0] == "Jan"


def test_a_broken_or_unwritable_cache_gives_the_same_text(fresh_cache, tmp_path, monkeypatch):
    day = dt.date(2026, 11, 27)
    path = _cache_path()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("{not json")
    assert formatting.date(day) == "27 Nov 2026"
    formatting._cached.clear()
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setenv("TUICRM_CACHE_DIR", str(blocked / "sub"))  # cannot be made: a file is in the way
    assert formatting.date(day) == "27 Nov 2026" and formatting.short_date(day) == "27 Nov"


def test_with_the_cache_made_a_start_never_imports_babel(tmp_path):
    script = (
        "import datetime as dt, json, sys\n"
        "from tuicrm import formatting, i18n\n"
        "i18n.set_language(sys.argv[1])\n"
        "out = [formatting.date(dt.date(2026, 11, 27)), formatting.short_date(dt.date(2026, 2, 2)),\n"
        "       formatting.time(dt.datetime(2026, 1, 1, 9, 5))]\n"
        "print(json.dumps([out, 'babel' in sys.modules]))\n"
    )
    env = {**os.environ, "TUICRM_CACHE_DIR": str(tmp_path / "cache")}
    for lang in ("en", "ru"):
        runs = [json.loads(subprocess.run([sys.executable, "-c", script, lang], capture_output=True, text=True, env=env,
                                          timeout=60, check=True).stdout) for _ in range(2)]
        assert runs[0][0] == runs[1][0]
        assert runs[0][1] is True and runs[1][1] is False, runs  # the first made the cache with babel
