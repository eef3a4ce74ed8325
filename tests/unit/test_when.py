"""Typed dates and times (pure: services.when)."""

import datetime as dt

import pytest

from tuicrm.services.when import WhenError, parse_date, parse_duration, parse_when

NOW = dt.datetime(2026, 11, 27, 10, 0)  # a Friday


@pytest.mark.parametrize("text, expected", [
    ("завтра", dt.datetime(2026, 11, 28, 10, 0)),
    ("Tomorrow 15:30", dt.datetime(2026, 11, 28, 15, 30)),
    ("tomorrow at 9", dt.datetime(2026, 11, 28, 9, 0)),
    ("завтра в 9", dt.datetime(2026, 11, 28, 9, 0)),
    ("послезавтра", dt.datetime(2026, 11, 29, 10, 0)),
    ("day after tomorrow 11:00", dt.datetime(2026, 11, 29, 11, 0)),
    ("сегодня 17:45", dt.datetime(2026, 11, 27, 17, 45)),
    ("15:30", dt.datetime(2026, 11, 27, 15, 30)),
    ("15.30", dt.datetime(2026, 11, 27, 15, 30)),
    ("+1d", dt.datetime(2026, 11, 28, 10, 0)),
    ("+1 d", dt.datetime(2026, 11, 28, 10, 0)),
    ("+2д 14:00", dt.datetime(2026, 11, 29, 14, 0)),
    ("+1w", dt.datetime(2026, 12, 4, 10, 0)),
    ("+2h", dt.datetime(2026, 11, 27, 12, 0)),
    ("+30мин", dt.datetime(2026, 11, 27, 10, 30)),
    ("+3", dt.datetime(2026, 11, 30, 10, 0)),
    ("28.11 10:00", dt.datetime(2026, 11, 28, 10, 0)),
    ("28.11", dt.datetime(2026, 11, 28, 10, 0)),
    ("01.12.2026 9:15", dt.datetime(2026, 12, 1, 9, 15)),
    ("1.12.26", dt.datetime(2026, 12, 1, 10, 0)),
    ("2026-12-01 08:00", dt.datetime(2026, 12, 1, 8, 0)),
    ("пн 9:00", dt.datetime(2026, 11, 30, 9, 0)),
    ("понедельник", dt.datetime(2026, 11, 30, 10, 0)),
    ("fri", dt.datetime(2026, 12, 4, 10, 0)),  # the next Friday, never today
    ("ПЯТНИЦУ 12:00", dt.datetime(2026, 12, 4, 12, 0)),
])
def test_parse_when(text, expected):
    assert parse_when(text, NOW) == expected


def test_empty_is_none_and_default_time():
    assert parse_when("  ", NOW) is None
    assert parse_when("завтра", NOW, default_time=dt.time(9, 30)) == dt.datetime(2026, 11, 28, 9, 30)


@pytest.mark.parametrize("text", ["xyz", "25:00", "12:61", "31.02", "32.12.2026", "+1q", "завтра 28.11", "10:00 11:00", "+2h 10:00"])
def test_parse_when_errors(text):
    with pytest.raises(WhenError) as err:
        parse_when(text, NOW)
    assert str(err.value)


def test_past_is_returned_for_the_caller_to_warn():
    assert parse_when("9:00", NOW) < NOW


@pytest.mark.parametrize("text, expected", [
    ("01.02.1985", dt.date(1985, 2, 1)), ("1985-02-01", dt.date(1985, 2, 1)), ("01.02.85", dt.date(1985, 2, 1)),
    ("01.02.05", dt.date(2005, 2, 1)), ("", None),
])
def test_parse_date(text, expected):
    assert parse_date(text, dt.date(2026, 11, 27)) == expected


@pytest.mark.parametrize("text", ["01.02", "31.02.1990", "вчера"])
def test_parse_date_errors(text):
    with pytest.raises(WhenError):
        parse_date(text, dt.date(2026, 11, 27))


@pytest.mark.parametrize("text, minutes", [("30", 30), ("1h", 60), ("1:30", 90), ("1ч 30м", 90), ("90 min", 90), ("", None)])
def test_parse_duration(text, minutes):
    assert parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["soon", "1 day", "1h x"])
def test_parse_duration_errors(text):
    with pytest.raises(WhenError):
        parse_duration(text)
