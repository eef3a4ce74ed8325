#!/usr/bin/env python
"""Foundation benchmarks on the large base: phone lookup in-process and as a whole process,
and large-base generation time.

    python bench/bench_lookup.py                 # SQLite (bench/data/large.db, built once) + PostgreSQL
    python bench/bench_lookup.py --generate      # rebuild the SQLite base first and time it
    python bench/bench_lookup.py --no-pg         # SQLite only
    python bench/bench_lookup.py --pg-scale 0.1  # a smaller PostgreSQL base
    python bench/bench_lookup.py --pg-url postgresql://user@host:port/db   # a PostgreSQL base
                                                 # generate.py already filled (no throwaway server)

- In-process: ``services.search.search`` (what ``tuicrm lookup`` calls) for N random stored
  numbers, typed in national format ("8 (916) 123-45-67") and by their last 4 digits; median
  and p95 per query (wall), and the median CPU time of this process per query (on SQLite that
  is all the work; on PostgreSQL the server's share is not in it); every full-number query must
  find its card. Goal: ≤ 1 ms.
- Whole process: ``tuicrm lookup --db URL --user demo "<number>"`` against the baseline
  ``python -c "import peewee, phonenumbers"``, interleaved in the same run, with bytecode caching
  on (as a user's Python has it). Wall and CPU time medians. Goal: ≤ 1.5× the baseline.
- The whole-process part is skipped (with a message) when the base's schema is older than this
  tuicrm: `tuicrm lookup` would upgrade it (and on SQLite first write a backup copy beside it).
- Generation: rows and rows/s per table (SQLite: from the last --generate run, kept in
  bench/data/gen-sqlite.json; PostgreSQL: generated in this run on a throwaway server).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import DATA_DIR, LARGE_URL, PgThrowaway, machine, md_table, ratio  # noqa: E402

VENV_BIN = Path(sys.executable).parent
TUICRM = str(VENV_BIN / "tuicrm") if (VENV_BIN / "tuicrm").exists() else None


def pick_numbers(n: int, seed: int) -> list[tuple[str, str, str, int]]:
    """(national-format query, 4-digit suffix, kind, id) of n random valid stored numbers."""
    import peewee

    from tuicrm.model import Phone
    from tuicrm.services.phones import format_phone

    max_id = Phone.select(peewee.fn.MAX(Phone.id)).scalar()
    rng = random.Random(seed)
    out = []
    while len(out) < n:
        ids = [rng.randint(1, max_id) for _ in range(n * 2)]
        for p in Phone.select().where(Phone.id.in_(ids) & (Phone.is_valid == True)).order_by(Phone.id):  # noqa: E712
            kind, ref = ("person", p.person_id) if p.person_id else ("company", p.company_id)
            out.append((format_phone(p.e164, p.raw, "national"), p.e164[-4:], kind, ref))
    rng.shuffle(out)
    return out[:n]


def in_process(url: str, n: int, seed: int) -> dict:
    from bench.common import open_large
    from tuicrm.db.connection import close_database
    from tuicrm.services import cards, search

    _db, actor = open_large(url)
    numbers = pick_numbers(n, seed)
    result = {}
    misses = 0

    def run(queries, fn):
        for q in queries[:20]:  # warm-up
            fn(q)
        samples, cpu = [], []
        for q in queries:
            c = time.process_time()
            t = time.perf_counter()
            fn(q)
            samples.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
        samples.sort()
        return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], statistics.median(cpu)

    def full(item):
        nonlocal misses
        hits = search.search(actor, item[0], limit=20)
        if (item[2], item[3]) not in {(h.kind, h.id) for h in hits}:
            misses += 1
        return hits

    from tuicrm.services.phones import phone_query

    # the index step alone: number → card references (what every caller of search pays)
    result["refs-full"] = run(numbers, lambda item: search._phone_refs(phone_query(item[0]), 20))
    result["refs-suffix"] = run(numbers, lambda item: search._phone_refs(phone_query(item[1]), 20))
    result["full"] = run(numbers, full)
    result["misses"] = misses
    result["suffix"] = run(numbers, lambda item: search.search(actor, item[1], limit=20))
    # what `tuicrm lookup` does: hits without their phones, then the cards in one batch
    result["full+card"] = run(numbers, lambda item: cards.summaries(
        actor, [(h.kind, h.id) for h in search.search(actor, item[0], limit=20, with_phones=False)]))
    result["query"] = numbers[0][0]
    close_database()
    return result


def schema_is_current(url: str) -> bool:
    """False when `tuicrm lookup` would upgrade the base (a write, and a backup copy on SQLite)."""
    from tuicrm.db import migrations
    from tuicrm.db.connection import close_database, open_database
    from tuicrm.db.schema import current_version

    open_database(url)
    try:
        return current_version() >= migrations.LATEST
    finally:
        close_database()


def whole_process(url: str, query: str, runs: int) -> dict:
    """Interleaved runs of the baseline and of `tuicrm lookup`; medians of wall and CPU ms."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "TUICRM_DB", "TUICRM_USER")}
    base_cmd = [sys.executable, "-c", "import peewee, phonenumbers"]
    look_cmd = [TUICRM or sys.executable, *([] if TUICRM else ["-m", "tuicrm"]), "lookup", "--db", url, "--user", "demo", query]
    probe = subprocess.run(look_cmd, env=env, capture_output=True, text=True)
    if probe.returncode != 0:
        raise RuntimeError(f"tuicrm lookup failed ({probe.returncode}): {probe.stderr.strip()}")
    samples = {"base": ([], []), "lookup": ([], [])}
    for i in range(runs + 2):
        for name, cmd in (("base", base_cmd), ("lookup", look_cmd)):
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run(cmd, env=env, capture_output=True)
            wall = (time.perf_counter() - t) * 1000
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            if i >= 2:  # two warm-up rounds (bytecode written, page cache warm)
                samples[name][0].append(wall)
                samples[name][1].append((r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1000)
    return {k: (statistics.median(w), statistics.median(c)) for k, (w, c) in samples.items()}


def gen_rows(stats: dict) -> list[list[str]]:
    rows = []
    for name, (n, secs) in stats["tables"].items():
        if n:
            rows.append([name, f"{n:,}", f"{secs:.1f}", f"{n / secs:,.0f}" if secs else "—"])
        else:
            rows.append([name, "", f"{secs:.1f}", ""])
    rows.append(["**total**", f"{stats['rows']:,}", f"{stats['total_s']:.1f}", f"{stats['rows'] / stats['total_s']:,.0f}"])
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sqlite-url", default=LARGE_URL)
    ap.add_argument("--generate", action="store_true", help="(re)build the SQLite large base first and time it")
    ap.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    ap.add_argument("--pg-scale", type=float, default=1.0)
    ap.add_argument("--pg-url", help="an existing PostgreSQL base filled by bench/generate.py (no throwaway server)")
    ap.add_argument("-n", type=int, default=300, help="numbers to look up in-process")
    ap.add_argument("--runs", type=int, default=15, help="whole-process runs of each command")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()

    from bench import generate

    load_start = os.getloadavg()[0]
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    gen_json = DATA_DIR / "gen-sqlite.json"
    sqlite_file = Path(args.sqlite_url.split("///", 1)[1])
    if args.generate or not sqlite_file.exists():
        stats = generate.generate(args.sqlite_url, scale=1.0, seed=1, replace=True)
        gen_json.write_text(json.dumps(stats, indent=2))
    sqlite_gen = json.loads(gen_json.read_text()) if gen_json.exists() else None

    targets = [("SQLite", args.sqlite_url, None)]
    results = {}
    pg = None
    pg_gen = None
    try:
        if args.pg_url:
            targets.append(("PostgreSQL", args.pg_url, None))
        elif not args.no_pg:
            pg = PgThrowaway()
            server = pg.__enter__()
            url = pg.database("tuicrm_bench")
            print(f"PostgreSQL throwaway server at {server}; generating scale {args.pg_scale} …", flush=True)
            pg_gen = generate.generate(url, scale=args.pg_scale, seed=1, replace=True)
            targets.append(("PostgreSQL", url, pg_gen))
        for label, url, _g in targets:
            print(f"{label}: in-process lookups …", flush=True)
            ip = in_process(url, args.n, args.seed)
            if schema_is_current(url):
                print(f"{label}: whole process ({args.runs} runs each, interleaved) …", flush=True)
                wp = whole_process(url, ip["query"], args.runs)
            else:
                print(f"{label}: the base's schema is older than this tuicrm: whole-process runs skipped "
                      "(tuicrm lookup would upgrade it)", flush=True)
                wp = None
            results[label] = (ip, wp)
    finally:
        if pg is not None:
            pg.__exit__(None, None, None)

    print()
    print(f"Machine: {machine()}; load average (1 min) at the start: {load_start:.1f}, at the end: {os.getloadavg()[0]:.1f}")
    print()
    rows = []
    for label, (ip, wp) in results.items():
        for key, what, goal in (
            ("refs-full", "full number → card refs (index step)", True),
            ("refs-suffix", "4-digit suffix → card refs (index step)", True),
            ("full", "lookup by full number (search with hits)", True),
            ("suffix", "lookup by 4-digit suffix (search with hits)", True),
            ("full+card", "full number + cards (what lookup prints)", False),
        ):
            wall, p95, cpu = ip[key]
            rows.append([label, what, f"{wall:.3f} ms", f"{p95:.3f} ms", f"{cpu:.3f} ms",
                         f"{wall:.2f}× of 1 ms" if goal else "", ("yes" if wall <= 1 else "NO") if goal else ""])
        if wp is not None:
            bw, bc = wp["base"]
            lw, lc = wp["lookup"]
            rows.append([label, "baseline `python -c \"import peewee, phonenumbers\"` (process)", f"{bw:.0f} ms", "", f"{bc:.0f} ms", "1.00×", ""])
            rows.append([label, "`tuicrm lookup` (whole process)", f"{lw:.0f} ms", "", f"{lc:.0f} ms",
                         f"{ratio(lw, bw)} wall, {ratio(lc, bc)} CPU", "yes" if lw / bw <= 1.5 else "NO"])
        if ip["misses"]:
            rows.append([label, "full-number queries that missed their card", str(ip["misses"]), "", "", "", "NO"])
    print(md_table(["engine", "measure", "wall median", "wall p95", "CPU median", "ratio", "goal met"], rows))
    for label, stats in (("SQLite", sqlite_gen), ("PostgreSQL", pg_gen)):
        if stats:
            print()
            print(f"Generation, {label}, scale {stats['scale']}:")
            print(md_table(["table", "rows", "seconds", "rows/s"], gen_rows(stats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
