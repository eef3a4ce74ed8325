"""The dialogs from the card screen (keys bound by the Contacts pane): what is saved shows up
in the card and its history."""

from __future__ import annotations

from tuicrm.model import Person
from tuicrm.services import contacts
from tuicrm.ui.modals.log_call import LogCallModal
from tuicrm.ui.modals.merge import MergeModal
from tuicrm.ui.screens.card import CardScreen

from tests.ui.test_modals import SIZE, settle, until
from tests.ui.test_modals_actions import app, person  # noqa: F401 - fixtures


def history_texts(screen) -> list[str]:
    table = screen.query_one("#card-history")
    return [" ".join(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def test_logged_call_appears_in_the_history(app, person):  # noqa: F811
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(CardScreen("person", person))
        await settle(pilot)
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, LogCallModal))
        await settle(pilot)
        await pilot.press("1", *"Договорились о встрече", "ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, CardScreen)
                    and any("Договорились о встрече" in t for t in history_texts(app.screen)))
        row = next(t for t in history_texts(app.screen) if "Договорились о встрече" in t)
        assert "reached" in row


async def test_merge_from_the_card_lands_on_the_survivor(app, person):  # noqa: F811
    twin = contacts.create_person(app.session.actor, full_name="Иванов Петр", phones=["+7 916 123 45 67", "8 903 765-43-21"])
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(CardScreen("person", person))
        await settle(pilot)
        await pilot.press("M")
        await until(pilot, lambda: not isinstance(app.screen, CardScreen) and hasattr(app.screen, "ready"))
        await pilot.press(*"иванов петр")
        await until(pilot, lambda: app.screen.ready and app.screen.hits)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MergeModal) and app.screen.pair is not None)
        await pilot.press("ctrl+s")  # keep this card (left)
        await until(pilot, lambda: isinstance(app.screen, CardScreen))
        await settle(pilot)
        assert (app.screen.kind, app.screen.record_id) == ("person", person)
        assert Person.get_by_id(twin).merged_into_id == person
        phones = [p.e164 for p in app.screen.detail.summary.phones]
        assert sorted(phones) == ["+79037654321", "+79161234567"]
