"""The first screen's phone numbers without loading phonenumbers.

Every row of the Contacts list shows its main phone, formatted by
``services.phones.format_phone`` through phonenumbers; importing phonenumbers (its package loads
every module and compiles its patterns) and ``services.phones`` is ≈ 25 ms of CPU of a ≈ 300 ms
start, for the hundred numbers of the first page. Their text is kept in a small cache file
(``phones.json`` in the cache dir, ``TUICRM_CACHE_DIR`` else ``~/.cache/tuicrm``): written by
``format_phone`` itself after the first page is shown (``save_start``), and used while
phonenumbers' files and ``services/phones.py`` are the ones it was made from (their size and
mtime, as Python checks its .pyc files, and a format number). A number the cache does not hold
goes through ``format_phone`` as before (importing phonenumbers then), so the text is always
``format_phone``'s: the cache only remembers what it said. A missing, stale, broken or
unwritable cache costs the import, nothing else.

Only a stored E.164 number with its display style and region is looked up: the text of a number
without E.164 is its raw text, which needs no phonenumbers either.
"""

from __future__ import annotations

import os

DEFAULT_REGION = "RU"  # services.phones.DEFAULT_REGION (a test checks they agree)
_FORMAT = 1
MAX_ENTRIES = 2000  # numbers kept from earlier starts (other bases, other settings), at most

_entries: dict[str, str] | None = None  # loaded from the file (valid key), {} if none
_key: list | None = None
_asked: dict[str, str | None] | None = {}  # numbers shown since the start → text (None: not cached); None once saved
_loaded = False


def _files_key() -> list | None:
    """Size and mtime of the files a number's text comes from — phonenumbers' (found without
    importing it) and tuicrm's format_phone — or None if they cannot be read."""
    from tuicrm import paths

    own = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "services", "phones.py")
    stamp = paths.files_stamp("phonenumbers", ("__init__.py", "phonenumberutil.py", "data/__init__.py"), extra=(own,))
    return None if stamp is None else [_FORMAT, *stamp]


def _cache_file() -> str:
    from tuicrm import paths

    return paths.cache_file("phones.json")


def _load() -> dict[str, str]:
    global _entries, _key, _loaded
    if _loaded:
        return _entries or {}
    _loaded = True
    _entries = {}
    _key = _files_key()
    if _key is None:
        return _entries
    import json

    try:
        with open(_cache_file(), encoding="utf-8") as fh:
            stored = json.load(fh)
        if isinstance(stored, dict) and stored.get("key") == _key and isinstance(stored.get("entries"), dict):
            _entries = {k: v for k, v in stored["entries"].items() if isinstance(k, str) and isinstance(v, str)}
    except (OSError, ValueError, TypeError, AttributeError):
        pass
    return _entries


def _entry_key(e164: str, style: str, region: str) -> str:
    return f"{style}|{region}|{e164}"


def phone_text(e164: str | None, raw: str, style: str = "national", region: str = DEFAULT_REGION) -> str:
    """``format_phone(e164, raw, style, region)``, from the cache when it holds the number."""
    if not e164:
        return raw  # what format_phone does first: a number kept raw is shown raw
    key = _entry_key(e164, style, region)
    text = _load().get(key)
    if _asked is not None:
        _asked[key] = text
    if text is not None:
        return text
    from tuicrm.services.phones import format_phone

    return format_phone(e164, raw, style, region)


def save_start() -> None:
    """After the first page is shown: remember the text of the numbers shown since the start, if
    any was not in the cache (written by format_phone, so phonenumbers is imported here if the
    start did without it — which it only does when every number was found). Once."""
    global _asked
    asked = _asked
    if not asked:
        return  # nothing shown yet (or saved already)
    _asked = None
    if all(text is not None for text in list(asked.values())):
        return
    entries = dict(_load())
    if _key is None:
        return
    from tuicrm.services.phones import format_phone

    fresh = {}
    for key in list(asked):  # a copy: a worker formatting a number may still add to it
        style, region, e164 = key.split("|", 2)
        text = format_phone(e164, "", style, region)
        if text:  # "" = phonenumbers could not read the stored number: shown raw, not cached
            fresh[key] = text
    if not fresh:
        return
    entries.update(fresh)
    if len(entries) > MAX_ENTRIES:
        entries = fresh
    from tuicrm import paths

    if not paths.write_json_atomic(_cache_file(), {"key": _key, "entries": entries}):
        return  # a read-only home: phonenumbers every start, same text
    if _entries is not None:
        _entries.update(fresh)


def reset() -> None:
    """Forget what was loaded and shown (tests; a new start in the same process)."""
    global _entries, _key, _asked, _loaded
    _entries, _key, _asked, _loaded = None, None, {}, False
