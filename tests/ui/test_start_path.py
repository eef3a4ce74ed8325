"""What the app's start does without, and what it does right after its first page: phonenumbers
left out once the first page's numbers are in the phone cache (tuicrm.ui.phone_cache), the app
told of the first page at once, the list's column labels made without rich's emoji table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from rich.text import Text

from tests.ui.contacts_helpers import seed, until
from tuicrm import i18n
from tuicrm.ui.app import create_app
from tuicrm.ui.screens.contacts import ContactsScreen
from tuicrm.ui.widgets.contacts_table import COLUMN_TITLES, ContactsTable, _column_label


@pytest.fixture
def data(ui_session, frozen_clock):
    return seed(ui_session.actor, frozen_clock(), extra_persons=30)


async def _ready(pilot, app):
    await until(pilot, lambda: isinstance(app.screen, ContactsScreen)
                and app.screen.query_one("#contacts-table", ContactsTable).row_count > 0, what="the list")


# a real start in a fresh interpreter (what it imported is the point), headless at 80×24
START = r"""
import asyncio, json, os, sys, time
from tuicrm.startup import import_peewee, pause_gc
pause_gc()
import_peewee(None)
from tuicrm.config import Settings
from tuicrm.session import open_session
from tuicrm.ui.app import create_app
from tuicrm.ui.widgets.contacts_table import ContactsTable
url, wait_for = sys.argv[1], sys.argv[2]
app = create_app(open_session(url, Settings(language="en"), user="tester"))
out = {}
async def main():
    async with app.run_test(size=(80, 24)) as pilot:
        end = time.monotonic() + 30
        while time.monotonic() < end:
            tables = app.screen.query(ContactsTable)
            if tables and tables.first().row_count:
                break
            await pilot.pause(0.01)
        table = tables.first()
        out["imported"] = [m for m in ("phonenumbers", "tuicrm.services.phones") if m in sys.modules]
        out["rows"] = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        end = time.monotonic() + 10
        while wait_for and not os.path.exists(wait_for) and time.monotonic() < end:
            await pilot.pause(0.05)
asyncio.run(main())
print("@@" + json.dumps(out))
"""


def _start(url: str, wait_for: str = "") -> dict:
    proc = subprocess.run([sys.executable, "-c", START, url, wait_for], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "TEXTUAL_ANIMATION": "none"})
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.rsplit("@@", 1)[1])


def test_a_second_start_shows_the_first_page_without_phonenumbers(ui_session, data, sqlite_url):
    from tuicrm.ui import phone_cache

    cache = phone_cache._cache_file()
    assert not os.path.exists(cache)
    first = _start(sqlite_url, wait_for=cache)  # a first start: phonenumbers formats, the cache is written after
    assert first["imported"] == ["phonenumbers", "tuicrm.services.phones"]
    assert os.path.exists(cache)
    second = _start(sqlite_url)
    assert second["imported"] == []
    assert second["rows"] == first["rows"]
    phones_shown = [cell for row in second["rows"] for cell in row if cell.startswith("8 (")]
    assert len(phones_shown) > 20  # the rows compared do show formatted numbers
    # a number the cache does not hold (a new contact on the first page) still shows, formatted
    from tuicrm.services import contacts

    contacts.create_person(ui_session.actor, full_name="Ааронов Антон", phones=["+7 916 000-11-22"])
    third = _start(sqlite_url)
    assert third["imported"] == ["phonenumbers", "tuicrm.services.phones"]
    assert third["rows"][0][0] == "Ааронов Антон" and "8 (916) 000-11-22" in third["rows"][0]
    assert third["rows"][1:] == second["rows"][:len(third["rows"]) - 1]


async def test_the_app_is_told_of_the_first_page_at_once(ui_session, data, frozen_clock, monkeypatch):
    """The collector, the other stylesheets, the reminders and the phone cache wait for the first
    page, then 1 s — not for the 3 s fallback (a ContactsTable.Loaded posted while the default
    screen is mounted never reached the app)."""
    import gc

    from tuicrm import startup

    resumed = []
    real_resume = startup.resume_gc

    def spy(**kw):
        resumed.append(time.monotonic())
        return real_resume(**kw)

    monkeypatch.setattr(startup, "resume_gc", spy)
    startup.pause_gc()
    try:
        app = create_app(ui_session, clock=frozen_clock)
        async with app.run_test(size=(80, 24)) as pilot:
            await _ready(pilot, app)
            assert app._first_page_shown
            shown = time.monotonic()
            await until(pilot, lambda: gc.isenabled(), what="the collector back on")
            assert resumed and resumed[0] - shown < 2.0  # the 1 s timer, not the 3 s one
            assert app._all_stylesheets and app._reminders is not None
    finally:
        real_resume()
        gc.unfreeze()


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_column_labels_are_the_text_datatable_makes_from_the_title(lang):
    before = i18n.language()
    i18n.set_language(lang)
    try:
        titles = [i18n._(t) for t in COLUMN_TITLES.values()] + ["plain", "with [b]markup[/b]", "with :smile: code", ""]
        for title in titles:
            made = _column_label(title)
            expected = Text.from_markup(title)
            got = Text.from_markup(made) if isinstance(made, str) else made
            assert (got.plain, got.spans, got.style, got.justify, got.overflow, got.no_wrap, got.end, got.tab_size) == (
                expected.plain, expected.spans, expected.style, expected.justify, expected.overflow, expected.no_wrap,
                expected.end, expected.tab_size), title
        assert isinstance(_column_label(i18n._(COLUMN_TITLES["name"])), Text)  # the titles take the direct way
    finally:
        i18n.set_language(before)


AWKWARD = ["", " ", "漢字と仮名", "😀 emoji", "e\u0301te\u0301", "\u200bzero", "Ёлкин Пётр Сергеевич", "x" * 5, "x" * 200, "漢" * 40, "a漢" * 20, "y" * 16 + "   ", " " * 30,
           "tab\there", "two\nlines", "ctrl\x1bchar", "trailing   "]


def _compare_every_cell(table, row_indexes):
    from rich.style import Style
    from textual.widgets import DataTable

    bases = [Style(), Style.null(), table.rich_style, table.rich_style + table.get_component_rich_style("datatable--even-row"),
             Style(color="red", bgcolor="blue", bold=True)]
    fast = 0
    for row_index in row_indexes:
        for column_index, column in enumerate(table.ordered_columns):
            width = column.get_render_width(table)
            for base in bases:
                for cursor in (False, True):
                    for hover in (False, True):
                        table._cell_render_cache.clear()
                        fast += table._plain_cell_lines(row_index, column_index, base, width, cursor, hover) is not None
                        table._cell_render_cache.clear()
                        mine = table._render_cell(row_index, column_index, base, width, cursor, hover)
                        table._cell_render_cache.clear()
                        theirs = DataTable._render_cell(table, row_index, column_index, base, width, cursor, hover)
                        assert mine == theirs, (row_index, column_index, base, cursor, hover)
                        assert [[(s.text, s.style, s.control) for s in line] for line in mine] == [
                            [(s.text, s.style, s.control) for s in line] for line in theirs]
    table._cell_render_cache.clear()
    return fast


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_lists_cells_render_as_datatable_renders_them(ui_session, data, frozen_clock, size):
    from rich.text import Text

    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=size) as pilot:
        await _ready(pilot, app)
        table = app.screen.query_one("#contacts-table", ContactsTable)
        n = table.row_count
        cells = n * len(table.columns) * 5 * 4
        assert _compare_every_cell(table, range(n)) == cells  # every cell of the list takes the direct way
        # text the list does not hold today, and cells that are not plain Text (DataTable's way)
        ncols = len(table.columns)
        for text in AWKWARD:
            table.add_row(*[Text(text)] * ncols)
        table.add_row(*[Text("styled", style="bold")] * ncols)
        table.add_row(*[Text.assemble(("span", "red"), " text")] * ncols)
        table.add_row(*[Text("right", justify="right")] * ncols)
        table.add_row(*[Text("nowrap", no_wrap=False)] * ncols)
        table.add_row(*["[b]markup[/b] string"] * ncols)
        table.add_row(*[Text("tall")] * ncols, height=2)
        await pilot.pause()
        _compare_every_cell(table, range(n, table.row_count))
        table.fixed_rows, table.fixed_columns = 2, 1
        table.cursor_type = "cell"
        await pilot.pause()
        _compare_every_cell(table, range(table.row_count))
        table.show_cursor = False
        await pilot.pause()
        _compare_every_cell(table, range(0, table.row_count, 3))
