"""The Reports pane with Pilot: switching reports and periods, filters, empty periods, saved
reports on ctrl+digit and in the list, export to .xlsx, a manager's plan — keys in, base and
screen checked."""

from __future__ import annotations

import datetime as dt

import pytest

from tuicrm import formatting
from tuicrm.model import SalesTarget, SavedReport, Stage
from tuicrm.services import activities, deals, users
from tuicrm.ui.app import create_app
from tuicrm.ui.screens.reports import ReportsScreen
from tuicrm.ui.widgets.chart import ReportChart

T = dt.datetime
SIZE = (100, 30)


def seed(session):
    """Two managers with calls and deals in November 2026, one with nothing; Moscow time."""
    session.settings.timezone = "Europe/Moscow"
    actor = session.actor
    ann = users.create_user("ann", "Ann Antonova")
    bob = users.create_user("bob", "Bob Borisov")
    users.create_user("cid", "Cid Cidorov")
    st = {s.position: s.id for s in Stage.select()}
    for day, kind, outcome in ((2, "call_out", "reached"), (3, "call_out", "no_answer"), (3, "meeting", None),
                               (9, "email", None), (16, "call_in", "reached"), (24, "task", None)):
        activities.create_activity(actor, kind, "x", due_at=T(2026, 11, day, 9), done_at=T(2026, 11, day, 10),
                                   outcome=outcome, assignee_id=ann.id)
    activities.create_activity(actor, "call_out", "x", due_at=T(2026, 11, 5, 9), done_at=T(2026, 11, 5, 9),
                               outcome="busy", assignee_id=bob.id)
    activities.create_activity(actor, "call_out", "x", due_at=T(2026, 11, 20, 9), assignee_id=bob.id)
    activities.create_activity(actor, "call_out", "x", due_at=T(2026, 10, 20, 9), done_at=T(2026, 10, 20, 9),
                               outcome="reached", assignee_id=bob.id)
    d1 = deals.create_deal(actor, "Boilers", amount_minor=50_000_000, owner_id=ann.id, created_at=T(2026, 11, 2, 9))
    deals.move_deal(actor, d1, st[1], None, at=T(2026, 11, 4, 9))
    deals.move_deal(actor, d1, st[2], None, at=T(2026, 11, 6, 9))
    deals.move_deal(actor, d1, st[4], None, at=T(2026, 11, 12, 9))
    deals.create_deal(actor, "Pumps", amount_minor=20_000_000, owner_id=bob.id, stage_id=st[3], probability=50,
                      expected_close=dt.date(2026, 11, 30), created_at=T(2026, 11, 10, 9))
    from tuicrm.model import LossReason
    d3 = deals.create_deal(actor, "Valves", amount_minor=7_000_000, owner_id=bob.id, created_at=T(2026, 11, 3, 9))
    deals.move_deal(actor, d3, st[5], None, at=T(2026, 11, 8, 9), loss_reason_id=LossReason.get(LossReason.name == "Price").id)
    return {"ann": ann, "bob": bob}


@pytest.fixture
def app(ui_session, frozen_clock):
    who = seed(ui_session)
    application = create_app(ui_session, clock=frozen_clock)
    application.who = who
    return application


async def settle(pilot):
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_reports(pilot):
    await settle(pilot)
    await pilot.press("f4")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReportsScreen)
    return screen


def table_rows(screen):
    table = screen.table
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def row_named(screen, name):
    return next(r for r in table_rows(screen) if r[0] == name)


async def test_switch_reports_and_periods(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        assert screen.params.report == "activity"
        ann = row_named(screen, "Ann Antonova")
        assert ann[1:7] == ["2", "1", "1", "1", "1", "6"]
        assert row_named(screen, "Cid Cidorov")[1:7] == ["0"] * 6
        bar = str(screen.query_one("#reports-filters").render())
        assert "1 Nov 2026 – 30 Nov 2026 (this month)" in bar

        await pilot.press("f")
        await settle(pilot)
        assert screen.result.report == "funnel"
        assert table_rows(screen)[0][0] == "New lead"
        assert row_named(screen, "Won")[1] == "1"

        await pilot.press("w")
        await settle(pilot)
        nov = table_rows(screen)[0]
        assert nov[0] == "Nov 2026" and nov[1] == "1" and nov[3] == "1" and nov[2] == formatting.money(50_000_000)
        await pilot.press("t")
        await pilot.pause()
        assert table_rows(screen)[0][0] == "Price"

        await pilot.press("a", "left_square_bracket")
        await settle(pilot)
        assert screen.period.start == dt.date(2026, 10, 1)
        assert "1 Oct 2026 – 31 Oct 2026" in str(screen.query_one("#reports-filters").render())
        assert row_named(screen, "Bob Borisov")[1] == "1"  # the October call
        assert row_named(screen, "Ann Antonova")[1] == "0"
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert screen.period.start == dt.date(2026, 12, 1)
        assert screen.query_one(ReportChart).is_empty
        assert "Nothing to chart" in screen.query_one(ReportChart).empty_text()

        await pilot.press("p")  # this-month → this-quarter
        await settle(pilot)
        assert (screen.period.start, screen.period.end) == (dt.date(2026, 10, 1), dt.date(2027, 1, 1))
        assert screen.result.granularity == "week"
        await pilot.press("o")
        await settle(pilot)
        assert row_named(screen, "Bob Borisov")[1:4] == ["1", formatting.money(10_000_000), formatting.money(20_000_000)]


async def test_custom_period_end_before_start_is_said(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        await pilot.press("c")
        await pilot.pause()
        modal = app.screen
        start = modal.query_one("#period-start")
        start.value = ""
        await pilot.click("#period-start")
        await pilot.press(*"2026-11-10", "tab")
        end = modal.query_one("#period-end")
        end.value = ""
        await pilot.press(*"2026-11-05", "enter")
        await pilot.pause()
        assert app.screen is modal
        assert "ends before it starts" in modal.error_text
        end.value = ""
        await pilot.press(*"20.11.2026", "enter")
        await settle(pilot)
        assert app.screen is screen
        assert (screen.period.start, screen.period.end) == (dt.date(2026, 11, 10), dt.date(2026, 11, 21))
        assert row_named(screen, "Ann Antonova")[1:7] == ["0", "1", "0", "0", "0", "1"]  # only the call on 16 Nov


async def test_filters_choose_a_manager(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        assert len(table_rows(screen)) == 5  # tester, ann, bob, cid + Total
        await pilot.press("m")
        await settle(pilot)
        modal = app.screen
        names = [str(modal.query_one("#filter-managers").get_option_at_index(i).prompt) for i in range(4)]
        await pilot.press(*["down"] * names.index("Bob Borisov"), "space", "ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.params.managers == (app.who["bob"].id,)
        assert [r[0] for r in table_rows(screen)] == ["Bob Borisov"]
        assert "Managers: Bob Borisov" in str(screen.query_one("#reports-filters").render())


async def test_a_manager_with_brackets_in_the_name_is_listed_as_written(app):
    """The managers' list of the filters dialog, and the list of saved reports, show names as
    written: a str prompt is read as markup, and a manager named "Мария [/x] Петрова" crashed the
    app when the dialog opened."""
    users.create_user("maria", "Мария [/x] Петрова")
    async with app.run_test(size=SIZE) as pilot:
        await open_reports(pilot)
        await pilot.press("m")
        await settle(pilot)
        box = app.screen.query_one("#filter-managers")
        names = [str(box.get_option_at_index(i).prompt) for i in range(box.option_count)]
        assert "Мария [/x] Петрова" in names
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("s")  # a saved report's name is the user's text as well
        await pilot.pause()
        await pilot.press(*"[/s] отчёт", "tab", "4", "enter")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        saved = app.screen.query_one("#saved-list")
        assert "[/s] отчёт" in str(saved.get_option_at_index(0).prompt)


async def test_save_run_by_ctrl_digit_and_list(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        await pilot.press("w", "left_square_bracket")
        await settle(pilot)
        await pilot.press("s")
        await pilot.pause()
        await pilot.press(*"October losses", "tab", "3", "enter")
        await settle(pilot)
        row = SavedReport.get(SavedReport.name == "October losses")
        assert row.slot == 3 and '"report": "winloss"' in row.params and "2026-10-01..2026-10-31" in row.params
        await pilot.press("a", "right_square_bracket")
        await settle(pilot)
        assert screen.params.report == "activity" and screen.period.start == dt.date(2026, 11, 1)
        await pilot.press("ctrl+3")
        await settle(pilot)
        assert screen.params.report == "winloss" and screen.period.start == dt.date(2026, 10, 1)
        assert screen.result.report == "winloss" and table_rows(screen)[0][0] == "Oct 2026"
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.params.report == "winloss"
        titles = [c[0] for c in screen.commands()]
        assert "Run saved report: October losses" in titles
        await pilot.press("v")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert not SavedReport.select().exists()


async def test_export_xlsx_and_bad_path(app, tmp_path):
    from openpyxl import load_workbook

    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        await pilot.press("f", )
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        modal = app.screen
        field = modal.query_one("#export-path")
        field.value = str(tmp_path / "missing" / "f.xlsx")
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is modal and "does not exist" in modal.error_text
        field.value = str(tmp_path / "funnel")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
    wb = load_workbook(tmp_path / "funnel.xlsx")
    assert wb.sheetnames == ["Funnel Sales", "Chart data"]
    ws = wb["Funnel Sales"]
    assert [c.value for c in ws[2]][:4] == ["Stage", "Deals now", "Amount now", "Entered"]
    assert ws.cell(row=3, column=4).value == 2  # Boilers and Valves entered New lead


async def test_head_sets_a_plan(app):
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_reports(pilot)
        await pilot.press("o", "g")
        await settle(pilot)
        modal = app.screen
        await pilot.press("enter")  # open the manager list
        await pilot.pause()
        sel = modal.query_one("#target-user")
        options = [str(o[0]) for o in sel._options if o[1] is not sel.BLANK]
        await pilot.press(*["down"] * options.index("Ann Antonova"), "enter")
        await pilot.pause()
        await pilot.press("tab", "tab")
        await pilot.press(*"1 000 000", "enter")
        await settle(pilot)
        assert app.screen is screen
        t = SalesTarget.get()
        assert (t.user_id, t.month, t.amount_minor) == (app.who["ann"].id, dt.date(2026, 11, 1), 100_000_000)
        assert row_named(screen, "Ann Antonova")[5] == formatting.money(100_000_000)


async def test_no_color_uses_patterns(ui_session, frozen_clock, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    seed(ui_session)
    application = create_app(ui_session, clock=frozen_clock)
    async with application.run_test(size=(80, 24)) as pilot:
        screen = await open_reports(pilot)
        legend = str(screen.query_one("#chart-legend").render())
        assert "██ Calls" in legend and "▒▒ Meetings" in legend and "░░ Emails" in legend
        assert not screen.chart.is_empty
        drawn = screen.chart.plot.render().plain
        assert "▒" in drawn and "█" in drawn  # meetings stacked on calls, told apart without colour
