"""Reports benchmark on the large base (2M activities, 50k deals): each report over a year.

    python bench/bench_reports.py [--db sqlite:///bench/data/large.db] [--runs 5] [--no-pg] [--pg-scale 1.0]
                                  [--small-scale 0.1]

Measures in-process (services.reports.run, what the Reports pane's worker calls), the head user
(sees everyone), the twelve months before the generator's "today", Moscow time:
- activity (month buckets), funnel, won/lost, forecast; activity for one manager; activity by day
  over one month;
baseline in the same run: COUNT(*) of the activities done in that year (the smallest read any
activity report must do), so the ratios hold on a loaded machine.
Memory: peak RSS of a fresh process that opens the base and runs all four reports, on a base of
--small-scale and on the large one (flat = about the same).
PostgreSQL: a throwaway server (tests/pgserver.py) filled by bench/generate.py at --pg-scale.

The report indexes (models.py: Activity (done_at, assignee, kind, outcome, archived_at),
(assignee, due_at, done_at, archived_at), (assignee, kind, done_at, outcome, archived_at) — schema
version 2; StageChange (changed_at, to_stage, deal, from_stage)) are created if the base predates
them, and ANALYZE is run once (this writes to the base: to keep bench/data/large.db as it is,
upgrade a copy — `sqlite3 large.db ".backup copy.db"`, open it with tuicrm once — and pass
--db sqlite:///copy.db). A PostgreSQL base is VACUUMed first (index-only scans need the
visibility map that a base just filled by COPY does not have yet). --pg-url measures an existing
PostgreSQL base instead of generating one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import DATA_DIR, LARGE_URL, PgThrowaway, ensure_large_base, machine, md_table, median_ms, ratio  # noqa: E402

GOAL_MS = 500
ZONE = "Europe/Moscow"


def prepare(url: str) -> None:
    from tuicrm.db.connection import open_database
    from tuicrm.model import Activity, StageChange

    db = open_database(url)
    tables = (Activity._meta.table_name, StageChange._meta.table_name)
    before = {i.name for t in tables for i in db.get_indexes(t)}
    Activity._schema.create_indexes(safe=True)
    StageChange._schema.create_indexes(safe=True)
    if {i.name for t in tables for i in db.get_indexes(t)} != before:
        db.execute_sql("ANALYZE")
    if db.__class__.__name__.startswith("Postgres") and not db.in_transaction():
        # a base just filled by COPY has no visibility map yet: index-only scans would still
        # visit the heap until autovacuum passes; a live base is vacuumed by autovacuum
        for t in tables:
            db.execute_sql(f'VACUUM ANALYZE "{t}"')
    db.close()


def year_period(today: dt.date):
    from tuicrm.services import reports

    first = reports._add_months(today.replace(day=1), -11)  # noqa: SLF001
    return reports.Period(first, reports._add_months(today.replace(day=1), 1), "12 months")  # noqa: SLF001


def measure(url: str, runs: int) -> list[list[str]]:
    from zoneinfo import ZoneInfo

    from peewee import fn

    from bench.common import open_large
    from tuicrm.model import Activity, User, utcnow
    from tuicrm.services import reports
    from tuicrm.services.reports import Filters

    prepare(url)
    db, head = open_large(url)
    tz = ZoneInfo(ZONE)
    newest = Activity.select(fn.MAX(Activity.done_at)).scalar()
    now = (newest or utcnow()) + dt.timedelta(hours=1)
    today = now.date()
    year = year_period(today)
    start, end = year.utc_bounds(tz)
    done_in_year = Activity.select().where((Activity.done_at >= start) & (Activity.done_at < end)).count()
    base = median_ms(lambda: Activity.select().where((Activity.done_at >= start) & (Activity.done_at < end)).count(), runs)
    rows = [[f"baseline: COUNT(*) of the {done_in_year:,} activities done in the year", f"{base:.0f} ms", "", "1.00×", ""]]
    manager = User.get(User.login == "manager01")
    month = reports.Period(today.replace(day=1), reports._add_months(today.replace(day=1), 1))  # noqa: SLF001
    cases = [
        ("activity, all managers, a year by month", lambda: reports.manager_activity(head, year, tz=tz, now=now)),
        ("funnel, a year", lambda: reports.funnel(head, year, tz=tz, now=now)),
        ("won/lost + reasons + competitors, a year", lambda: reports.won_lost(head, year, tz=tz, now=now)),
        ("forecast vs plan, a year", lambda: reports.forecast(head, year, tz=tz, now=now)),
        ("activity, one manager, a year", lambda: reports.manager_activity(head, year, tz=tz, now=now, filters=Filters(managers=(manager.id,)))),
        ("activity, all managers, a month by day", lambda: reports.manager_activity(head, month, tz=tz, now=now)),
    ]
    for label, call in cases:
        ms, cpu = median_wall_cpu_ms(call, runs)
        rows.append([label, f"{ms:.0f} ms", f"{cpu:.0f} ms", ratio(ms, base), "yes" if ms <= GOAL_MS else "NO"])
        print(f"  {label}: {ms:.0f} ms (CPU of this process {cpu:.0f} ms)", flush=True)
    db.close()
    return rows


def median_wall_cpu_ms(fn, runs: int) -> tuple[float, float]:
    """Medians of wall time and of this process's CPU time (process_time: on SQLite the query
    work itself; on PostgreSQL only the client side) over ``runs`` calls after one warm-up."""
    import statistics

    fn()
    wall, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def peak_rss(url: str) -> tuple[float, float]:
    """(peak RSS MB, seconds) of a fresh process that runs all four reports over a year."""
    code = f"""
import sys, time, resource, datetime as dt
sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
from zoneinfo import ZoneInfo
from peewee import fn
from bench.common import open_large
from bench.bench_reports import year_period
from tuicrm.model import Activity
from tuicrm.services import reports
db, head = open_large({url!r})
now = Activity.select(fn.MAX(Activity.done_at)).scalar() + dt.timedelta(hours=1)
year = year_period(now.date())
t = time.perf_counter()
for r in ("activity", "funnel", "winloss", "forecast"):
    reports.run(head, reports.ReportParams(r), tz=ZoneInfo({ZONE!r}), now=now, period=year)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, time.perf_counter() - t)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    return float(out[0]), float(out[1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=LARGE_URL)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--pg-scale", type=float, default=1.0)
    ap.add_argument("--pg-url", default=None, help="measure this existing PostgreSQL base instead of generating one")
    ap.add_argument("--skip-memory", action="store_true", help="no peak-RSS runs")
    ap.add_argument("--small-scale", type=float, default=0.1)
    ap.add_argument("--json", default=None, help="also write the results here")
    args = ap.parse_args()
    if args.db == LARGE_URL:
        ensure_large_base()
    from bench import generate

    results: dict[str, list[list[str]]] = {}
    print("SQLite (large): services …", flush=True)
    results["SQLite, scale 1.0"] = measure(args.db, args.runs)

    results["memory"] = [] if args.skip_memory else memory(args, generate)
    if args.pg_url:
        print("PostgreSQL (given base): services …", flush=True)
        results["PostgreSQL, given base"] = measure(args.pg_url, args.runs)
        if not args.skip_memory:
            rss, secs = peak_rss(args.pg_url)
            results["memory"].append(["PostgreSQL given base: all four reports, fresh process", f"{rss:.0f} MB", f"{secs * 1000:.0f} ms"])
    elif not args.no_pg:
        pg_generated(args, generate, results)
    report(results, args)
    return 0


def memory(args, generate) -> list[list[str]]:
    small = DATA_DIR / f"reports-scale-{args.small_scale}.db"
    small_url = f"sqlite:///{small}"
    if not small.exists():
        print(f"generating a scale-{args.small_scale} SQLite base for the memory comparison …", flush=True)
        generate.generate(small_url, scale=args.small_scale, seed=1, replace=True, log=lambda *_a, **_k: None)
    prepare(small_url)
    mem = []
    for label, url in ((f"scale {args.small_scale}", small_url), ("scale 1.0", args.db)):
        rss, secs = peak_rss(url)
        mem.append([f"SQLite {label}: all four reports, fresh process", f"{rss:.0f} MB", f"{secs * 1000:.0f} ms"])
    return mem


def pg_generated(args, generate, results) -> None:
    pg = PgThrowaway()
    server = pg.__enter__()
    try:
        url = pg.database("tuicrm_bench_reports")
        print(f"PostgreSQL at {server}: generating scale {args.pg_scale} …", flush=True)
        t0 = time.perf_counter()
        generate.generate(url, scale=args.pg_scale, seed=1, replace=True, log=lambda *_a, **_k: None)
        print(f"  generated in {time.perf_counter() - t0:.0f} s; services …", flush=True)
        results[f"PostgreSQL, scale {args.pg_scale}"] = measure(url, args.runs)
        if not args.skip_memory:
            rss, secs = peak_rss(url)
            results["memory"].append([f"PostgreSQL scale {args.pg_scale}: all four reports, fresh process", f"{rss:.0f} MB", f"{secs * 1000:.0f} ms"])
    finally:
        pg.__exit__(None, None, None)


def report(results, args) -> None:
    print()
    print(f"Machine: {machine()}; load average at the end: {os.getloadavg()[0]:.1f}")
    for label, rows in results.items():
        print()
        print(f"### {label}")
        if label == "memory":
            print(md_table(["measure", "peak RSS", "time"], rows))
        else:
            print(md_table(["report (head user, Moscow time)", "median", "CPU (median)", "ratio to baseline", f"≤ {GOAL_MS} ms"], rows))
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
