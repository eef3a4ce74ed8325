"""Plan benchmark on the large base (2M activities, 30 managers): opening a day, moving to the
next one, the plan-tomorrow candidates, a free slot, a reminder poll — on SQLite and PostgreSQL.

    python bench/bench_plan.py [--db sqlite:///bench/data/large.db] [--runs 7] [--no-pg] [--pg-scale 1.0] [--no-ui]

In-process (services, exactly what the UI's workers call), for several managers:
- open a day: ``plan.load_day`` (zone, overdue block, the day, phones) — goal ≤ 100 ms;
- next day: ``plan.load_day`` for day + 1 — goal ≤ 100 ms;
- a head opening a manager's day;
- plan tomorrow: ``plan.candidates`` — goal ≤ 500 ms;
- the next free slot; one reminder poll;
baselines in the same run: one activity by primary key, and the naive way (every activity of the
manager loaded into memory — what the (assignee, due_at) ranges avoid).
Then (unless --no-ui) the real app headless on SQLite as manager01: press 2, time until the day is
on screen; press ] and time until the next day is on screen.
PostgreSQL: a throwaway server (tests/pgserver.py) filled by bench/generate.py at --pg-scale.
Read-only: nothing is written to the bases.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import LARGE_URL, PgThrowaway, ensure_large_base, machine, md_table, median_ms, ratio  # noqa: E402

GOAL_DAY_MS = 100
GOAL_CANDIDATES_MS = 500
MANAGERS = ("manager01", "manager07", "manager13", "manager19", "manager25")


def measure(url: str, runs: int) -> list[list[str]]:
    from tuicrm.config import Settings
    from tuicrm.db.connection import close_database, open_database
    from tuicrm.model import Activity, User, utcnow
    from tuicrm.services import plan, reminders
    from tuicrm.services.users import actor_for

    open_database(url)
    settings = Settings(timezone="Europe/Moscow")
    head = actor_for(User.get(User.login == "demo"))
    mgrs = [User.get_or_none(User.login == login) for login in MANAGERS]
    mgrs = [m for m in mgrs if m is not None] or list(User.select().where(User.role == "manager").limit(5))
    now = utcnow()
    some_id = Activity.select(Activity.id).order_by(Activity.id.desc()).scalar()
    base_pk = median_ms(lambda: Activity.get_by_id(some_id), runs)

    def per_manager(fn) -> float:
        return statistics.median(median_ms(lambda m=m: fn(m), runs) for m in mgrs)

    tz = plan.user_zone(mgrs[0].id, settings.timezone)
    today = plan.local_today(tz, now)
    open_day = per_manager(lambda m: plan.load_day(actor_for(m), m.id, None, settings.timezone, now=now))
    next_day = per_manager(lambda m: plan.load_day(actor_for(m), m.id, today + dt.timedelta(days=1), settings.timezone, now=now))
    head_day = per_manager(lambda m: plan.load_day(head, m.id, None, settings.timezone, now=now))
    tomorrow = plan.working_day_on_or_after(today + dt.timedelta(days=1))
    cands = per_manager(lambda m: plan.candidates(actor_for(m), m.id, tomorrow, tz, settings, now=now))
    slot = per_manager(lambda m: plan.next_free_slot(m.id, tomorrow, tz, now=now))

    def poll(m):
        tr = reminders.ReminderTracker(m.id, 10, started=now)
        return tr.poll(now)

    rem = per_manager(poll)
    naive = median_ms(lambda: list(Activity.select().where(Activity.assignee == mgrs[0].id).dicts()), max(3, runs // 2))
    sizes = plan.load_day(actor_for(mgrs[0]), mgrs[0].id, None, settings.timezone, now=now)
    tp = plan.candidates(actor_for(mgrs[0]), mgrs[0].id, tomorrow, tz, settings, now=now)
    n_acts = Activity.select().where(Activity.assignee == mgrs[0].id).count()
    close_database()
    yes = lambda v, goal: "yes" if v <= goal else "NO"  # noqa: E731
    return [
        ["baseline: one activity by primary key", f"{base_pk:.2f} ms", "1.00×", ""],
        [f"open a day (load_day; {len(sizes.rows)} rows for {MANAGERS[0]})", f"{open_day:.1f} ms", ratio(open_day, base_pk),
         yes(open_day, GOAL_DAY_MS)],
        ["next day (load_day, day + 1)", f"{next_day:.1f} ms", ratio(next_day, base_pk), yes(next_day, GOAL_DAY_MS)],
        ["a head opens a manager's day", f"{head_day:.1f} ms", ratio(head_day, base_pk), yes(head_day, GOAL_DAY_MS)],
        [f"plan tomorrow: candidates ({len(tp.candidates)} listed)", f"{cands:.1f} ms", ratio(cands, base_pk),
         yes(cands, GOAL_CANDIDATES_MS)],
        ["next free slot in working hours", f"{slot:.2f} ms", ratio(slot, base_pk), ""],
        ["one reminder poll (due/lead/assigned)", f"{rem:.2f} ms", ratio(rem, base_pk), ""],
        [f"naive: all {n_acts:,} activities of one manager into memory", f"{naive:.0f} ms", ratio(naive, base_pk), ""],
    ]


async def ui_measure(url: str) -> list[list[str]]:
    from textual.widgets import DataTable

    from tuicrm import i18n
    from tuicrm.config import Settings
    from tuicrm.session import open_session
    from tuicrm.ui.app import create_app
    from tuicrm.ui.screens.plan import PlanScreen

    i18n.set_language("en")
    session = open_session(url, Settings(language="en", timezone="Europe/Moscow"), user=MANAGERS[0])
    app = create_app(session)
    out = []
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()

        async def wait(cond, what):
            start = time.perf_counter()
            while not cond():
                if time.perf_counter() - start > 30:
                    raise RuntimeError(f"timed out: {what}")
                await pilot.pause(0.002)
            return (time.perf_counter() - start) * 1000

        # the time from the key to the table filled with the day (the paint follows in the next
        # frame); Pilot's press() itself waits for the app to go idle, so it is not the measure
        filled: list[float] = []
        original = PlanScreen.show

        def show(self, view, keep=None):
            original(self, view, keep)
            filled.append(time.perf_counter())

        PlanScreen.show = show
        try:
            start = time.perf_counter()
            await pilot.press("2")
            await wait(lambda: isinstance(app.screen, PlanScreen) and filled, "the day")
            first = (filled[0] - start) * 1000
            screen = app.screen
            rows = screen.query_one("#plan-table", DataTable).row_count
            out.append([f"app: press 2 → the day in the table ({rows} rows; first open of the pane)", f"{first:.0f} ms", "",
                        "yes" if first <= GOAL_DAY_MS else "NO"])
            samples = []
            for _ in range(5):
                day = screen.view.day
                filled.clear()
                start = time.perf_counter()
                await pilot.press("right_square_bracket")
                await wait(lambda d=day: screen.view.day != d and filled, "next day")
                samples.append((filled[0] - start) * 1000)
        finally:
            PlanScreen.show = original
        nd = statistics.median(samples)
        out.append(["app: press ] → the next day in the table (median of 5)", f"{nd:.0f} ms", "",
                    "yes" if nd <= GOAL_DAY_MS else "NO"])
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=LARGE_URL)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--no-pg", action="store_true")
    ap.add_argument("--pg-scale", type=float, default=1.0)
    ap.add_argument("--no-ui", action="store_true")
    ap.add_argument("--no-sqlite", action="store_true", help="only the PostgreSQL part")
    args = ap.parse_args()
    results: dict[str, list[list[str]]] = {}
    if not args.no_sqlite:
        if args.db == LARGE_URL:
            ensure_large_base()
        print("SQLite: services …", flush=True)
        results["SQLite"] = measure(args.db, args.runs)
    if not args.no_ui and not args.no_sqlite:
        print("SQLite: the app headless …", flush=True)
        results["SQLite"] += asyncio.run(ui_measure(args.db))
    if not args.no_pg:
        from bench import generate

        pg = PgThrowaway()
        server = pg.__enter__()
        try:
            url = pg.database("tuicrm_bench_plan")
            print(f"PostgreSQL at {server}: generating scale {args.pg_scale} …", flush=True)
            t0 = time.perf_counter()
            generate.generate(url, scale=args.pg_scale, seed=1, replace=True, log=lambda *_a, **_k: None)
            print(f"  generated in {time.perf_counter() - t0:.0f} s; services …", flush=True)
            results[f"PostgreSQL (scale {args.pg_scale})"] = measure(url, args.runs)
        finally:
            pg.__exit__(None, None, None)
    print()
    print(f"Machine: {machine()}; load average at the end: {os.getloadavg()[0]:.1f}")
    for label, rows in results.items():
        print()
        print(f"### {label}")
        print(md_table(["measure", "median", "ratio to baseline", "goal met"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
