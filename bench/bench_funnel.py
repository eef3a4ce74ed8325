"""Funnel benchmark on the large base (50k deals, ~8k open): opening the board and moving a deal.

    python bench/bench_funnel.py [--db sqlite:///bench/data/large.db] [--runs 7] [--no-ui]

Measures in-process (services, as the UI's worker calls them):
- open the board (head: all deals; a manager: own + shared clients' deals; filtered by owner),
  Won/Lost collapsed (the default) and expanded;
- move a deal one stage on + the board refresh that follows (one worker in the UI), and back;
- the forecast alone;
baselines in the same run: one deal fetched by primary key, and the naive board (every open deal
of the pipeline loaded into memory, what paging avoids).
Then (unless --no-ui) opens the real app headless on the large base, presses 3 and counts the
deal-card widgets mounted: only a page per column, never thousands.

Moves are real commits; every deal moved is moved back and the stage-change/audit rows this run
added are deleted at the end, so the base is left as found.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import LARGE_URL, ensure_large_base, machine, md_table, median_ms, open_large, ratio  # noqa: E402

TARGET_OPEN_MS = 300
TARGET_MOVE_MS = 50


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", default=LARGE_URL)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--no-ui", action="store_true")
    args = ap.parse_args()
    if args.db == LARGE_URL:
        ensure_large_base()

    import peewee

    from tuicrm.model import AuditLog, Deal, Stage, StageChange, User
    from tuicrm.model.enums import StageKind
    from tuicrm.services import deals, funnel
    from tuicrm.services.users import actor_for

    db, head = open_large(args.db)
    manager = actor_for(User.get(User.login == "manager01"))
    pid = deals.default_pipeline().id
    total = Deal.select().where(Deal.pipeline == pid).count()
    open_n = Deal.select().join(Stage, on=(Deal.stage == Stage.id)).where((Deal.pipeline == pid) & (Stage.kind == StageKind.OPEN)).count()
    n = args.runs
    rows = []

    some_id = Deal.select(Deal.id).order_by(Deal.id.desc()).scalar()
    base_pk = median_ms(lambda: Deal.get_by_id(some_id), n)
    rows.append(("baseline: one deal by primary key", base_pk, "1.00×", ""))

    def naive():
        q = Deal.select().join(Stage, on=(Deal.stage == Stage.id)).where((Deal.pipeline == pid) & (Stage.kind == StageKind.OPEN))
        return list(q)

    base_naive = median_ms(naive, n)
    rows.append((f"baseline: naive board, all {open_n} open deals into memory", base_naive, ratio(base_naive, base_pk), ""))

    def add(name, fn, target=None):
        ms = median_ms(fn, n)
        verdict = "" if target is None else ("ok" if ms <= target else f"OVER {target} ms")
        rows.append((name, ms, ratio(ms, base_pk), verdict))
        return ms

    add("open board — head, Won/Lost collapsed", lambda: funnel.board(head, pid), TARGET_OPEN_MS)
    add("open board — head, Won/Lost expanded", lambda: funnel.board(head, pid, collapsed=set()), TARGET_OPEN_MS)
    add("open board — manager01 (own + shared clients)", lambda: funnel.board(manager, pid), TARGET_OPEN_MS)
    add("open board — head, filter owner=manager01",
        lambda: funnel.board(head, pid, funnel.BoardFilter(scope="user", owner_id=manager.user_id)), TARGET_OPEN_MS)
    add("forecast alone (by owner + by month)", lambda: funnel.forecast(head, pid))
    first = deals.stages(pid)[0]
    add("'+N more': next page of a column", lambda: funnel.column_cards(head, first.id, offset=12, limit=12))

    # --- moves: real commits, each followed by the board refresh (as the UI's worker does) -----
    start_sc = StageChange.select(peewee.fn.MAX(StageChange.id)).scalar() or 0
    start_audit = AuditLog.select(peewee.fn.MAX(AuditLog.id)).scalar() or 0
    order = deals.stages(pid)
    movers = [d for d in Deal.select().where((Deal.stage == order[0].id) & Deal.archived_at.is_null()).order_by(Deal.id).limit(n + 1)]
    on_samples, back_samples, move_only, full_samples, fc_samples = [], [], [], [], []
    for d in movers:
        version = Deal.get_by_id(d.id).row_version
        shown = funnel.board(head, pid)  # the board on screen before the key
        changed = {order[0].id, order[1].id}
        t0 = time.perf_counter()
        version = deals.move_deal(head, d.id, order[1].id, version)
        t1 = time.perf_counter()
        # what the UI's worker does after a move: the two columns, then (a second worker) the forecast
        shown = funnel.board(head, pid, reuse=shown, changed=changed, with_forecast=False)
        t2 = time.perf_counter()
        funnel.forecast(head, pid)
        t2f = time.perf_counter()
        deals.move_deal(head, d.id, order[0].id, version)
        funnel.board(head, pid, reuse=shown, changed=changed, with_forecast=False)
        t3 = time.perf_counter()
        funnel.board(head, pid)
        t4 = time.perf_counter()
        on_samples.append((t2 - t0) * 1000)
        move_only.append((t1 - t0) * 1000)
        back_samples.append((t3 - t2f) * 1000)
        fc_samples.append((t2f - t2) * 1000)
        full_samples.append((t4 - t3) * 1000 + (t1 - t0) * 1000)
    # put the moved deals back exactly: stage_entered_at and the history rows of this run
    for d in movers:
        Deal.update(stage_entered_at=d.stage_entered_at, position=d.position, updated_at=d.updated_at).where(Deal.id == d.id).execute()

    import statistics

    for name, samples, target in (
        ("move a deal one stage on (service only)", move_only[1:], TARGET_MOVE_MS),
        ("move a deal one stage on + board refresh (the 2 columns)", on_samples[1:], TARGET_MOVE_MS),
        ("move it back + board refresh (the 2 columns)", back_samples[1:], TARGET_MOVE_MS),
        ("  then the forecast line (second worker)", fc_samples[1:], None),
        ("move + full board reload (for comparison)", full_samples[1:], None),
    ):
        ms = statistics.median(samples)
        verdict = "" if target is None else ("ok" if ms <= target else f"OVER {target} ms")
        rows.append((name, ms, ratio(ms, base_pk), verdict))

    print(f"# Funnel benchmark — {machine()}, {args.db}")
    print(f"{total} deals in the pipeline, {open_n} open; medians of {n} runs\n")
    print(md_table(("what", "ms", "× baseline (pk fetch)", "target"), [(a, f"{b:.1f}", c, d) for a, b, c, d in rows]))

    if not args.no_ui:
        ui_deal = funnel.board(head, pid).columns[0].cards[0]
        saved = Deal.get_by_id(ui_deal.id)
        db.close()
        asyncio.run(ui_check(args.db))
        open_large(args.db)
        Deal.update(stage_entered_at=saved.stage_entered_at, position=saved.position, updated_at=saved.updated_at).where(
            Deal.id == saved.id).execute()
    moved_ids = [d.id for d in movers] + ([saved.id] if not args.no_ui else [])
    # only the rows this run added for the deals it moved (others may be using the same base)
    StageChange.delete().where((StageChange.id > start_sc) & StageChange.deal.in_(moved_ids)).execute()
    AuditLog.delete().where((AuditLog.id > start_audit) & (AuditLog.entity == "deal") & AuditLog.entity_id.in_(moved_ids)).execute()
    return 0


async def ui_check(url: str) -> None:
    """The real app on the large base: time from pressing 3 to the board shown; widgets mounted."""
    from tuicrm.config import Settings
    from tuicrm.session import open_session
    from tuicrm.ui.app import create_app
    from tuicrm.ui.widgets.deal_card_widget import DealCardWidget

    session = open_session(url, Settings(language="en"), user="demo")
    app = create_app(session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        t0 = time.perf_counter()
        await pilot.press("3")
        while getattr(app.screen, "loaded", 0) < 1:
            await pilot.pause(0.005)
        shown = (time.perf_counter() - t0) * 1000
        screen = app.screen
        mounted = len(list(screen.query(DealCardWidget)))
        on_board = sum(c.count for c in screen.data.columns)
        open_cols = sum(1 for c in screen.data.columns if not c.collapsed)
        t1 = time.perf_counter()
        before = screen.loaded
        await pilot.press("L")
        while screen.loaded <= before:
            await pilot.pause(0.005)
        moved = (time.perf_counter() - t1) * 1000
        card = screen.selected()
        # move it back so the base is as found
        before = screen.loaded
        await pilot.press("H")
        while screen.loaded <= before:
            await pilot.pause(0.005)
    print()
    print(f"UI (80×24, headless): board shown {shown:.0f} ms after pressing 3 (first open of the pane, "
          f"widgets included); L (move + refresh) {moved:.0f} ms for “{card.title if card else '?'}”.")
    print(f"Mounted deal-card widgets: {mounted} for {on_board} deals on the board "
          f"({open_cols} expanded columns × a page of ≤{__import__('tuicrm.services.funnel', fromlist=['PAGE']).PAGE}).")


if __name__ == "__main__":
    sys.exit(main())
