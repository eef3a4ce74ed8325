"""Helpers shared by the benchmarks in bench/ (not part of the installed package).

Use from a bench script run as ``python bench/bench_x.py``::

    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.common import LARGE_DB, ensure_large_base, median_ms, ratio, md_table, open_large

- ``ensure_large_base()`` builds ``bench/data/large.db`` once with bench/generate.py (git-ignored);
  ``open_large()`` opens it (read-mostly) and returns (db, actor of the head user ``demo``).
- ``timed(fn)``/``median_ms(fn, n)``: wall-clock medians; ``ratio(x, baseline)``: "1.23×".
- ``PgThrowaway``: a throwaway PostgreSQL server (tests/pgserver.py) as a context manager.
- ``BulkWriter``: raw bulk inserts for the generator (executemany / COPY).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterable, Sequence

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "bench" / "data"
LARGE_DB = DATA_DIR / "large.db"
LARGE_URL = f"sqlite:///{LARGE_DB}"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


# --- timing ----------------------------------------------------------------------------------


def timed(fn: Callable, *args, **kwargs) -> tuple[float, object]:
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def median_ms(fn: Callable[[], object], n: int = 5, warmup: int = 1) -> float:
    """Median wall time of ``fn()`` in milliseconds over ``n`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def median_each_ms(fn: Callable[[object], object], items: Sequence, warmup: int = 20) -> float:
    """Median per-item wall time in ms of ``fn(item)`` over ``items`` (e.g. 300 random numbers)."""
    for item in items[:warmup]:
        fn(item)
    samples = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def process_ms(cmd: Sequence[str], n: int = 7, env: dict | None = None, check: bool = True) -> float:
    """Median wall time in ms of running a whole process ``n`` times (after one warm-up run)."""
    full_env = {**os.environ, **(env or {})}
    samples = []
    for i in range(n + 1):
        start = time.perf_counter()
        proc = subprocess.run(list(cmd), capture_output=True, env=full_env)
        elapsed = (time.perf_counter() - start) * 1000
        if check and proc.returncode not in (0, 1):
            raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
        if i:
            samples.append(elapsed)
    return statistics.median(samples)


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}×" if baseline else "n/a"


def md_table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    rows = [[str(c) for c in r] for r in rows]
    widths = [max(len(str(h)), *(len(r[i]) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    out = ["| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths)) + " |",
           "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    return "\n".join(out)


def machine() -> str:
    import platform

    return f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}"


# --- the large base --------------------------------------------------------------------------


def ensure_large_base(url: str = LARGE_URL, scale: float = 1.0, seed: int = 1, log=print) -> dict | None:
    """Build the large base with bench/generate.py unless it is already there.

    Returns the generator's stats when it ran, None when the base existed.
    """
    from bench import generate

    if url == LARGE_URL and LARGE_DB.exists() and LARGE_DB.stat().st_size > 0:
        return None
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return generate.generate(url, scale=scale, seed=seed, replace=True, log=log)


def open_large(url: str = LARGE_URL, login: str = "demo"):
    """Open a generated base; return (db, actor) — the actor is the head user (sees everything)."""
    from tuicrm.db.connection import open_database
    from tuicrm.model import User
    from tuicrm.services.users import actor_for

    db = open_database(url)
    user = User.get(User.login == login)
    return db, actor_for(user)


# --- a throwaway PostgreSQL server ----------------------------------------------------------------


class PgThrowaway:
    """``with PgThrowaway() as server_url:`` — initdb + pg_ctl in a temp dir (tests/pgserver.py)."""

    def __init__(self):
        from tests import pgserver

        self._pgserver = pgserver
        bindir = pgserver.find_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL binaries not found (apt-get install postgresql)")
        self.server = pgserver.PgServer(bindir)

    def __enter__(self) -> str:
        self.url = self.server.start()
        return self.url

    def database(self, name: str) -> str:
        return self._pgserver.create_database(self.url, name)

    def __exit__(self, *exc) -> None:
        self.server.stop()


# --- bulk inserts -----------------------------------------------------------------------------------


def sql_value(value):
    """What we hand the driver: datetimes as 'YYYY-MM-DD HH:MM:SS' text (as peewee stores them on
    SQLite; PostgreSQL casts the literal), dates as ISO text, the rest as is."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


_PG_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _pg_text(value) -> str:
    """A value in PostgreSQL COPY text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return value.translate(_PG_ESCAPES)
    return str(sql_value(value))


class BulkWriter:
    """Bulk rows straight through the DB-API cursor, in chunks, one transaction per chunk:
    executemany on SQLite, COPY FROM STDIN on PostgreSQL.

    Columns a row does not give are filled with the model's constant defaults (computed once),
    so raw rows look exactly like rows peewee would have written.
    """

    def __init__(self, db, chunk: int = 20000):
        import peewee

        self.db = db
        self.chunk = chunk
        self.is_pg = isinstance(db, peewee.PostgresqlDatabase)

    def _defaults(self, model, columns: Sequence[str]) -> tuple[list[str], tuple]:
        names, values = [], []
        for field in model._meta.sorted_fields:
            if field.column_name in columns or field.name in columns or (field.primary_key and field.name == "id"):
                continue
            if field.default is None:
                continue
            value = field.default() if callable(field.default) else field.default
            names.append(field.column_name)
            values.append(sql_value(field.db_value(value)))
        return names, tuple(values)

    def insert(self, model, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
        extra_cols, extra_vals = self._defaults(model, columns)
        cols = list(columns) + extra_cols
        table = model._meta.table_name
        col_sql = ", ".join(f'"{c}"' for c in cols)
        n = 0
        batch: list[tuple] = []

        def flush():
            if not batch:
                return
            with self.db.atomic():
                cur = self.db.cursor()
                if self.is_pg:
                    buf = io.StringIO()
                    buf.writelines("\t".join(map(_pg_text, row)) + "\n" for row in batch)
                    buf.seek(0)
                    cur.copy_expert(f'COPY "{table}" ({col_sql}) FROM STDIN', buf)
                else:
                    marks = ", ".join("?" * len(cols))
                    cur.executemany(f'INSERT INTO "{table}" ({col_sql}) VALUES ({marks})', batch)
            batch.clear()

        for row in rows:
            batch.append(tuple(row) + extra_vals if extra_vals else tuple(row))
            n += 1
            if len(batch) >= self.chunk:
                flush()
        flush()
        return n
