#!/usr/bin/env python
"""Contacts pane benchmarks on the large base (bench/data/large.db, built by bench/generate.py).

    python bench/bench_contacts.py               # everything
    python bench/bench_contacts.py --runs 7      # more start-up runs
    python bench/bench_contacts.py --only search,card,list,startup

- startup: process start → first interactive screen, in a real terminal (tmux 80×24, screen polled
  with capture-pane every 20 ms): ``python -m tuicrm --db large.db`` until the contacts list shows
  its first rows, against a bare Textual app showing one empty DataTable, interleaved in the same
  run. Goal: ≤ 1.3× the bare app. Also a first start ever (no dates cache in the cache dir yet:
  babel loads its locale data and writes the cache, tuicrm.formatting).
- search: ``services.search.search`` (what a keystroke runs after the debounce) for sampled
  stored numbers (full, national format; last 4 digits), names (surname, 3-letter prefix, two
  words), email prefixes and tax ids. Goal: ≤ 50 ms.
- card: opening a person's card with 1,000 history entries (``cards.card_detail`` + the first
  history page, as the card's two workers do), against a typical card; the 1,000 entries are
  inserted inside a transaction that is rolled back, so the shared base is left as it was.
- list: a page of the contacts list (100 rows) for each sort, deep pages, and filters.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import LARGE_DB, LARGE_URL, ensure_large_base, machine, md_table, open_large, ratio  # noqa: E402

BARE_APP = """
from textual.app import App
from textual.widgets import DataTable, Footer, Header, Static
class Bare(App):
    def compose(self):
        yield Header()
        yield Static("BASELINE READY")
        yield DataTable()
        yield Footer()
    def on_mount(self):
        self.query_one(DataTable).add_columns("Name", "Phone")
Bare().run()
"""

PHONE_ROW = re.compile(r"\(\d{3,5}\) \d")

# In-process phases of a start (--only phases): the same two apps, timed from the first line of
# this script (the interpreter's own start, ~15 ms, is the same for both and not counted); the
# last phase ends when the frame the startup bench waits for (the baseline's text, the list's
# rows with phones) is handed to the terminal (LinuxDriver.write), and the app exits then.
# Argument: "bare", or the base URL for tuicrm.
PHASES_APP = """
import json, os, re, sys, time
T0 = time.perf_counter()
marks = {}
C0 = time.process_time()
def mark(name):  # wall-clock ms and CPU ms (all threads) since the first line
    marks.setdefault(name, (round((time.perf_counter() - T0) * 1000, 1), round((time.process_time() - C0) * 1000, 1)))
PHONE_ROW = re.compile(r"\\(\\d{3,5}\\) \\d")
def ready(data):
    if sys.argv[1] == "bare":
        return "BASELINE READY" in data and "Name" in data
    return len(PHONE_ROW.findall(data)) >= 3
def patch_driver(mod):  # the frame with what the startup bench waits for, written
    write = mod.LinuxDriver.write
    def timed_write(self, data):
        if "first screen written" not in marks and ready(data):
            mark("first screen written")
            linger = float(os.environ.get("PHASES_LINGER") or 0)  # a warm-up start writes its caches
            if linger:
                self._app.set_timer(linger, self._app.exit)
            else:
                self._app.call_later(self._app.exit)
        return write(self, data)
    mod.LinuxDriver.write = timed_write
if sys.argv[1] == "bare":
    import textual.drivers.linux_driver
    patch_driver(textual.drivers.linux_driver)
    from textual.app import App
    from textual.widgets import DataTable, Footer, Header, Static
    mark("imports")
    class Bare(App):
        def compose(self):
            yield Header()
            yield Static("BASELINE READY")
            yield DataTable()
            yield Footer()
        def on_mount(self):
            mark("app mounted")
            self.query_one(DataTable).add_columns("Name", "Phone")
    Bare().run()
else:
    # started as `tuicrm` starts (tuicrm.cli.main: the collector paused, no click, peewee without
    # psycopg2 for SQLite); the modules timed are patched as the start imports them, so nothing
    # is imported earlier than it would be
    import importlib.machinery
    def patch_session(mod):
        open_session = mod.open_session
        def timed_open(*a, **k):
            mark("imports to the session")
            out = open_session(*a, **k)
            mark("session open (schema check, user)")
            return out
        mod.open_session = timed_open
    def patch_app(mod):
        on_mount = mod.CrmApp.on_mount
        def timed_mount(self):
            mark("app imported and mounted")
            return on_mount(self)
        mod.CrmApp.on_mount = timed_mount
    def patch_table(mod):
        fill = mod.ContactsTable._fill
        def timed_fill(self, **kw):
            fill(self, **kw)
            if self.row_count:
                mark("first page in the table")
        mod.ContactsTable._fill = timed_fill
    PATCH = {"tuicrm.session": patch_session, "tuicrm.ui.app": patch_app, "tuicrm.ui.widgets.contacts_table": patch_table,
             "textual.drivers.linux_driver": patch_driver}
    class Hook:
        @classmethod
        def find_spec(cls, name, path=None, target=None):
            if name not in PATCH:
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            run = spec.loader.exec_module
            def exec_module(module):
                run(module)
                PATCH[name](module)
            spec.loader.exec_module = exec_module
            return spec
    sys.meta_path.insert(0, Hook)
    from tuicrm.cli import main
    try:
        main(["--db", sys.argv[1], "--user", "demo", "--lang", "en"])
    except SystemExit:
        pass
with open(os.environ["PHASES_OUT"], "w") as fh:
    json.dump(marks, fh)
"""


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def per_call_ms(fn, items, warmup: int = 3) -> list[float]:
    for item in items[:warmup]:
        fn(item)
    out = []
    for item in items:
        start = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - start) * 1000)
    return out


# --- startup in a real terminal -----------------------------------------------------------------------


def tmux_first_screen(command: str, ready, env: dict, timeout: float = 60.0, linger: float = 0.0) -> float:
    """Seconds from starting ``command`` in a new tmux 80×24 until ``ready(screen)``; the app is
    killed then, or ``linger`` seconds later (a warm-up start: the app writes its caches once the
    first screen is out, as a user's first start does — tuicrm.formatting, tuicrm.ui.phone_cache)."""
    sock = f"bench-contacts-{uuid.uuid4().hex[:8]}"
    tmux = ["tmux", "-L", sock]
    try:
        start = time.perf_counter()
        subprocess.run(tmux + ["new-session", "-d", "-s", "b", "-x", "80", "-y", "24",
                               *sum((["-e", f"{k}={v}"] for k, v in env.items()), []), command], check=True)
        while time.perf_counter() - start < timeout:
            screen = subprocess.run(tmux + ["capture-pane", "-p", "-t", "b"], capture_output=True, text=True).stdout
            if ready(screen):
                elapsed = time.perf_counter() - start
                time.sleep(linger)
                return elapsed
            time.sleep(0.02)
        raise RuntimeError(f"no first screen within {timeout}s: {command}\n{screen}")
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)


def fresh_bytecode(tree: Path = ROOT) -> None:
    """Compile tuicrm's modules to .pyc first, as an install does. Start-up reads the cached
    bytecode; with PYTHONDONTWRITEBYTECODE=1 (set in some shells) Python never refreshes a stale
    .pyc, and every module edited since would be compiled again at each start (≈ 1–2 ms a
    module): the benchmark would time the compiler, not the app."""
    import compileall

    compileall.compile_dir(str(tree / "tuicrm"), quiet=1)


def _tree_env(tree: Path | None) -> dict:
    """PYTHONPATH for another source tree's tuicrm (--before), run by this interpreter."""
    return {"PYTHONPATH": str(tree)} if tree is not None else {}


def bench_startup(runs: int, before: Path | None = None) -> list[list[str]]:
    """Bare app, tuicrm (warm), tuicrm's first start ever, and with ``before`` the same warm start
    of another source tree's tuicrm (e.g. ``git archive main``), interleaved."""
    fresh_bytecode()
    if before is not None:
        fresh_bytecode(before)
    tmp = Path(tempfile.mkdtemp(prefix="bench-contacts-"))
    bare = tmp / "bare.py"
    bare.write_text(BARE_APP, encoding="utf-8")
    env = {"TUICRM_CONFIG": str(tmp / "config.toml"), "TUICRM_DATA_DIR": str(tmp / "data"),
           "TUICRM_CACHE_DIR": str(tmp / "cache")}
    py = shlex.quote(sys.executable)
    args = f"--db {shlex.quote(LARGE_URL)} --user demo --lang en"
    crm_cmd = f"cd {shlex.quote(str(ROOT))} && {py} -m tuicrm {args}"  # -m: the current folder's tuicrm first
    before_cmd = f"cd {shlex.quote(str(before))} && {py} -m tuicrm {args}" if before is not None else ""
    before_env = {**env, "TUICRM_CACHE_DIR": str(tmp / "cache-before"), **_tree_env(before)}
    bare_cmd = f"{py} {shlex.quote(str(bare))}"
    crm_ready = lambda s: "Persons · by name" in s and len(PHONE_ROW.findall(s)) >= 3  # noqa: E731
    bare_ready = lambda s: "BASELINE READY" in s and "Name" in s  # noqa: E731
    # warm the OS caches once for each (the first tuicrm start also writes its caches — the
    # dates, tuicrm.formatting; the first page's phone numbers once it is shown,
    # tuicrm.ui.phone_cache — as a user's first start does; "first start" below is without them)
    tmux_first_screen(bare_cmd, bare_ready, env, linger=2.0)
    tmux_first_screen(crm_cmd, crm_ready, env, linger=2.0)
    if before is not None:
        tmux_first_screen(before_cmd, crm_ready, before_env, linger=2.0)
    crm, base, first, old = [], [], [], []
    for i in range(runs):  # interleaved: all the series see the same machine load
        series = [
            lambda: base.append(tmux_first_screen(bare_cmd, bare_ready, env)),
            lambda: crm.append(tmux_first_screen(crm_cmd, crm_ready, env)),
            lambda: first.append(tmux_first_screen(crm_cmd, crm_ready, {**env, "TUICRM_CACHE_DIR": str(tmp / f"cold-{i}")})),
        ]
        if before is not None:
            series.append(lambda: old.append(tmux_first_screen(before_cmd, crm_ready, before_env)))
        for k in range(len(series)):  # the order turns each round: no series always runs right after another
            series[(i + k) % len(series)]()
    b = statistics.median(base)

    def row(label: str, values: list[float]) -> list[str]:
        m = statistics.median(values)
        paired = statistics.median(v / w for v, w in zip(values, base))
        return [label, f"{m * 1000:.0f} ms", f"{min(values) * 1000:.0f}–{max(values) * 1000:.0f}", ratio(m, b),
                f"{paired:.2f}×"]

    rows = [
        ["bare Textual app, one empty DataTable", f"{b * 1000:.0f} ms", f"{min(base) * 1000:.0f}–{max(base) * 1000:.0f}", "1.00×", "1.00×"],
        row("tuicrm, Contacts list with its first page", crm),
        row("tuicrm, the same, first start (no caches)", first),
    ]
    if before is not None:
        rows.append(row(f"before: {before}", old))
        paired = statistics.median(a / o for a, o in zip(crm, old))
        rows.append(["tuicrm ÷ before, round by round", f"{(statistics.median(crm) - statistics.median(old)) * 1000:+.0f} ms",
                     f"faster in {sum(a < o for a, o in zip(crm, old))}/{len(old)}", "", f"{paired:.2f}×"])
    return rows


def bench_phases(runs: int, before: Path | None = None) -> list[list[str]]:
    """Median time of each phase of a start, in process (see PHASES_APP), interleaved; with
    ``before``, the same phases of another source tree's tuicrm."""
    fresh_bytecode()
    if before is not None:
        fresh_bytecode(before)
    tmp = Path(tempfile.mkdtemp(prefix="bench-phases-"))
    script = tmp / "phases.py"
    script.write_text(PHASES_APP, encoding="utf-8")
    out = tmp / "marks.json"
    env = {"TUICRM_CONFIG": str(tmp / "config.toml"), "TUICRM_DATA_DIR": str(tmp / "data"), "PHASES_OUT": str(out),
           "TUICRM_CACHE_DIR": str(tmp / "cache")}
    py = shlex.quote(sys.executable)
    trees = {"tuicrm": ROOT} if before is None else {"tuicrm": ROOT, "before": before}
    cmds = {"bare": (f"cd {shlex.quote(str(ROOT))} && {py} {shlex.quote(str(script))} bare", {})}
    for name, tree in trees.items():
        # the tree's tuicrm (the script's own folder comes first on sys.path); its own cache dir
        cmds[name] = (f"cd {shlex.quote(str(tree))} && {py} {shlex.quote(str(script))} {shlex.quote(LARGE_URL)}",
                      {"PYTHONPATH": str(tree), "TUICRM_CACHE_DIR": str(tmp / f"cache-{name}")})
    marks: dict[str, list[dict]] = {k: [] for k in cmds}
    for i in range(runs + 1):  # the first round warms the OS caches and writes the app's caches
        for name, (cmd, extra) in cmds.items():
            out.unlink(missing_ok=True)
            run_env = {**env, **extra, **({"PHASES_LINGER": "2"} if i == 0 else {})}
            tmux_first_screen(cmd + "; sleep 30", lambda _s: out.exists() and out.stat().st_size > 0, run_env)
            if i:
                marks[name].append(json.loads(out.read_text()))
    rows = []
    for name, runs_marks in marks.items():
        prev = prev_cpu = 0.0
        for phase in runs_marks[0]:
            at = statistics.median(m[phase][0] for m in runs_marks)
            cpu = statistics.median(m[phase][1] for m in runs_marks)
            rows.append([name, phase, f"{at:.0f} ms", f"+{at - prev:.0f} ms", f"{cpu:.0f} ms", f"+{cpu - prev_cpu:.0f} ms"])
            prev, prev_cpu = at, cpu
    last = {name: list(runs_marks[0])[-1] for name, runs_marks in marks.items()}
    for name in trees:  # the whole start against the bare app's: medians, and the median of each round's ratio
        for i, what in ((0, "wall"), (1, "CPU")):
            mine = [m[last[name]][i] for m in marks[name]]
            bare_v = [m[last["bare"]][i] for m in marks["bare"]]
            rows.append([name, f"{what} to the first screen ÷ bare", ratio(statistics.median(mine), statistics.median(bare_v)),
                         f"paired {statistics.median(a / b for a, b in zip(mine, bare_v)):.2f}×", "", ""])
    if before is not None:  # the two trees against each other, round by round
        for i, what in ((0, "wall"), (1, "CPU")):
            mine = [m[last["tuicrm"]][i] for m in marks["tuicrm"]]
            old = [m[last["before"]][i] for m in marks["before"]]
            diffs = [a - b for a, b in zip(mine, old)]
            rows.append(["tuicrm", f"{what} to the first screen − before", f"{statistics.median(diffs):+.0f} ms",
                         f"paired {statistics.median(a / b for a, b in zip(mine, old)):.2f}×",
                         f"faster in {sum(d < 0 for d in diffs)}/{len(diffs)}", ""])
    return rows


# --- search ----------------------------------------------------------------------------------------


def bench_search(actor, n: int, seed: int) -> list[list[str]]:
    import peewee

    from tuicrm.model import Company, Email, Person, Phone
    from tuicrm.services import search
    from tuicrm.services.phones import format_phone

    rnd = random.Random(seed)

    def sample(model, col, cond, k):
        max_id = model.select(peewee.fn.MAX(model.id)).scalar()
        out = []
        while len(out) < k:
            v = model.select(col).where(cond & (model.id >= rnd.randint(1, max_id))).order_by(model.id).limit(1).scalar()
            if v:
                out.append(v)
        return out

    e164s = sample(Phone, Phone.e164, Phone.e164.is_null(False), n)
    names = sample(Person, Person.full_name, Person.archived_at.is_null(), n)
    emails = sample(Email, Email.address, Email.address.is_null(False), n)
    inns = sample(Company, Company.inn, Company.inn.is_null(False), n)
    cases = {
        "full number, national format": [format_phone(e, e) for e in e164s],
        "full number, +7 digits only": [e.lstrip("+") for e in e164s],
        "last 4 digits": [e[-4:] for e in e164s],
        "surname": [x.split()[0] for x in names],
        "3-letter prefix": [x.split()[0][:3] for x in names],
        "surname + first name": [" ".join(x.split()[:2]) for x in names],
        "email prefix": [x.split("@")[0][:6] + "@" for x in emails],
        "tax id (ИНН)": inns,
    }
    rows = []
    found_all = 0
    for label, queries in cases.items():
        times = per_call_ms(lambda q: search.search(actor, q), queries)
        if label == "full number, national format":
            found_all = sum(1 for q, e in zip(queries, e164s) if any(h.phone_e164 == e or h.matched == "phone" for h in search.search(actor, q)))
        rows.append([label, str(len(queries)), f"{statistics.median(times):.1f} ms", f"{pct(times, 0.95):.1f} ms"])
    rows.append(["(full numbers found)", f"{found_all}/{len(e164s)}", "", ""])
    return rows


# --- a card with 1,000 history entries ----------------------------------------------------------------


def bench_card(actor, seed: int) -> list[list[str]]:
    from tuicrm.model import Activity, Note, Person, database
    from tuicrm.services import cards, history

    rnd = random.Random(seed)
    typical = Person.select(Person.id).where(Person.archived_at.is_null()).order_by(Person.id).offset(rnd.randint(0, 150_000)).limit(1).scalar()
    target = Person.select(Person.id).where(Person.archived_at.is_null() & (Person.id != typical)).order_by(Person.id).offset(rnd.randint(0, 150_000)).limit(1).scalar()

    def open_card(pid):
        cards.card_detail(actor, "person", pid)
        return history.timeline(actor, "person", pid, limit=50)

    def measure(pid, k=15):
        open_card(pid)
        times = []
        for _ in range(k):
            start = time.perf_counter()
            open_card(pid)
            times.append((time.perf_counter() - start) * 1000)
        return times

    base_times = measure(typical)
    base_entries = len(history.timeline(actor, "person", typical, limit=100_000).entries)
    with database.atomic() as tx:
        now = dt.datetime(2026, 11, 27, 7, 0)
        kinds = ["call_out", "call_in", "meeting", "email", "task"]
        rows = []
        for i in range(900):
            at = now - dt.timedelta(hours=i * 7)
            rows.append(dict(kind=kinds[i % 5], subject=f"bench {i}", due_at=at, done_at=at, outcome="reached", result="bench result",
                             person=target, assignee=actor.user_id, author=actor.user_id, created_at=at, updated_at=at))
        Activity.insert_many(rows).execute()
        Note.insert_many([dict(text=f"bench note {i}", person=target, author=actor.user_id, created_at=now - dt.timedelta(hours=i * 11),
                               updated_at=now) for i in range(100)]).execute()
        entries = len(history.timeline(actor, "person", target, limit=100_000).entries)
        big_times = measure(target)
        cursor = history.timeline(actor, "person", target, limit=50).next_cursor
        more = []
        for _ in range(15):
            start = time.perf_counter()
            history.timeline(actor, "person", target, cursor=cursor, limit=50)
            more.append((time.perf_counter() - start) * 1000)
        tx.rollback()
    return [
        [f"typical card ({base_entries} entries)", f"{statistics.median(base_times):.1f} ms", f"{pct(base_times, 0.95):.1f} ms", "1.00×"],
        [f"card with {entries} entries: detail + first 50", f"{statistics.median(big_times):.1f} ms", f"{pct(big_times, 0.95):.1f} ms",
         ratio(statistics.median(big_times), statistics.median(base_times))],
        ["its next 50 entries (load more)", f"{statistics.median(more):.1f} ms", f"{pct(more, 0.95):.1f} ms", ""],
    ]


# --- the list --------------------------------------------------------------------------------------


def bench_list(actor) -> list[list[str]]:
    from tuicrm.model import Company, Tag
    from tuicrm.services import contact_list
    from tuicrm.services.contact_list import ListFilter

    def page_times(kind="person", sort="name", flt=None, deep=0, k=7):
        cursor = None
        for _ in range(deep):
            cursor = contact_list.page(actor, kind, sort=sort, flt=flt, after=cursor).next_cursor
        contact_list.page(actor, kind, sort=sort, flt=flt, after=cursor)
        times = []
        for _ in range(k):
            start = time.perf_counter()
            contact_list.page(actor, kind, sort=sort, flt=flt, after=cursor)
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)

    tag = Tag.select(Tag.name).order_by(Tag.id).scalar()
    segment = Company.select(Company.segment).where(Company.segment.is_null(False)).order_by(Company.id).scalar()
    cases = [
        ("persons by name, first page", {}),
        ("persons by name, 20th page", {"deep": 19}),
        ("persons by last contact", {"sort": "last"}),
        ("persons by last contact, 20th page", {"sort": "last", "deep": 19}),
        ("persons by next task", {"sort": "next"}),
        ("companies by name", {"kind": "company"}),
        ("filter: mine", {"flt": ListFilter(owner="mine")}),
        (f"filter: tag {tag}", {"flt": ListFilter(tag=tag)}),
        (f"filter: segment {segment}", {"flt": ListFilter(segment=segment)}),
        ("filter: no next step", {"flt": ListFilter(no_next_step=True)}),
    ]
    return [[label, f"{page_times(**kw):.1f} ms"] for label, kw in cases]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5, help="start-up runs of each app (default 5)")
    ap.add_argument("--queries", type=int, default=40, help="queries per search case (default 40)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--base", type=Path, help="the large base to use (a copy: the app upgrades an older schema), "
                                              "instead of bench/data/large.db")
    ap.add_argument("--before", type=Path, help="startup/phases: also time another source tree's tuicrm "
                                                "(e.g. `git archive main | tar -x -C DIR`), interleaved")
    ap.add_argument("--only", default="startup,search,card,list",
                    help="any of startup,phases,search,card,list (phases: where a start's time goes, in process)")
    args = ap.parse_args()
    only = set(args.only.split(","))
    global LARGE_DB, LARGE_URL
    if args.base is not None:
        LARGE_DB = args.base.resolve()
        LARGE_URL = f"sqlite:///{LARGE_DB}"
    else:
        ensure_large_base()
    before = args.before.resolve() if args.before is not None else None
    print(f"# Contacts benchmarks — {machine()}, base {LARGE_DB} ({LARGE_DB.stat().st_size / 2**30:.1f} GiB)")
    print(f"load average at start: {os.getloadavg()[0]:.1f}\n")
    if "startup" in only:
        print("## Start to first interactive screen (tmux 80×24, median of", args.runs, "interleaved runs)\n")
        print(md_table(["app", "median", "range", "ratio", "paired"], bench_startup(args.runs, before)), "\n", flush=True)
    if "phases" in only:
        print("## Phases of a start, in process (median of", args.runs, "interleaved runs; since the script's first line;"
              " CPU = process time of all threads, less sensitive to other jobs on the machine)\n")
        print(md_table(["app", "phase done", "at", "phase", "CPU at", "CPU phase"], bench_phases(args.runs, before)), "\n", flush=True)
    if not only & {"search", "card", "list"}:
        print(f"load average at end: {os.getloadavg()[0]:.1f}")
        return
    db, actor = open_large(LARGE_URL)
    if "search" in only:
        print("## Search (services.search on the large base; goal ≤ 50 ms)\n")
        print(md_table(["query", "n", "median", "p95"], bench_search(actor, args.queries, args.seed)), "\n", flush=True)
    if "card" in only:
        print("## Opening a card\n")
        print(md_table(["card", "median", "p95", "ratio"], bench_card(actor, args.seed)), "\n", flush=True)
    if "list" in only:
        print("## Contacts list: one page of 100 rows (median of 7)\n")
        print(md_table(["page", "median"], bench_list(actor)), "\n", flush=True)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
