"""Start-up: what the app's start does without — the cyclic garbage collector, and psycopg2 for
a SQLite base (tuicrm.cli.main, tuicrm.cli.run.fast_main).

Importing Textual, peewee, phonenumbers and babel and building the first screen allocates a few
hundred thousand long-lived objects (modules, classes, styles, widgets, locale data): the
collector ran ≈ 100 times during a start, one of them a full collection over all of them, for
60–100 ms of a ≈ 550 ms start — and nothing it could free (they are all still in use). So
``tuicrm.cli.main`` pauses it first thing; it is resumed when the app has shown its first page
(``CrmApp._after_first_page``), when a subcommand other than the app starts, and in any case
when ``main`` returns or raises. The app resumes it with one collection (≈ 30–50 ms, 1 s after
the first page: a third of what the start allocated is garbage by then) and freezes what
survives (``gc.freeze``): later collections — while typing a search, say — no longer walk the
≈ 70,000 objects the app keeps for its whole life.

Reference counting frees everything as usual while the collector is paused; only objects in
reference cycles wait for it.
"""

from __future__ import annotations

import gc
import sys

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


# --- peewee without psycopg2 when the app starts on a SQLite base ----------------------------------
# peewee imports psycopg2 as it is imported, whatever the base: for a SQLite base that is ≈ 15 ms
# of the app's start (psycopg2's C module loads libpq with its SSL, Kerberos and LDAP libraries) and
# nothing uses it. ``import_peewee`` imports peewee with psycopg2 hidden, unless the base is known to
# be PostgreSQL; ``ensure_postgres_driver`` (called by ``open_database`` for a postgresql:// URL —
# one named in the config file, say) then does what peewee's import does when it finds psycopg2,
# so peewee works as if it had found it from the start. A test compares the module and adapter
# state both ways and connects to a real PostgreSQL server after a start without it.
#
# No effect when peewee is already imported or psycopg2 already loaded.

_hidden = False  # peewee was imported here without psycopg2, and psycopg2 was not given back yet


def import_peewee(url: str | None) -> None:
    """Import peewee; without psycopg2 unless ``url`` is a postgresql:// (or other server) URL.
    ``url``: the --db / TUICRM_DB value, or None when the config file or the default decides."""
    global _hidden
    if "peewee" in sys.modules or "psycopg2" in sys.modules:
        return
    if url and "://" in url and not url.startswith("sqlite:"):
        import peewee  # noqa: F401

        return
    sys.modules["psycopg2"] = None  # `import psycopg2` raises ImportError while this is there
    try:
        import peewee
    finally:
        if sys.modules.get("psycopg2", 0) is None:
            del sys.modules["psycopg2"]
    _hidden = peewee.psycopg2 is None


def ensure_postgres_driver() -> None:
    """Give peewee psycopg2 as its import does (peewee.py: the psycopg2 import block and
    Psycopg2Adapter's driver constants), if ``import_peewee`` left it out."""
    global _hidden
    if not _hidden:
        return
    _hidden = False
    import peewee

    if peewee.psycopg2 is not None:
        return
    try:
        import psycopg2
        from psycopg2 import extensions as pg_extensions
        from psycopg2.extras import Json as Json_pg2
        from psycopg2.extras import register_uuid as pg_register_uuid
    except ImportError:
        return  # peewee says "psycopg2 postgres driver not found", as without us
    pg_register_uuid()
    peewee.psycopg2 = psycopg2
    peewee.pg_extensions = pg_extensions
    peewee.pg_register_uuid = pg_register_uuid
    peewee.Json_pg2 = Json_pg2
    adapter = peewee.Psycopg2Adapter
    adapter.txn_idle = pg_extensions.TRANSACTION_STATUS_IDLE
    adapter.txn_inerror = pg_extensions.TRANSACTION_STATUS_INERROR
    adapter.txn_unknown = pg_extensions.TRANSACTION_STATUS_UNKNOWN


def psycopg2_hidden() -> bool:
    return _hidden
