"""Property-based tests of phone parsing (hypothesis): whatever the cell holds,

- parse_cell never raises;
- no digit is invented or lost: the digits of the cell, in order, are the digits of the raw parts;
  each part's digits are its number's typed digits + its extension + the digits in its note;
- a valid number's national digits are the tail of its typed digits, after at most a trunk / country /
  international prefix: digits are never cut or padded;
- raw is kept: apart from whitespace and the separators the cell was split on, the raw parts
  together are the cell.
"""

from __future__ import annotations

import re
from collections import Counter

import phonenumbers
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tuicrm.services.phones import cell_to_text, parse_cell, parse_one, phone_query

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_DIGIT = re.compile(r"\d")
_SEPARATOR_OR_SPACE = re.compile(r"[\s;,/|]")


def digits(text: str | None) -> str:
    return "".join(_DIGIT.findall(text or ""))


# Pieces real cells are made of, mixed with anything at all.
_piece = st.one_of(
    st.sampled_from(
        [
            "8", "7", "+7", "+", "810", "(", ")", "-", " ", "  ", ".", ",", ";", "/", "\n", "\r\n", "|", ":", "#",
            "916", "495", "123", "45", "67", "4012", "800", "44", "20",
            "доб.", "доб", "доп.", "вн.", "внутр.", "ext", "x", "ДОБ.", "тел.", "моб.:", "факс", "Тел.:",
            "(Иван)", "Иван Петров", "бухгалтер", "(", "[", "]", "ё", "😀", "\u00a0", "\t", "٣", "９", "²", "e", "E+09", ".0",
        ]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6),
    st.from_regex(r"\d{1,12}", fullmatch=True),
)
phone_like_text = st.lists(_piece, max_size=24).map("".join)
any_text = st.text(max_size=300)
cells = st.one_of(
    phone_like_text,
    any_text,
    st.none(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.builds(lambda n: float(n), st.integers(min_value=10**9, max_value=10**11)),  # Excel phone cells
    st.builds(lambda s, n: s * n, st.sampled_from(["8 916 123-45-67, ", "(", "доб. 1 ", "а1", " "]), st.integers(0, 400)),
)


def check_cell(value) -> None:
    parsed = parse_cell(value)  # must not raise
    text = cell_to_text(value)

    # every digit of the cell is in some raw part, in order; none is added
    assert digits(text) == "".join(digits(p.raw) for p in parsed)
    # raw kept: only whitespace and separators differ
    assert _SEPARATOR_OR_SPACE.sub("", text) == _SEPARATOR_OR_SPACE.sub("", "".join(p.raw for p in parsed))

    for p in parsed:
        assert p.raw and p.raw == p.raw.strip()
        # each digit of the part went to the number, its extension or its note
        assert Counter(digits(p.raw)) == Counter(p.typed_digits + (p.extension or "") + digits(p.note))
        assert p.digits_rev == p.national_digits[::-1]
        if p.extension is not None:
            assert p.extension.isdigit()
        if not p.is_valid:
            assert p.e164 is None and p.reason
            assert p.national_digits == p.typed_digits
            continue
        assert p.reason is None
        number = phonenumbers.parse(p.e164, None)
        assert phonenumbers.is_valid_number(number)
        cc = str(number.country_code)
        assert p.e164 == f"+{cc}{number.national_number}"
        assert p.e164.endswith(p.national_digits.lstrip("0")) and p.national_digits.endswith(str(number.national_number))
        # national digits are the tail of what was typed: never cut, never padded
        assert p.typed_digits.endswith(p.national_digits)
        prefix = p.typed_digits[: len(p.typed_digits) - len(p.national_digits)]
        assert prefix in ("", "7", "8") or prefix.startswith(cc) or prefix.startswith("810" + cc), (prefix, p)
        assert len(prefix) <= 8


@SETTINGS
@given(cells)
@example("8 (916) 123-45-67 доб. 12, тел. 8 495 123 45 67 (Иван 2)")
@example("(офис 2) 8 916 123 45 67")
@example("+44 (0)20 7946 0958")
@example("9161234567.0")
@example(9161234567.0)
@example(10**5000)
@example("1" * 5000)
@example("(" + "а" * 5000 + " " * 5000)
@example("\x00\x01 8 916 123 45 67 \ud7ff")
def test_parse_cell_never_raises_and_keeps_every_digit(value):
    check_cell(value)


@SETTINGS
@given(phone_like_text, st.sampled_from(["RU", "GB", "US", "DE", "KZ", "ZZ", ""]))
def test_parse_one_with_any_region_never_raises(text, region):
    p = parse_one(text, region)
    assert p.raw == text.strip()
    if p.is_valid:
        assert p.typed_digits.endswith(p.national_digits)


@SETTINGS
@given(st.from_regex(r"[0-9]{10}", fullmatch=True), st.sampled_from(["8 ({a}) {b}-{c}-{d}", "+7 {a} {b} {c} {d}", "7-{a}-{b}-{c}-{d}", "{a}{b}{c}{d}", "8{a}{b}{c}{d}"]))
def test_every_russian_format_of_a_number_gives_the_same_result(ten, template):
    text = template.format(a=ten[:3], b=ten[3:6], c=ten[6:8], d=ten[8:])
    plain = parse_one(ten)
    p = parse_one(text)
    assert (p.is_valid, p.e164) == (plain.is_valid, plain.e164)
    if p.is_valid:
        assert p.e164 == "+7" + ten


@SETTINGS
@given(st.text(max_size=60))
def test_phone_query_never_raises_and_uses_typed_digits(text):
    q = phone_query(text)
    if q is None:
        assert len(digits(text)) < 4
        return
    assert q.suffix_rev and q.suffix_rev.isdigit()
    assert q.suffix_rev[::-1] in digits(text) or q.e164 is not None
