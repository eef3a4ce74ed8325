"""Phone numbers: split a cell, peel labels and extensions, normalize to E.164 with phonenumbers.

Rules (Russian habits first, the default region is a setting):
- a cell may hold several numbers separated by ``,`` ``;`` ``/`` or new lines; a part that starts
  with an extension marker (``, доб. 12``) belongs to the number before it;
- extensions written ``доб`` ``доб.`` ``доп.`` ``вн.`` ``внутр.`` ``ext`` ``x`` ``#`` are peeled off;
- labels such as ``тел.``/``моб.:`` and names in brackets are stripped and kept as a note;
- with region RU: 8 / 7 / +7 / no prefix with 10 digits mean Russia; 810 starts an international call;
- Excel numeric cells (``9161234567.0``) are read as integers;
- digits are never cut or padded: a result's national digits are always the tail of what was typed;
- anything not valid is kept raw, flagged, with the reason — never dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

try:  # one pass for validity, type and region (see _check); the public calls each recompute all three
    from phonenumbers.phonemetadata import PhoneMetadata as _Metadata
    from phonenumbers.phonenumberutil import REGION_CODE_FOR_NON_GEO_ENTITY as _NON_GEO
    from phonenumbers.phonenumberutil import COUNTRY_CODE_TO_REGION_CODE as _COUNTRY_REGIONS
    from phonenumbers.phonenumberutil import _number_type_helper
except ImportError:  # pragma: no cover - another phonenumbers layout: the public calls below
    _number_type_helper = None

DEFAULT_REGION = "RU"

_SEPARATORS = re.compile(r"[;,/\n\r|]+|\s{3,}")
_EXT_WORDS = r"(?:доб(?:авочный)?|доп|вн(?:утр(?:енний)?)?|ext(?:ension)?|x|#)"
_EXT_TAIL = re.compile(rf"(?:^|[\s,.(]|(?<=\d)){_EXT_WORDS}\s*[.:№]?\s*(\d{{1,7}})\s*\)?\s*$", re.IGNORECASE)
_EXT_ONLY = re.compile(rf"^\s*\(?\s*{_EXT_WORDS}\s*[.:№]?\s*\d{{1,7}}\s*\)?\s*$", re.IGNORECASE)
_LABELS = {
    "mobile": r"моб(?:ильный)?|сот(?:овый)?|mob(?:ile)?|cell",
    "work": r"раб(?:очий)?|work|office|оф(?:ис)?",
    "home": r"дом(?:ашний)?|home",
    "fax": r"факс|fax",
    "": r"тел(?:ефон)?|tel(?:ephone)?|phone|т",
}
_LABEL = re.compile(
    r"^\s*(?P<label>(?:" + "|".join(f"(?:{v})" for v in _LABELS.values()) + r"))\.?\s*[:\-–]?\s*(?=[\d+(])",
    re.IGNORECASE,
)
_BRACKET = re.compile(r"[(\[]([^()\[\]]*)[)\]]")  # a bracketed group (linear: no nested quantifiers)
_LETTER = re.compile(r"[^\W\d_]")
_TRAILING_TEXT = re.compile(r"(?<=\d)\s*[-–—:]?\s*([^\W\d_][^\d]*)$")  # "…45-67 Иван Петрович"
_LEADING_TEXT = re.compile(r"^\s*([^\d+(]*[^\W\d_][^\d+(]*?)\s*[:\-–]?\s*(?=[\d+(])")  # "Иван: 8916…"
_NON_DIGIT = re.compile(r"\D")
# a number written with nothing else: every pattern _peel looks for needs a letter, "#", ":" or a
# separator outside this set, so such a text is its own body (the fast path of _peel)
_PLAIN = re.compile(r"[0-9+()\- .]*\Z")
# a plain number ending in a digit, then "доб" (optional "." and single spaces) and 1–7 ASCII digits:
# _peel_text's patterns give (the number, the digits, no notes, no kind) — its brackets hold no
# letter (kept), no label or leading text can start before the number's digits, the extension
# pattern's only possible match is " доб. 12" itself, nothing is left for the trailing-text one
# (the fast-path test compares both on many such texts and near misses)
_PLAIN_EXT = re.compile(r"([0-9+()\- .]*[0-9]) ?доб\.? ?([0-9]{1,7})\Z")
_EXCEL_FLOAT_TEXT = re.compile(r"^\s*(\d{5,17})\.0+\s*$")  # "9161234567.0" from a CSV saved by Excel
# Below 2**53 every integer is a float, so an integer-valued float's shortest repr (what the Decimal
# steps of cell_to_text read) is that integer exactly: str(int(value)) gives the same text, without
# Decimal. Above it repr may round ("1.152921504606847e+18"): those keep the Decimal steps.
_EXACT_FLOAT_INT = 2.0 ** 53
MAX_PART_CHARS = 200  # longer text is not one phone number: kept raw and flagged, never regex-scanned


@dataclass(frozen=True)
class ParsedPhone:
    raw: str  # the part of the cell this number came from, exactly as written
    e164: str | None  # None when not valid
    extension: str | None = None
    is_valid: bool = True
    reason: str | None = None  # why it is not valid
    kind: str | None = None  # a kind read from a label or the number type (mobile/work/home/fax)
    note: str | None = None  # label or name stripped from the raw text
    national_digits: str = ""  # national significant number (valid) or the typed digits (invalid)
    region: str | None = None
    typed_digits: str = ""  # the digits of the number as typed, without extension and note

    @property
    def digits_rev(self) -> str:
        return self.national_digits[::-1]


def cell_to_text(value: object) -> str:
    """Excel gives numbers as floats: 9161234567.0 → '9161234567' (never scientific notation)."""
    if type(value) is str:  # the common case first (the same steps as for any other text, below)
        text = value.replace("\x00", "") if "\x00" in value else value
        m = _EXCEL_FLOAT_TEXT.match(text)
        return m.group(1) if m else text
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:  # more digits than int->str allows: Decimal has no such limit
            return format(Decimal(value), "f")
    if isinstance(value, float):
        if value.is_integer() and -_EXACT_FLOAT_INT < value < _EXACT_FLOAT_INT:
            return str(int(value))  # what _float_text gives for these: see _EXACT_FLOAT_INT
        return _float_text(value)
    text = str(value).replace("\x00", "")  # NUL means nothing in a phone and PostgreSQL text cannot hold it
    m = _EXCEL_FLOAT_TEXT.match(text)
    if m:  # a numeric cell exported to text by Excel: the ".0" is not part of the number
        return m.group(1)
    return text


def _float_text(value: float) -> str:
    """cell_to_text of any float (the integer-valued ones below 2**53 take a shortcut there)."""
    if value != value or value in (float("inf"), float("-inf")):
        return ""
    try:
        d = Decimal(repr(value))
    except InvalidOperation:
        return str(value)
    if d == d.to_integral_value():
        return str(int(d))
    return format(d, "f")


def split_cell(value: object) -> list[str]:
    """Split a cell into the texts of single numbers; extension-only parts join the previous one."""
    text = cell_to_text(value).strip()
    if not text:
        return []
    if _SEPARATORS.search(text) is None:  # one piece: _split_text gives [text] (tests compare)
        return [text]
    return _split_text(text)


def _split_text(text: str) -> list[str]:
    """split_cell of a stripped, non-empty text, every step taken."""
    pieces = [p.strip() for p in _SEPARATORS.split(text)]
    out: list[str] = []
    for piece in pieces:
        if not piece:
            continue
        if out and _EXT_ONLY.match(piece):
            out[-1] = f"{out[-1]}, {piece}"
            continue
        out.append(piece)
    # a leading part with no digits at all ("Иван:") is a label of the next number
    merged: list[str] = []
    pending = ""
    for piece in out:
        if not any(map(str.isdigit, piece)):
            pending = f"{pending} {piece}".strip()
            continue
        merged.append(f"{pending} {piece}".strip() if pending else piece)
        pending = ""
    if pending:
        if merged:
            merged[-1] = f"{merged[-1]}, {pending}"
        else:
            merged.append(pending)
    return merged


def _peel(text: str) -> tuple[str, str | None, list[str], str | None]:
    """Return (number text, extension, notes, kind from label)."""
    body = text.strip()
    if _PLAIN.match(body):  # only ASCII digits and "+()-. ": no label, bracketed note, extension or text
        return body.strip(" ,.;:-–"), None, [], None
    m = _PLAIN_EXT.match(body)
    if m:  # a plain number and "доб. 12": see _PLAIN_EXT
        return m.group(1).strip(" ,.;:-–"), m.group(2), [], None
    return _peel_text(body)


def _peel_text(body: str) -> tuple[str, str | None, list[str], str | None]:
    """_peel of a stripped text, every pattern tried (tests compare it with the fast path)."""
    notes: list[str] = []
    kind: str | None = None

    def bracket(m: re.Match) -> str:
        inner = m.group(1)
        if not _LETTER.search(inner) or _EXT_ONLY.match(inner):
            return m.group(0)  # "(916)" is part of the number, "(доб. 12)" an extension
        notes.append(inner.strip())
        return " "

    body = _BRACKET.sub(bracket, body)
    m = _LABEL.match(body)
    if m:
        label = m.group("label")
        for k, pattern in _LABELS.items():
            if re.fullmatch(pattern, label, re.IGNORECASE):
                kind = k or None
                break
        notes.insert(0, label)
        body = body[m.end():]
    m = _LEADING_TEXT.match(body)
    if m and not _EXT_ONLY.match(m.group(1)):
        notes.append(m.group(1).strip())
        body = body[m.end():]
    ext = None
    m = _EXT_TAIL.search(body)
    if m:
        ext = m.group(1)
        body = body[: m.start()]
    m = _TRAILING_TEXT.search(body)
    if m and m.group(1).strip():
        notes.append(m.group(1).strip())
        body = body[: m.start()]
    return body.strip(" ,.;:-–"), ext, notes, kind


def parse_one(text: str, region: str = DEFAULT_REGION) -> ParsedPhone:
    """Parse the text of a single number. Never raises."""
    raw = text.strip()
    if len(raw) > MAX_PART_CHARS:
        digits = _NON_DIGIT.sub("", raw)
        return ParsedPhone(raw=raw, e164=None, is_valid=False, reason="too long for a phone number",
                           national_digits=digits, typed_digits=digits)
    try:
        return _parse_one(raw, region)
    except Exception as exc:  # noqa: BLE001 - the contract is: never lose the number
        digits = _NON_DIGIT.sub("", raw)
        return ParsedPhone(raw=raw, e164=None, is_valid=False, reason=f"could not be read ({type(exc).__name__})",
                           national_digits=digits, typed_digits=digits)


@lru_cache(maxsize=65536)
def _parse_one(raw: str, region: str) -> ParsedPhone:
    body, ext, notes, kind = _peel(raw)
    note = ("; ".join(n for n in notes if n) or None) if notes else None
    digits = _NON_DIGIT.sub("", body)

    def invalid(reason: str) -> ParsedPhone:
        return ParsedPhone(raw=raw, e164=None, extension=ext, is_valid=False, reason=reason, kind=kind, note=note,
                           national_digits=digits, typed_digits=digits)

    if not digits:
        return invalid("no digits")
    if len(digits) > 17:
        return invalid("too many digits for one number")
    plus = body.lstrip().startswith("+")
    candidate: str
    if plus:
        candidate = "+" + digits
    elif region == "RU" and digits.startswith("810") and len(digits) > 11:
        candidate = "+" + digits[3:]
    elif region == "RU" and len(digits) == 11 and digits[0] in "78":
        candidate = "+7" + digits[1:]
    elif region == "RU" and len(digits) == 10:
        candidate = "+7" + digits
    else:
        candidate = digits
    if len(candidate) == 12 and candidate[:2] == "+7" and candidate[2] not in "08" and candidate.isascii() \
            and candidate[2:].isdigit() and _number_type_helper is not None:
        # the clean "+7" shape (see _parse_candidate): the number is PhoneNumber(7, int(national))
        # with national = candidate[2:] (no leading zero, so str(int()) gives it back), the tail of
        # ``digits`` by construction of the candidate; its E.164 is "+7" + national (format_number
        # prefixes the country code to the national significant number, extensions are not part
        # of E.164). A valid one is finished here, an invalid one takes the general steps below
        # for its reason (tests compare both paths).
        national = candidate[2:]
        valid, ntype, number_region = _check_nsn(7, national)
        if valid:
            if kind is None:
                if ntype == PhoneNumberType.MOBILE:
                    kind = "mobile"
                elif ntype == PhoneNumberType.FIXED_LINE:
                    kind = "work"
            return _valid(raw, candidate, ext or None, kind, note, national, number_region, digits)
    try:
        number = _parse_candidate(candidate, region)
    except NumberParseException as exc:
        return invalid(_PARSE_REASONS.get(exc.error_type, "not a phone number"))
    national = str(number.national_number)
    if number.italian_leading_zero:
        national = "0" * (number.number_of_leading_zeros or 1) + national
    if not digits.endswith(national):
        # phonenumbers changed digits (e.g. dropped a national prefix in the middle): keep raw
        return invalid("digits do not form one number")
    valid, ntype, number_region = _check(number)
    if not valid:
        if len(national) < 10 and region == "RU" and not plus:
            return invalid("too short: no area code?")
        reason = "not a valid number"
        if not phonenumbers.is_possible_number(number):
            reason = "wrong number of digits"
        return invalid(reason)
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    if kind is None:
        if ntype == PhoneNumberType.MOBILE:
            kind = "mobile"
        elif ntype in (PhoneNumberType.FIXED_LINE,):
            kind = "work"
    return ParsedPhone(
        raw=raw,
        e164=e164,
        extension=ext or (number.extension or None),
        is_valid=True,
        kind=kind,
        note=note,
        national_digits=national,
        region=number_region,
        typed_digits=digits,
    )


def _valid(raw: str, e164: str, extension: str | None, kind: str | None, note: str | None, national: str,
           region: str | None, typed: str) -> ParsedPhone:
    """ParsedPhone(raw=raw, e164=e164, extension=extension, is_valid=True, reason=None, kind=kind,
    note=note, national_digits=national, region=region, typed_digits=typed), made without the frozen
    dataclass's __init__ (ten object.__setattr__ calls, a sixth of a number's time): the same fields
    in the same order in the instance's __dict__ (a test compares the two)."""
    p = _new(ParsedPhone)
    p.__dict__.update(raw=raw, e164=e164, extension=extension, is_valid=True, reason=None, kind=kind, note=note,
                      national_digits=national, region=region, typed_digits=typed)
    return p


_new = object.__new__


def _parse_candidate(candidate: str, region: str) -> phonenumbers.PhoneNumber:
    """``phonenumbers.parse`` of a candidate, with a shortcut for the common clean Russian shape.

    For "+7" and ten ASCII digits not starting with 0 or 8, parse() takes country code 7 (main
    region RU), finds no national prefix to strip (RU's is "8"), no Italian leading zero and no
    extension: the result is exactly PhoneNumber(7, int(digits)) — tests compare the two over every
    three-digit prefix and many shapes."""
    if len(candidate) == 12 and candidate[:2] == "+7" and candidate[2] not in "08" and candidate[2:].isdigit() \
            and candidate.isascii():
        return phonenumbers.PhoneNumber(country_code=7, national_number=int(candidate[2:]))
    return phonenumbers.parse(candidate, None if candidate.startswith("+") else region)


def _check(number: phonenumbers.PhoneNumber) -> tuple[bool, int, str | None]:
    """(is_valid_number, number_type, region_code_for_number) computed once: each public call
    recomputes the region and the type, three to five pattern walks per number instead of one.
    Same steps as phonenumbers' own region_code_for_number / is_valid_number_for_region /
    number_type (tests compare them over every three-digit prefix and many other shapes), with
    each metadata's patterns compiled once (``_number_type``)."""
    if _number_type_helper is None:  # pragma: no cover
        return phonenumbers.is_valid_number(number), phonenumbers.number_type(number), phonenumbers.region_code_for_number(number)
    return _check_nsn(number.country_code, phonenumbers.national_significant_number(number))


_REGION_PLANS: dict[int, tuple] = {}  # country code → ((region code, its metadata), …) as phonenumbers lists them
_REGION_CC: dict[str, int] = {}  # region code → its country code (country_code_for_valid_region)
_REGION_META: dict[tuple[int, str], object] = {}  # (country code, region) → metadata_for_region_or_calling_code
_MISSING = object()


def _region_plan(cc: int) -> tuple | None:
    """The regions of a country code with their metadata (metadata_for_region of each: loaded once,
    then the same object every time), None for an unknown code."""
    plan = _REGION_PLANS.get(cc)
    if plan is None:
        regions = _COUNTRY_REGIONS.get(cc)
        if regions is None:
            return None
        plan = _REGION_PLANS[cc] = tuple((r, _Metadata.metadata_for_region(r.upper(), None)) for r in regions)
    return plan


def _check_nsn(cc: int, nsn: str) -> tuple[bool, int, str | None]:
    """_check of the number with this country code and national significant number."""
    plan = _region_plan(cc)
    if plan is None:
        return False, PhoneNumberType.UNKNOWN, None
    ntype = None
    if len(plan) == 1:
        number_region = plan[0][0]
    else:  # region_code_for_number: the first region whose leading digits or patterns fit
        number_region = None
        for region_code, metadata in plan:
            if metadata is None:
                continue
            if metadata.leading_digits is not None:
                if _compiled(metadata.leading_digits).match(nsn):
                    number_region = region_code
                    break
            else:
                t = _number_type(nsn, metadata)
                if t != PhoneNumberType.UNKNOWN:
                    number_region, ntype = region_code, t  # the type against this same metadata
                    break
        if number_region is None:
            return False, PhoneNumberType.UNKNOWN, None
    if ntype is None:
        key = (cc, number_region)
        metadata = _REGION_META.get(key, _MISSING)
        if metadata is _MISSING:  # looked up once: the same metadata object every time after
            metadata = _REGION_META[key] = _Metadata.metadata_for_region_or_calling_code(cc, number_region.upper())
        if metadata is None:
            return False, PhoneNumberType.UNKNOWN, number_region
        ntype = _number_type(nsn, metadata)
    if ntype == PhoneNumberType.UNKNOWN:
        return False, ntype, number_region
    if number_region == _NON_GEO:
        return True, ntype, number_region
    region_cc = _REGION_CC.get(number_region)
    if region_cc is None:
        region_cc = _REGION_CC[number_region] = phonenumbers.country_code_for_valid_region(number_region)
    return cc == region_cc, ntype, number_region


_PATTERNS: dict[str, re.Pattern] = {}
_PLANS: dict[int, tuple] = {}


def _compiled(pattern: str) -> re.Pattern:
    p = _PATTERNS.get(pattern)
    if p is None:
        p = _PATTERNS[pattern] = re.compile(pattern)
    return p


def _desc_test(desc):
    """phonenumbers' _is_number_matching_desc(nsn, desc) as (possible lengths or None, pattern), or
    None when the description matches nothing (absent, or an empty pattern)."""
    if desc is None or not desc.national_number_pattern:
        return None
    return (frozenset(desc.possible_length) if len(desc.possible_length) > 0 else None, _compiled(desc.national_number_pattern))


def _number_type(nsn: str, metadata) -> int:
    """phonenumbers' _number_type_helper, step for step: general description, then the special
    types in its order, then fixed line / mobile; a description's lengths are tested before its
    pattern, a pattern must match the whole number (``fullmatch``, as phonenumbers' _match)."""
    plan = _PLANS.get(id(metadata))
    if plan is None or plan[0] is not metadata:
        T = PhoneNumberType
        plan = _PLANS[id(metadata)] = (
            metadata, _desc_test(metadata.general_desc),
            tuple((t, d) for t, d in ((T.PREMIUM_RATE, _desc_test(metadata.premium_rate)), (T.TOLL_FREE, _desc_test(metadata.toll_free)),
                                      (T.SHARED_COST, _desc_test(metadata.shared_cost)), (T.VOIP, _desc_test(metadata.voip)),
                                      (T.PERSONAL_NUMBER, _desc_test(metadata.personal_number)), (T.PAGER, _desc_test(metadata.pager)),
                                      (T.UAN, _desc_test(metadata.uan)), (T.VOICEMAIL, _desc_test(metadata.voicemail))) if d is not None),
            _desc_test(metadata.fixed_line), _desc_test(metadata.mobile), bool(metadata.same_mobile_and_fixed_line_pattern))
    _md, general, special, fixed, mobile, same = plan
    n = len(nsn)
    # a test fits when it exists, its lengths (if any) hold n and its pattern matches all of nsn
    if general is None or (general[0] is not None and n not in general[0]) or general[1].fullmatch(nsn) is None:
        return PhoneNumberType.UNKNOWN
    for t, (lengths, pattern) in special:
        if (lengths is None or n in lengths) and pattern.fullmatch(nsn) is not None:
            return t
    if fixed is not None and (fixed[0] is None or n in fixed[0]) and fixed[1].fullmatch(nsn) is not None:
        if same:
            return PhoneNumberType.FIXED_LINE_OR_MOBILE
        if mobile is not None and (mobile[0] is None or n in mobile[0]) and mobile[1].fullmatch(nsn) is not None:
            return PhoneNumberType.FIXED_LINE_OR_MOBILE
        return PhoneNumberType.FIXED_LINE
    if not same and mobile is not None and (mobile[0] is None or n in mobile[0]) and mobile[1].fullmatch(nsn) is not None:
        return PhoneNumberType.MOBILE
    return PhoneNumberType.UNKNOWN


_PARSE_REASONS = {
    NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
    NumberParseException.NOT_A_NUMBER: "not a phone number",
    NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
    NumberParseException.TOO_SHORT_NSN: "too short",
    NumberParseException.TOO_LONG: "too long",
}


def parse_cell(value: object, region: str = DEFAULT_REGION) -> list[ParsedPhone]:
    """All numbers in a cell (a string, an Excel number or None). Never raises, never drops."""
    try:
        parts = split_cell(value)
    except Exception:  # noqa: BLE001
        text = cell_to_text(value).strip()
        parts = [text] if text else []
    return [parse_one(p, region) for p in parts]


# --- display -----------------------------------------------------------------------------------


@lru_cache(maxsize=8192)
def format_phone(e164: str | None, raw: str, style: str = "national", region: str = DEFAULT_REGION) -> str:
    """For display: national ("8 (916) 123-45-67") or international ("+7 916 123-45-67").

    National style is used only for numbers of the default region; others are international.
    Invalid numbers are shown raw. A stored E.164 number is read as ``phonenumbers.parse(e164,
    None)`` reads it (``_parse_candidate``: the clean +7 shape without parse(), the rest with
    it); a list page formats the same numbers again after each refill: remembered.
    """
    if not e164:
        return raw
    try:
        number = _parse_candidate(e164, region) if e164.startswith("+") else phonenumbers.parse(e164, None)
    except NumberParseException:
        return raw
    if style == "national" and phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)


# --- search ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhoneQuery:
    e164: str | None  # set when the query is one complete valid number
    suffix_rev: str  # reversed digits to match as a prefix of Phone.digits_rev


MIN_SUFFIX_DIGITS = 4


def looks_like_phone(text: str) -> bool:
    """A query of mostly phone characters with at least 4 digits."""
    stripped = text.strip()
    digits = sum(ch.isdigit() for ch in stripped)
    if digits < MIN_SUFFIX_DIGITS:
        return False
    allowed = sum(ch.isdigit() or ch in "+-() ." for ch in stripped)
    return allowed >= len(stripped) - 6 and digits >= len(stripped.replace(" ", "")) * 0.6


def phone_query(text: str, region: str = DEFAULT_REGION) -> PhoneQuery | None:
    """How to look a typed number up: a complete number by E.164, else by its trailing digits."""
    text = text.strip()
    digits = _NON_DIGIT.sub("", text)
    if len(digits) < MIN_SUFFIX_DIGITS:
        return None
    parsed = parse_one(text, region)
    if parsed.is_valid and parsed.e164:
        return PhoneQuery(e164=parsed.e164, suffix_rev=parsed.national_digits[::-1])
    body, _ext, _notes, _kind = _peel(text)
    body_digits = _NON_DIGIT.sub("", body) or digits
    return PhoneQuery(e164=None, suffix_rev=body_digits[::-1])
