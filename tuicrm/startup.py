"""Start-up: the cyclic garbage collector is paused while `tuicrm` starts.

Importing Textual, peewee, phonenumbers and babel and building the first screen allocates a few
hundred thousand long-lived objects (modules, classes, styles, widgets, locale data): the
collector ran ≈ 100 times during a start, one of them a full collection over all of them, for
60–100 ms of a ≈ 550 ms start — and nothing it could free (they are all still in use). So
``tuicrm.cli.main`` pauses it first thing; it is resumed when the app has shown its first page
(``CrmApp._after_first_page``), when a subcommand other than the app starts, and in any case
when ``main`` returns or raises. The app resumes it with one collection (≈ 30–50 ms, 0.2 s after
the first page: a third of what the start allocated is garbage by then) and freezes what
survives (``gc.freeze``): later collections — while typing a search, say — no longer walk the
≈ 70,000 objects the app keeps for its whole life.

Reference counting frees everything as usual while the collector is paused; only objects in
reference cycles wait for it.
"""

from __future__ import annotations

import gc

_paused = False


def pause_gc() -> None:
    """Pause the collector unless it already is (by us or by the caller)."""
    global _paused
    if gc.isenabled() and not _paused:
        gc.disable()
        _paused = True


def resume_gc(*, freeze: bool = False) -> None:
    """Resume what ``pause_gc`` paused (a no-op otherwise). ``freeze``: collect now, then move
    everything still alive out of the collector's generations (the start's objects live as long
    as the app)."""
    global _paused
    if not _paused:
        return
    _paused = False
    if freeze:
        gc.collect()
        gc.freeze()
    gc.enable()


def gc_paused() -> bool:
    return _paused
