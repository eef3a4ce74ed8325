"""The shell around the Contacts pane: `/` from anywhere, themes saved, Russian, header."""

import pytest

from tests.ui.contacts_helpers import seed, until
from tuicrm import config, i18n
from tuicrm.ui.app import create_app
from tuicrm.ui.screens.contacts import ContactsScreen
from tuicrm.ui.widgets.contacts_table import ContactsTable
from tuicrm.ui.widgets.search_box import SearchInput


@pytest.fixture
def data(ui_session, frozen_clock):
    return seed(ui_session.actor, frozen_clock())


async def _ready(pilot, app):
    await until(pilot, lambda: isinstance(app.screen, ContactsScreen)
                and app.screen.query_one("#contacts-table", ContactsTable).row_count > 0, what="the list")


async def test_slash_from_another_pane_focuses_search_and_types_a_slash_inside(ui_session, data, frozen_clock):
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await _ready(pilot, app)
        await pilot.press("2")
        await until(pilot, lambda: app.current_mode == "plan")
        await pilot.press("slash")
        await until(pilot, lambda: app.current_mode == "contacts" and isinstance(app.focused, SearchInput), what="search focus")
        await pilot.press("a", "slash", "b")
        assert app.focused.value == "a/b"


async def test_theme_from_the_palette_is_saved_to_the_user_config(ui_session, data, frozen_clock):
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await _ready(pilot, app)
        assert app.theme == "crm-dark"
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Theme: crm-light")
        await until(pilot, lambda: app.screen.query("CommandList") and app.screen.query_one("CommandList").option_count > 0,
                    what="palette hits")
        await pilot.press("enter")
        await until(pilot, lambda: app.theme == "crm-light", what="theme switch")
    assert config.load().theme == "crm-light"


async def test_theme_option_applies(ui_session, data, frozen_clock):
    app = create_app(ui_session, theme="crm-contrast", clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await _ready(pilot, app)
        assert app.theme == "crm-contrast"


async def test_russian_interface(ui_session, data, frozen_clock):
    ui_session.settings.language = "ru"
    app = create_app(ui_session, clock=frozen_clock)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await _ready(pilot, app)
            table = app.screen.query_one("#contacts-table", ContactsTable)
            headers = [str(c.label) for c in table.columns.values()]
            assert headers[:2] == ["Имя", "Компания, должность"] and "След. задача" in headers
            status = str(app.screen.query_one("#contacts-status").content)
            assert status.startswith("Персоны · по имени")
            assert "27 нояб. 2026" in app.sub_title
            assert app.screen.search_input.placeholder.startswith("Поиск:")
    finally:
        i18n.set_language("en")


async def test_the_collector_paused_for_the_start_is_back_after_the_first_page(ui_session, data, frozen_clock):
    """tuicrm.cli.main pauses the cyclic collector for the start (tuicrm.startup); the app turns it
    back on once its first page is shown — collected, the start's objects frozen."""
    import gc

    from tuicrm import startup

    startup.pause_gc()
    try:
        app = create_app(ui_session, clock=frozen_clock)
        async with app.run_test(size=(80, 24)) as pilot:
            await _ready(pilot, app)
            assert startup.gc_paused() and not gc.isenabled()  # the rows came before the collector
            await until(pilot, lambda: gc.isenabled(), what="the collector back on")
            assert not startup.gc_paused() and gc.get_freeze_count() > 0
    finally:
        startup.resume_gc()
        gc.unfreeze()
