"""Snapshots of dialogs at 80×24 (fixed clock and data, theme crm-dark): the person form with a
bad phone said inline (English) and the call dialog (Russian)."""

from __future__ import annotations

import pytest

from tests.ui.test_modals import settle
from tuicrm import i18n
from tuicrm.services import contacts
from tuicrm.ui.app import create_app
from tuicrm.ui.modals.log_call import LogCallModal
from tuicrm.ui.modals.person_form import PersonForm


def no_blink(app) -> None:
    """A blinking cursor would make the picture depend on timing."""
    for w in app.screen.query("Input, TextArea"):
        w.cursor_blink = False


@pytest.fixture
def make_app(ui_session, frozen_clock):
    def make(lang: str):
        ui_session.settings.language = lang
        ui_session.settings.timezone = "Europe/Moscow"
        return create_app(ui_session, theme="crm-dark", clock=frozen_clock)

    yield make
    i18n.set_language("en")


def test_person_form_with_a_bad_phone(make_app, snap_compare):
    app = make_app("en")

    async def run_before(pilot):
        await settle(pilot)
        app.push_screen(PersonForm())
        await settle(pilot)
        no_blink(app)
        await pilot.press(*"Petrov", "tab", *"Ivan")
        app.screen.query_one("#phones").focus()
        await pilot.press(*"8 916 123", "enter", *"+7 903 765 43 21")
        app.screen.query_one("#emails").focus()
        await pilot.press(*"ivan@", "ctrl+s")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_log_call_in_russian(make_app, snap_compare, ui_session):
    person = contacts.create_person(ui_session.actor, full_name="Иванов Пётр", phones=["8 916 123-45-67"])
    app = make_app("ru")

    async def run_before(pilot):
        await settle(pilot)
        app.push_screen(LogCallModal(person_id=person))
        await settle(pilot)
        no_blink(app)
        await pilot.press("i", "4", *"перезвонить после обеда", "tab", *"завтра 15:30")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
