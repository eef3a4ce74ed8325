"""Translations: the gettext catalog ``tuicrm/locale/<lang>/tuicrm.po``, read with babel.

English strings are the message ids, one translation each (tests/unit/test_i18n.py checks that
every string the code marks is translated). ``_()`` translates into the current language,
``N_()`` only marks a string for extraction (tables translated where they are shown).
"""

from __future__ import annotations

import locale as _locale
import os
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
    from babel.messages.pofile import read_po  # here, not at import: `tuicrm lookup` starts fast

    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=lang)
        for message in catalog:
            if message.id and message.string and not message.fuzzy:
                key = message.id if isinstance(message.id, str) else message.id[0]
                value = message.string if isinstance(message.string, str) else message.string[0]
                out[key] = value
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
