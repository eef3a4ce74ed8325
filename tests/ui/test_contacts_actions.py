"""The card's actions from the Contacts pane, through the dialogs, by keys: a duplicate warns and
opens the existing card, a logged call appears in the history, a merge keeps everything."""

import pytest

from tests.ui.contacts_helpers import seed, until
from tuicrm.model import Activity, Email, Person, Phone
from tuicrm.services import contacts
from tuicrm.ui.app import create_app
from tuicrm.ui.screens.card import CardScreen
from tuicrm.ui.screens.contacts import ContactsScreen

modals = pytest.importorskip("tuicrm.ui.modals.person_form")
from tuicrm.ui.modals.client_picker import ClientPicker  # noqa: E402
from tuicrm.ui.modals.duplicates import DuplicateWarning  # noqa: E402
from tuicrm.ui.modals.log_call import LogCallModal  # noqa: E402
from tuicrm.ui.modals.merge import MergeModal  # noqa: E402
from tuicrm.ui.modals.person_form import PersonForm  # noqa: E402


@pytest.fixture
def data(ui_session, frozen_clock):
    ui_session.settings.timezone = "Europe/Moscow"
    return seed(ui_session.actor, frozen_clock())


async def _ready(pilot, app):
    await until(pilot, lambda: isinstance(app.screen, ContactsScreen) and app.screen.table.row_count > 0, what="the list")


async def _card(pilot, app, kind, rid):
    app.screen.open_card(kind, rid)
    await until(pilot, lambda: isinstance(app.screen, CardScreen) and app.screen.record_id == rid
                and app.screen.detail is not None and app.screen.history.loads > 0, what="the card")
    return app.screen


async def test_new_person_with_a_known_number_warns_and_opens_that_card(ui_session, data, frozen_clock):
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(pilot, app)
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, PersonForm), what="the form")
        await pilot.press(*"Иванов Двойник")
        app.screen.query_one("#phones").focus()
        await pilot.press(*"8 (916) 123-45-67", "ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DuplicateWarning), what="the duplicate warning")
        assert "Иванов Пётр Сергеевич" in str(app.screen.query_one("#dup-question").render())
        await pilot.press("o")  # open it
        await until(pilot, lambda: isinstance(app.screen, CardScreen) and app.screen.detail is not None, what="the card")
        assert app.screen.record_id == data["ivanov"]
        assert Person.select().count() == 3  # nothing new was created


async def test_logged_call_appears_in_the_history(ui_session, data, frozen_clock):
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(pilot, app)
        card = await _card(pilot, app, "person", data["sidorov"])
        assert card.history.row_count == 0  # no history yet
        await pilot.press("c")
        await until(pilot, lambda: isinstance(app.screen, LogCallModal), what="log call dialog")
        await pilot.press("o", "1")  # outgoing, reached → the result
        await pilot.press(*"Согласен на встречу", "ctrl+s")
        await until(pilot, lambda: app.screen is card and any(e.result == "Согласен на встречу" for e in card.history.entries),
                    what="the call in the history")
        call = Activity.get(Activity.person == data["sidorov"])
        assert (call.kind, call.outcome, call.result) == ("call_out", "reached", "Согласен на встречу")
        first = card.history.entries[0]
        assert first.id == call.id and first.who == "tester"
        row = " ".join(str(c) for c in card.history.get_row_at(0))
        assert "Outgoing call" in row and "reached: Согласен на встречу" in row


async def test_merge_keeps_phones_emails_and_history(ui_session, data, frozen_clock):
    actor = ui_session.actor
    twin = contacts.create_person(actor, full_name="Иванов Петр", phones=["+7 999 000-11-22"], emails=["ivanov@home.ru"])
    from tuicrm.services import activities

    activities.log_call(actor, outcome="reached", result="from the twin", person_id=twin)
    before = Activity.select().where(Activity.person.in_([data["ivanov"], twin])).count()
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(pilot, app)
        card = await _card(pilot, app, "person", data["ivanov"])
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, ClientPicker), what="the picker")
        await pilot.press(*"иванов петр")
        await until(pilot, lambda: isinstance(app.screen, ClientPicker) and app.screen.ready and app.screen.hits, what="hits")
        assert [h.id for h in app.screen.hits] == [twin]
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MergeModal) and app.screen.pair is not None, what="merge dialog")
        await pilot.press("1", "ctrl+s")  # keep this card (left)
        await until(pilot, lambda: isinstance(app.screen, CardScreen) and app.screen.record_id == data["ivanov"]
                    and app.screen.detail is not None and len(app.screen.detail.summary.phones) == 3, what="merged card")
        card = app.screen
        phones = {p.e164 for p in card.detail.summary.phones if p.e164}
        assert phones == {"+79161234567", "+79990001122"}
        assert {e.address for e in card.detail.summary.emails} == {"petr@romashka.ru", "ivanov@home.ru"}
        await until(pilot, lambda: any(e.result == "from the twin" for e in card.history.entries), what="twin's call")
        assert Activity.select().where(Activity.person == data["ivanov"]).count() == before
        assert Person.get_by_id(twin).merged_into_id == data["ivanov"]
        assert Phone.select().where(Phone.person == twin).count() == 0 and Email.select().where(Email.person == twin).count() == 0
