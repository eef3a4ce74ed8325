"""services.phones' two shortcuts give exactly what phonenumbers' public calls give.

- ``_parse_candidate``: "+7" + ten ASCII digits not starting with 0/8 is built directly instead of
  going through ``phonenumbers.parse``;
- ``_check``: validity, type and region in one pass instead of ``is_valid_number`` +
  ``number_type`` + ``region_code_for_number`` (each recomputing the others).
Both are compared with the public calls over every three-digit prefix and many other shapes.
"""

from __future__ import annotations

import random

import phonenumbers
import pytest
from phonenumbers import NumberParseException

from tuicrm.services import phones


def _public_parse(candidate: str, region: str):
    try:
        return phonenumbers.parse(candidate, None if candidate.startswith("+") else region)
    except NumberParseException as exc:
        return ("error", exc.error_type)


def _shortcut_parse(candidate: str, region: str):
    try:
        return phones._parse_candidate(candidate, region)
    except NumberParseException as exc:
        return ("error", exc.error_type)


def _candidates() -> list[tuple[str, str]]:
    rnd = random.Random(6)
    out: list[tuple[str, str]] = []
    for prefix in range(1000):  # every three-digit start of a Russian national number
        for _ in range(4):
            out.append((f"+7{prefix:03d}{rnd.randrange(10**7):07d}", "RU"))
        out.append((f"+7{prefix:03d}{rnd.randrange(10**6):06d}", "RU"))  # nine digits: not the shortcut
        out.append((f"+7{prefix:03d}{rnd.randrange(10**8):08d}", "RU"))  # eleven digits: not the shortcut
    fixed = [
        "+79161234567", "+78001234567", "+78881234567", "+70001234567", "+77011234567", "+77172123456",
        "+73432123456", "+74951234567", "+79991234567", "+7916123456", "+791612345678", "+7",
        "+7９１６１２３４５６７", "+7\u0669\u0661\u0666\u0661\u0662\u0663\u0664\u0665\u0666\u0667",
        "+12025550123", "+442071234567", "+390612345678", "+380441234567", "+375291234567",
        "+4930123456", "+8613812345678", "+80012345678", "+88234567890", "+9", "+999123456789",
        "89161234567", "79161234567", "9161234567", "4951234567", "1234567", "0", "00", "8800",
        "2025550123", "+1", "+70", "+80",
    ]
    for c in fixed:
        for region in ("RU", "US", "KZ", "UA"):
            out.append((c, region))
    return out


def test_shortcut_parse_equals_phonenumbers_parse():
    n_short = 0
    for candidate, region in _candidates():
        expected = _public_parse(candidate, region)
        got = _shortcut_parse(candidate, region)
        assert got == expected, candidate
        if isinstance(got, phonenumbers.PhoneNumber):
            assert (got.country_code, got.national_number, got.extension, got.italian_leading_zero,
                    got.number_of_leading_zeros) == (expected.country_code, expected.national_number,
                                                      expected.extension, expected.italian_leading_zero,
                                                      expected.number_of_leading_zeros), candidate
        n_short += candidate[:2] == "+7" and len(candidate) == 12 and candidate[2] not in "08" and candidate.isascii()
    assert n_short > 3000  # the shortcut itself was exercised


def test_one_pass_check_equals_the_public_calls():
    rnd = random.Random(7)
    numbers = [n for c, r in _candidates() for n in (_public_parse(c, r),) if isinstance(n, phonenumbers.PhoneNumber)]
    for cc in (1, 7, 44, 39, 49, 86, 375, 380, 800, 808, 870, 881, 882, 883, 888, 979, 998, 999, 210, 0):
        for length in (4, 6, 8, 9, 10, 11, 12):
            for _ in range(6):
                numbers.append(phonenumbers.PhoneNumber(country_code=cc, national_number=rnd.randrange(10 ** (length - 1), 10 ** length)))
    it = phonenumbers.PhoneNumber(country_code=39, national_number=612345678, italian_leading_zero=True)
    numbers.append(it)
    valid = 0
    for n in numbers:
        expected = (phonenumbers.is_valid_number(n), phonenumbers.number_type(n), phonenumbers.region_code_for_number(n))
        assert phones._check(n) == expected, n
        valid += expected[0]
    assert valid > 1000 and valid < len(numbers)  # both outcomes covered


@pytest.mark.parametrize("cell", [
    "+7 (916) 123-45-67", "8 916 123 45 67", "8(495)1234567 доб. 12", "79161234567", "+7-916-123-45-67",
    9161234567.0, "8 (800) 555-35-35", "+7 700 123 45 67", "моб. 8-916-123-45-67 (Иван)", "+44 20 7123 4567",
    "8-10-44-20-7123-4567", "123", "8 916 123 45 6", "+380 44 123 4567", "тел: 8(3432)12-34-56, факс 8(3432)12-34-57",
])
def test_parse_cell_unchanged_on_common_shapes(cell, monkeypatch):
    """parse_cell through the shortcuts equals parse_cell through the public calls."""
    phones._parse_one.cache_clear()
    fast = phones.parse_cell(cell)
    phones._parse_one.cache_clear()
    monkeypatch.setattr(phones, "_number_type_helper", None)
    monkeypatch.setattr(phones, "_parse_candidate", lambda c, region: phonenumbers.parse(c, None if c.startswith("+") else region))
    slow = phones.parse_cell(cell)
    phones._parse_one.cache_clear()
    assert fast == slow


def test_peel_fast_path_equals_every_pattern_tried():
    """A number written with only ASCII digits and "+()-. " skips _peel's patterns: the result is
    the same as trying them all (random texts of those characters, and the usual shapes)."""
    rnd = random.Random(11)
    alphabet = "0123456789+()-. "
    texts = ["".join(rnd.choice(alphabet) for _ in range(rnd.randrange(0, 24))) for _ in range(20000)]
    texts += ["+7 (916) 123-45-67", "8 916 123 45 67", "79161234567", "(495) 123-45-67", "8-800-...", "()", "-", "+",
              " 8 (916) 1234567 ", "9161234567.", ".5", "(((916)))"]
    fast = 0
    for t in texts:
        body = t.strip()
        assert phones._peel(t) == phones._peel_text(body), t
        fast += bool(phones._PLAIN.match(body))
    assert fast == len(texts)  # every one of them took the fast path
    for t in ("тел. 8 916 123-45-67", "8 916 123-45-67 доб. 12", "8916 # 12", "8 916 (Иван)", "8916x12", "8916;12"):
        assert not phones._PLAIN.match(t.strip()) and phones._peel(t) == phones._peel_text(t.strip())


# --- the import's fast paths (run 5): each compared with the general steps it skips ----------------


def _public_paths(monkeypatch):
    """parse_cell through phonenumbers' public calls: no +7 shortcut, no one-pass check."""
    monkeypatch.setattr(phones, "_number_type_helper", None)
    monkeypatch.setattr(phones, "_parse_candidate", lambda c, region: phonenumbers.parse(c, None if c.startswith("+") else region))


def _ru_shapes(n: str, ext: str) -> list:
    return [f"+7 ({n[0:3]}) {n[3:6]}-{n[6:8]}-{n[8:10]}", f"8 {n[0:3]} {n[3:6]} {n[6:8]} {n[8:10]}", f"8({n[0:3]}){n[3:10]} доб. {ext}",
            f"7{n}", f"+7-{n[0:3]}-{n[3:6]}-{n[6:8]}-{n[8:10]}", float(n), float("8" + n), n, f"810 7 {n}", f"8{n}доб{ext}",
            f"тел. 8 {n} (Иван)", f"+7 {n} ext. {ext}", f"8{n}, доб. {ext}"]


def test_ru_fast_path_equals_the_public_calls(monkeypatch):
    """Every four-digit start of a ten-digit national number (RU, KZ's +7 7…, invalid ones), in
    the benchmark's formats and others: parse_cell with the +7 fast path, _check_nsn and _valid
    equals parse_cell through phonenumbers' public calls."""
    rnd = random.Random(5)
    cells = []
    for prefix in range(10000):
        n = f"{prefix:04d}{rnd.randrange(10**6):06d}"
        shapes = _ru_shapes(n, str(rnd.randrange(1, 10**7)))
        cells += [shapes[prefix % len(shapes)], shapes[(prefix * 7 + 3) % len(shapes)]]
    for prefix in range(1000):  # every three-digit start in every shape
        cells += _ru_shapes(f"{prefix:03d}{rnd.randrange(10**7):07d}", "12")
    phones._parse_one.cache_clear()
    fast = [phones.parse_cell(c) for c in cells]
    phones._parse_one.cache_clear()
    with monkeypatch.context() as m:
        _public_paths(m)
        slow = [phones.parse_cell(c) for c in cells]
    phones._parse_one.cache_clear()
    assert fast == slow
    assert [[list(p.__dict__.items()) for p in ps] for ps in fast] == [[list(p.__dict__.items()) for p in ps] for ps in slow]
    valid = sum(p.is_valid for ps in fast for p in ps)
    kz = sum(p.region == "KZ" for ps in fast for p in ps)
    assert 5000 < valid < sum(map(len, fast)) - 5000 and kz > 100  # valid, invalid and Kazakh numbers all covered


def test_valid_is_the_dataclass():
    a = phones._valid("8 916 123-45-67", "+79161234567", "12", "mobile", "Иван", "9161234567", "RU", "89161234567")
    b = phones.ParsedPhone(raw="8 916 123-45-67", e164="+79161234567", extension="12", is_valid=True, reason=None, kind="mobile",
                           note="Иван", national_digits="9161234567", region="RU", typed_digits="89161234567")
    assert a == b and hash(a) == hash(b) and repr(a) == repr(b) and list(a.__dict__.items()) == list(b.__dict__.items())
    with pytest.raises(AttributeError):
        a.raw = "x"  # still frozen


def test_peel_extension_fast_path_equals_every_pattern_tried():
    """"<plain number> доб. 12" skips _peel's patterns: the result equals trying them all (random
    texts of that shape, and near misses that must take the general steps)."""
    rnd = random.Random(12)
    plain = "0123456789+()-. "
    texts = []
    for _ in range(20000):
        body = "".join(rnd.choice(plain) for _ in range(rnd.randrange(0, 20))) + rnd.choice("0123456789")
        ext = "".join(rnd.choice("0123456789") for _ in range(rnd.randrange(1, 10)))
        texts.append(body + rnd.choice(["", " ", " ", "  "]) + rnd.choice(["доб", "доб.", "доб.", "Доб.", "доб:", "доп.", "ext"])
                     + rnd.choice(["", " ", " ", "  "]) + ext + rnd.choice(["", "", "", " ", ")", "x"]))
    texts += ["8(495)1234567 доб. 12", "8 (495) 123-45-67 доб.123", "84951234567доб12", "+7 495 123 45 67 доб 1234567",
              "8(495)1234567 доб. 12345678", "8(495)1234567-доб. 12", "(доб. 12) 8 495 123 45 67", "доб. 12", "8(495) доб. 12",
              "8 495 123-45-67 (доб. 12)"]
    fast = 0
    for t in texts:
        assert phones._peel(t) == phones._peel_text(t.strip()), t
        fast += bool(phones._PLAIN_EXT.match(t.strip())) and not phones._PLAIN.match(t.strip())
    assert 2000 < fast < len(texts) - 2000  # both paths exercised


def test_split_cell_single_piece_shortcut():
    """A text with no separator is one piece: the shortcut gives what every step gives."""
    rnd = random.Random(13)
    alphabet = list("0123456789+()-. ") * 3 + ["доб. 1", "Иван", ",", ";", "/", "|", "\n", "   ", "  ", "\t", "\u00a0", "x", "моб:"]
    texts = ["".join(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 16))) for _ in range(20000)]
    single = 0
    for t in texts:
        stripped = phones.cell_to_text(t).strip()
        expected = phones._split_text(stripped) if stripped else []
        assert phones.split_cell(t) == expected, t
        single += bool(stripped) and phones._SEPARATORS.search(stripped) is None
    assert 2000 < single < len(texts)


def test_cell_to_text_integer_float_shortcut():
    """Integer-valued floats below 2**53 read as str(int()): the same text as the Decimal steps."""
    rnd = random.Random(14)
    values = [0.0, -0.0, 1.0, -1.0, 9161234567.0, 89161234567.0, 2.0**53 - 1, -(2.0**53 - 1), 2.0**53, -(2.0**53), 2.0**60, 1e16, 1e20,
              1e300, 1.5, 0.1, float("nan"), float("inf"), float("-inf")]
    for _ in range(20000):
        values.append(float(rnd.randrange(10 ** rnd.randrange(1, 20))) * rnd.choice([1, -1]))
        values.append(rnd.random() * 10 ** rnd.randrange(-3, 20))
        values.append(float(rnd.randrange(2**53 - 10**5, 2**53 + 10**5)))
    shortcut = 0
    for v in values:
        assert phones.cell_to_text(v) == phones._float_text(v), v
        shortcut += v.is_integer() and abs(v) < 2.0**53
    assert 20000 < shortcut < len(values)
    assert phones.cell_to_text("9161234567.0") == "9161234567" and phones.cell_to_text("a\x00b") == "ab"
