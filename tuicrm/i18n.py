"""Translations: the gettext catalog ``tuicrm/locale/<lang>/tuicrm.po``, read with babel.

English strings are the message ids, one translation each (tests/unit/test_i18n.py checks that
every string the code marks is translated). ``_()`` translates into the current language,
``N_()`` only marks a string for extraction (tables translated where they are shown).
"""

from __future__ import annotations

import locale as _locale
import os
import re
from functools import lru_cache

from tuicrm import paths

SUPPORTED = ("en", "ru")
_current = "en"
_catalog: dict[str, str] | None = {}  # None: not read yet (read on the first _() call)


@lru_cache(maxsize=None)
def _load(lang: str) -> dict[str, str]:
    out: dict[str, str] = {}
    folder = paths.locale_dir() / lang
    if not folder.is_dir():
        return out
    for po in sorted(folder.glob("*.po")):
        try:
            out.update(read_translations(po.read_text(encoding="utf-8")))
        except ValueError:  # something this small reader does not know: babel's reader decides
            out.update(_read_with_babel(po, lang))
    return out


def _read_with_babel(po, lang: str) -> dict[str, str]:
    # here, not at import: `tuicrm lookup` starts fast
    from babel.messages.pofile import read_po

    out: dict[str, str] = {}
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    for message in catalog:
        if message.id and message.string and not message.fuzzy:
            key = message.id if isinstance(message.id, str) else message.id[0]
            value = message.string if isinstance(message.string, str) else message.string[0]
            out[key] = value
    return out


_ESCAPE = re.compile(r'\\([\\abfnrtv"])')
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


def _unquote(text: str) -> str:
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"not a quoted string: {text!r}")
    text = text[1:-1]
    return _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), text) if "\\" in text else text


def read_translations(text: str) -> dict[str, str]:
    """msgid → msgstr of a .po file's translated, non-fuzzy entries (the first form of a plural),
    as babel's ``read_po`` gives them, in ≈ 1/30 of its time: babel builds a full Catalog
    (≈ 150 ms for our ≈ 1,000 entries, paid at every start in Russian). Raises ValueError on a
    line it does not know (the caller then asks babel)."""
    out: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    fuzzy = False
    current: list[str] | None = None  # the string that continuation lines extend

    def finish() -> None:
        nonlocal msgid, msgstr, fuzzy, current
        if msgid is not None:
            key = "".join(map(_unquote, msgid))
            value = "".join(map(_unquote, msgstr or []))
            if key and value and not fuzzy:
                out[key] = value
            fuzzy = False
        msgid = msgstr = current = None

    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line[0] == '"':
            if current is None:
                raise ValueError(f"a string outside an entry: {line!r}")
            current.append(line)
            continue
        if line[0] == "#":
            finish()
            if line.startswith("#~"):
                current, fuzzy = [], False  # an obsolete entry (with its flags): read and dropped
            elif line.startswith("#,"):
                fuzzy = fuzzy or "fuzzy" in (flag.strip() for flag in line[2:].split(","))
            continue
        keyword, _sep, arg = line.partition(" ")
        if keyword == "msgctxt":
            finish()
            current = [arg]  # the context does not take part in the key (as before)
        elif keyword == "msgid":
            if msgid is not None:
                finish()
            msgid = current = [arg]
        elif keyword == "msgid_plural":
            current = [arg]
        elif keyword in ("msgstr", "msgstr[0]"):
            msgstr = current = [arg]
        elif keyword.startswith("msgstr["):
            current = [arg]
        else:
            raise ValueError(f"unknown line: {line!r}")
    finish()
    return out


def detect_language() -> str:
    """From LC_ALL / LC_MESSAGES / LANG / LANGUAGE, else the system locale; English by default."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(var, "")
        if value and value not in ("C", "POSIX", "C.UTF-8"):
            code = value.split(":")[0].split(".")[0].split("_")[0].lower()
            if code in SUPPORTED:
                return code
            return "en"
    try:
        code = (_locale.getlocale()[0] or "").split("_")[0].lower()
    except ValueError:
        code = ""
    return code if code in SUPPORTED else "en"


def set_language(lang: str) -> str:
    """Switch the process to ``lang`` ('auto' detects it); returns the language in force."""
    global _current, _catalog
    if lang in (None, "", "auto"):
        lang = detect_language()
    if lang not in SUPPORTED:
        lang = "en"
    _current = lang
    _catalog = {} if lang == "en" else None  # the .po files are read when a string is first translated
    return lang


def language() -> str:
    return _current


def _(message: str) -> str:
    global _catalog
    catalog = _catalog
    if catalog is None:
        catalog = _catalog = _load(_current)
    return catalog.get(message, message)


def N_(message: str) -> str:
    return message


def missing(lang: str, messages: list[str]) -> list[str]:
    """Message ids without a translation in ``lang`` (used by the completeness test)."""
    catalog = _load(lang)
    return [m for m in messages if m not in catalog]
