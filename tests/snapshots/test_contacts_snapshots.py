"""Snapshots of the Contacts list and a person's card at 80×24 and 120×40, English and Russian
(fixed clock 2026-11-27 10:00 Moscow, fixed data, theme crm-dark)."""

from __future__ import annotations

import pytest

from tests.ui.contacts_helpers import seed, until
from tuicrm import i18n
from tuicrm.ui.app import create_app
from tuicrm.ui.screens.card import CardScreen
from tuicrm.ui.screens.contacts import ContactsScreen


@pytest.fixture
def make_app(ui_session, frozen_clock):
    made = {}

    def make(lang: str):
        made.update(seed(ui_session.actor, frozen_clock()))
        ui_session.settings.language = lang
        ui_session.settings.timezone = "Europe/Moscow"
        return create_app(ui_session, theme="crm-dark", clock=frozen_clock), made

    yield make
    i18n.set_language("en")


async def _list_ready(pilot):
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, ContactsScreen) and app.screen.table.row_count == 3, what="the list")
    await pilot.pause()


def _card_ready(person_id):
    async def run_before(pilot):
        app = pilot.app
        await _list_ready(pilot)
        app.screen.open_card("person", person_id)
        await until(pilot, lambda: isinstance(app.screen, CardScreen) and app.screen.detail is not None
                    and app.screen.history.row_count == 4, what="the card")
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_contacts_list(make_app, snap_compare, lang, size):
    app, _ids = make_app(lang)
    assert snap_compare(app, terminal_size=size, run_before=_list_ready)


@pytest.mark.parametrize("lang", ["en", "ru"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
def test_person_card(make_app, snap_compare, lang, size):
    app, ids = make_app(lang)
    assert snap_compare(app, terminal_size=size, run_before=_card_ready(ids["ivanov"]))
