"""Phone parsing: a table of the shapes real people type (and Excel produces).

Each row: the cell as found in a sheet → what every number in it must become
(E.164 or None, extension, kind, note, validity / reason).
"""

from __future__ import annotations

import pytest

from tuicrm.services.phones import (
    MIN_SUFFIX_DIGITS,
    cell_to_text,
    format_phone,
    looks_like_phone,
    parse_cell,
    parse_one,
    phone_query,
    split_cell,
)

MOB = "+79161234567"
CITY = "+74951234567"

# (cell, [(e164, extension, kind, note)]) — all valid
VALID = [
    # prefixes: 8 / 7 / +7 / no prefix, 10 digits, any punctuation
    ("8 (916) 123-45-67", [(MOB, None, "mobile", None)]),
    ("+7 (916) 123-45-67", [(MOB, None, "mobile", None)]),
    ("+7 916 123 45 67", [(MOB, None, "mobile", None)]),
    ("7-916-123-45-67", [(MOB, None, "mobile", None)]),
    ("7(916)123-45-67", [(MOB, None, "mobile", None)]),
    ("8 916 1234567", [(MOB, None, "mobile", None)]),
    ("89161234567", [(MOB, None, "mobile", None)]),
    ("79161234567", [(MOB, None, "mobile", None)]),
    ("+79161234567", [(MOB, None, "mobile", None)]),
    ("9161234567", [(MOB, None, "mobile", None)]),
    ("916-123-45-67", [(MOB, None, "mobile", None)]),
    ("(916) 123-45-67", [(MOB, None, "mobile", None)]),
    ("8.916.123.45.67", [(MOB, None, "mobile", None)]),
    ("++7 916 123 45 67", [(MOB, None, "mobile", None)]),
    # city numbers, any area-code length
    ("8 (495) 123-45-67", [(CITY, None, "work", None)]),
    ("495 123 45 67", [(CITY, None, "work", None)]),
    ("8 (4012) 12-34-56", [("+74012123456", None, "work", None)]),
    ("8 (3452) 12-34-56", [("+73452123456", None, "work", None)]),
    # extensions: доб / доб. / доп. / вн. / внутр. / ext / x / #, with or without a comma/brackets
    ("8 (495) 123-45-67 доб. 12", [(CITY, "12", "work", None)]),
    ("8 495 1234567 доб 12", [(CITY, "12", "work", None)]),
    ("8 495 123-45-67 ДОБ.123", [(CITY, "123", "work", None)]),
    ("+7 495 123 45 67 доп. 345", [(CITY, "345", "work", None)]),
    ("+7 495 123-45-67 вн. 5", [(CITY, "5", "work", None)]),
    ("+7 495 123-45-67 внутр. 77", [(CITY, "77", "work", None)]),
    ("+7 495 123-45-67 ext 12", [(CITY, "12", "work", None)]),
    ("+7 495 1234567 ext.12", [(CITY, "12", "work", None)]),
    ("+7 495 123-45-67 x12", [(CITY, "12", "work", None)]),
    ("8 (495) 123 45 67 x 5", [(CITY, "5", "work", None)]),
    ("+7 495 123-45-67 #12", [(CITY, "12", "work", None)]),
    ("+7 495 123-45-67, доб. 12", [(CITY, "12", "work", None)]),
    ("+7 495 123-45-67 (доб. 12)", [(CITY, "12", "work", None)]),
    ("84951234567доб12", [(CITY, "12", "work", None)]),
    # labels (kept as the note; the kind comes from the label when it names one)
    ("тел. 8 916 123-45-67", [(MOB, None, "mobile", "тел")]),
    ("Тел.: +7(495)123-45-67", [(CITY, None, "work", "Тел")]),
    ("моб.: 8 916 123-45-67", [(MOB, None, "mobile", "моб")]),
    ("раб. 8 916 123 45 67", [(MOB, None, "work", "раб")]),
    ("дом. 8 495 123 45 67", [(CITY, None, "home", "дом")]),
    ("факс (495) 123-45-67", [(CITY, None, "fax", "факс")]),
    ("8-916-123-45-67 моб", [(MOB, None, "mobile", "моб")]),
    # names in brackets or around the number are kept as the note
    ("8 916 123-45-67 (Иван)", [(MOB, None, "mobile", "Иван")]),
    ("8 916 123 45 67 (Иван Петров, бухгалтер)", [(MOB, None, "mobile", "Иван Петров, бухгалтер")]),
    ("Иван: 8 916 123-45-67", [(MOB, None, "mobile", "Иван")]),
    ("8(916)1234567 Петров Иван", [(MOB, None, "mobile", "Петров Иван")]),
    ("+7 495 123-45-67 доб. 12 (Иван)", [(CITY, "12", "work", "Иван")]),
    # several numbers in one cell: , ; / newline; ", доб. 12" stays with its number
    ("8 916 123-45-67, 8 495 123-45-67", [(MOB, None, "mobile", None), (CITY, None, "work", None)]),
    ("8 916 123-45-67; 8 495 123-45-67", [(MOB, None, "mobile", None), (CITY, None, "work", None)]),
    ("8 916 123-45-67 / 8 495 123-45-67", [(MOB, None, "mobile", None), (CITY, None, "work", None)]),
    ("8 916 123-45-67\n8 495 123-45-67", [(MOB, None, "mobile", None), (CITY, None, "work", None)]),
    ("+7 (495) 123-45-67\r\n+7 (916) 123-45-67", [(CITY, None, "work", None), (MOB, None, "mobile", None)]),
    ("8 495 123-45-67, доб. 12, 8 916 765-43-21", [(CITY, "12", "work", None), ("+79167654321", None, "mobile", None)]),
    (
        "Тел.: +7(495)123-45-67, факс: +7(495)123-45-68",
        [(CITY, None, "work", "Тел"), ("+74951234568", None, "fax", "факс")],
    ),
    (
        "8 916 123-45-67 Иван, 8 903 765-43-21 Мария",
        [(MOB, None, "mobile", "Иван"), ("+79037654321", None, "mobile", "Мария")],
    ),
    (
        "8 916 123-45-67 (моб.), 8 495 123-45-67 (раб.)",
        [(MOB, None, "mobile", "моб."), (CITY, None, "work", "раб.")],
    ),
    # Excel numeric cells: a float (or its text) is an integer, never 1.0e+10
    (9161234567.0, [(MOB, None, "mobile", None)]),
    (79161234567.0, [(MOB, None, "mobile", None)]),
    (89161234567, [(MOB, None, "mobile", None)]),
    ("9161234567.0", [(MOB, None, "mobile", None)]),
    # 8 800 (toll free) numbers
    ("8 800 555-35-35", [("+78005553535", None, None, None)]),
    ("8-800-100-00-00", [("+78001000000", None, None, None)]),
    # foreign numbers: with +, and the Russian international prefix 810
    ("+44 20 7946 0958", [("+442079460958", None, "work", None)]),
    ("810 44 20 7946 0958", [("+442079460958", None, "work", None)]),
    ("+1 212 555 0123", [("+12125550123", None, None, None)]),
    ("+49 30 123456", [("+4930123456", None, "work", None)]),
    ("+375 29 123-45-67", [("+375291234567", None, "mobile", None)]),
    ("+380 44 123 4567", [("+380441234567", None, "work", None)]),
    ("+7 7172 12 34 56", [("+77172123456", None, "work", None)]),  # Kazakhstan shares +7
]


@pytest.mark.parametrize("cell, expected", VALID, ids=[repr(c) for c, _ in VALID])
def test_real_world_shapes(cell, expected):
    got = parse_cell(cell)
    assert [(p.e164, p.extension, p.kind, p.note) for p in got] == expected
    for p in got:
        assert p.is_valid and p.reason is None
        assert p.raw  # what was typed is kept
        assert p.e164.endswith(p.national_digits)


def test_raw_is_the_part_of_the_cell_as_written():
    got = parse_cell(" 8 495 123-45-67, доб. 12 ;  тел. 8 (916) 123-45-67 (Иван) ")
    assert [p.raw for p in got] == ["8 495 123-45-67, доб. 12", "тел. 8 (916) 123-45-67 (Иван)"]
    assert got[1].note == "тел; Иван"


def test_russian_numbers_carry_region_and_national_digits():
    p = parse_one("8 (916) 123-45-67")
    assert (p.region, p.national_digits, p.typed_digits) == ("RU", "9161234567", "89161234567")
    assert p.digits_rev == "7654321619"


# (cell, reason) — never valid, never dropped: kept raw with a reason
INVALID = [
    ("123-45-67", "too short: no area code?"),  # a city number without its area code
    ("12-34-56", "too short: no area code?"),
    ("45-67-89", "too short: no area code?"),
    ("asdf", "no digits"),
    ("-", "no digits"),
    ("+", "no digits"),
    ("8 (916) 123-45-678", "wrong number of digits"),  # one digit too many: not cut
    ("9161234567 0", "wrong number of digits"),
    ("8 (916) 123-45-6", "not a valid number"),  # one digit short: not padded
    ("123456789012345678901234567890", "too many digits for one number"),
    ("+7 916 123 45 67 доб. 12345678", "too many digits for one number"),
    ("9.161234567E9", "wrong number of digits"),  # Excel scientific notation lost digits: flagged
    ("0", "not a phone number"),
    ("+999 123 456 789", "unknown country code"),
    ("звонить после обеда 1" + "0" * 250, "too long for a phone number"),
]


@pytest.mark.parametrize("cell, reason", INVALID, ids=[c[:40] for c, _ in INVALID])
def test_garbage_and_short_numbers_are_flagged_not_dropped(cell, reason):
    got = parse_cell(cell)
    assert len(got) == 1
    p = got[0]
    assert (p.is_valid, p.e164, p.reason) == (False, None, reason)
    assert p.raw == cell.strip()
    digits = "".join(ch for ch in cell if ch.isdigit())
    assert p.typed_digits + (p.extension or "") == digits  # every digit kept, in order, none added


def test_short_city_number_keeps_its_extension_and_note():
    (p,) = parse_cell("тел. 12-34-56 доб. 7")
    assert (p.is_valid, p.reason, p.extension, p.note, p.typed_digits) == (False, "too short: no area code?", "7", "тел", "123456")


def test_invalid_number_in_a_cell_does_not_hide_the_valid_ones():
    got = parse_cell("8 916 123-45-67; 12-34; 8 495 123-45-67")
    assert [(p.e164, p.is_valid) for p in got] == [(MOB, True), (None, False), (CITY, True)]
    assert got[1].raw == "12-34"


@pytest.mark.parametrize("cell", [None, "", "   ", "\n;\n", float("nan"), float("inf")])
def test_empty_cells_give_no_numbers(cell):
    assert parse_cell(cell) == []


def test_cell_to_text_for_excel_values():
    assert cell_to_text(9161234567.0) == "9161234567"
    assert cell_to_text(1e20) == "100000000000000000000"  # never scientific notation
    assert cell_to_text(12.5) == "12.5"
    assert cell_to_text(7) == "7"
    assert cell_to_text(None) == ""
    assert cell_to_text("9161234567.00") == "9161234567"
    assert cell_to_text("12.0") == "12.0"  # too short to be a phone cell: left alone
    assert cell_to_text(10**5000).startswith("1000")  # more digits than int->str allows
    assert cell_to_text("8 916\x00 123-45-67") == "8 916 123-45-67"  # PostgreSQL text cannot hold NUL


def test_split_cell_joins_extension_only_parts_and_labels():
    assert split_cell("8 495 123-45-67, доб. 12") == ["8 495 123-45-67, доб. 12"]
    assert split_cell("8 495 123-45-67; вн. 5; 8 916 123 45 67") == ["8 495 123-45-67, вн. 5", "8 916 123 45 67"]
    assert split_cell("Иван;8 916 123 45 67") == ["Иван 8 916 123 45 67"]
    assert split_cell("8 916 123 45 67, звонить вечером") == ["8 916 123 45 67, звонить вечером"]


def test_other_default_region():
    p = parse_one("020 7946 0958", region="GB")
    assert (p.is_valid, p.e164) == (True, "+442079460958")
    # the Russian rules apply only to region RU: 10 digits are not "+7" in Great Britain
    assert parse_one("9161234567", region="GB").e164 != MOB


# --- display -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "e164, style, region, shown",
    [
        (MOB, "national", "RU", "8 (916) 123-45-67"),
        (MOB, "international", "RU", "+7 916 123-45-67"),
        (CITY, "national", "RU", "8 (495) 123-45-67"),
        ("+78005553535", "national", "RU", "8 (800) 555-35-35"),
        ("+442079460958", "national", "RU", "+44 20 7946 0958"),  # foreign: always international
        ("+442079460958", "national", "GB", "020 7946 0958"),
        ("+12125550123", "international", "RU", "+1 212-555-0123"),
    ],
)
def test_format_phone(e164, style, region, shown):
    assert format_phone(e164, "raw", style, region) == shown


def test_format_phone_shows_invalid_numbers_raw():
    assert format_phone(None, "12-34-56 доб. 7") == "12-34-56 доб. 7"
    assert format_phone("+0000", "kept as typed") == "kept as typed"


# --- search queries ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["8 (916) 123-45-67", "+7 916 123 45 67", "9161234567", "7-916-123-45-67", "89161234567", "8 916 1234567 доб. 5"]
)
def test_phone_query_full_number_in_any_format(query):
    q = phone_query(query)
    assert q.e164 == MOB
    assert q.suffix_rev == "7654321619"


@pytest.mark.parametrize(
    "query, suffix",
    [("4567", "4567"), ("45-67", "4567"), ("123-45-67", "1234567"), ("916 123", "916123"), ("(916) 123-45", "91612345")],
)
def test_phone_query_partial_number_by_suffix(query, suffix):
    q = phone_query(query)
    assert q.e164 is None
    assert q.suffix_rev == suffix[::-1]


@pytest.mark.parametrize("query", ["", "123", "1-2-3", "abc", "доб. 12"])
def test_phone_query_needs_four_digits(query):
    assert MIN_SUFFIX_DIGITS == 4
    assert phone_query(query) is None


@pytest.mark.parametrize(
    "text, expected",
    [("8 916 123-45-67", True), ("4567", True), ("+7 (916)", False), ("ООО Ромашка", False), ("иванов 1234", False), ("123", False)],
)
def test_looks_like_phone(text, expected):
    assert looks_like_phone(text) is expected


def _format_by_parse(e164, raw, style, region):
    """format_phone as it was: phonenumbers.parse() of every stored number."""
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return raw
    if style == "national" and phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def test_format_phone_reads_stored_numbers_as_parse_does():
    """The +7 shortcut (no phonenumbers.parse) and the remembered results give what parse() gave:
    every three-digit prefix after +7, other countries, odd stored values, both styles."""
    numbers = [f"+7{p:03d}{s}" for p in range(1000) for s in ("1234567", "0000000", "9999999")]
    numbers += ["+79161234567", "+78123456789", "+70123456789", "+7916123456", "+791612345678", "+12025550123",
                "+441632960961", "+380441234567", "+77172123456", "+77012345678", "+0000", "+", "+7", "79161234567",
                "+7９１６1234567", "+7 916 123-45-67"]
    for e164 in numbers:
        for style in ("national", "international"):
            for region in ("RU", "KZ", "US"):
                expected = _format_by_parse(e164, "raw", style, region)
                assert format_phone(e164, "raw", style, region) == expected, (e164, style, region)
                assert format_phone(e164, "raw", style, region) == expected  # remembered: the same
