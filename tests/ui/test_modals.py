"""The dialogs, pushed on a bare CrmApp at 80×24 and driven with the keys a user presses;
each test checks the screen and the base."""

from __future__ import annotations

import datetime as dt

import pytest

from tuicrm.model import Company, Person, Phone
from tuicrm.services import contacts
from tuicrm.ui.app import create_app
from tuicrm.ui.modals.client_picker import ClientPicker
from tuicrm.ui.modals.company_form import CompanyForm
from tuicrm.ui.modals.confirm import ConfirmScreen
from tuicrm.ui.modals.duplicates import DuplicateWarning
from tuicrm.ui.modals.person_form import PersonForm
from tuicrm.ui.modals.results import FormResult

SIZE = (80, 24)


async def settle(pilot, rounds: int = 3) -> None:
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


async def until(pilot, condition, tries: int = 100) -> None:
    """Poll (no fixed sleeps): workers, timers and messages run between checks."""
    for _ in range(tries):
        if condition():
            return
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.02)
    assert condition(), "condition not reached"


def msg(app, name: str) -> str:
    w = app.screen.query_one(f"#{name}-msg")
    return str(w.render()) if w.display else ""


def value(app, name: str) -> str:
    return app.screen.query_one(f"#{name}").value


@pytest.fixture
def app(ui_session, frozen_clock):
    ui_session.settings.timezone = "Europe/Moscow"
    return create_app(ui_session, clock=frozen_clock)


async def open_modal(pilot, screen):
    results: list = []
    pilot.app.push_screen(screen, results.append)
    await settle(pilot)
    return results


# --- person form -------------------------------------------------------------------------------


async def test_invalid_phone_said_inline_and_form_keeps_the_text(app):
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, PersonForm())
        await pilot.press(*"Петров", "tab", *"Иван", "tab", "tab", "tab", "tab", *"8 916 123")
        await settle(pilot)
        assert app.focused.id == "phones"
        assert "too short" in msg(app, "phones") and "✗" in msg(app, "phones")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonForm)  # stays open
        assert results == []
        assert app.screen.query_one("#phones").text == "8 916 123"
        assert value(app, "last_name") == "Петров" and value(app, "first_name") == "Иван"
        assert "fix or delete" in msg(app, "phones")
        assert Person.select().count() == 0
        assert app._unsaved  # the app knows something is typed
        # fix it: the check turns green and saving works
        await pilot.press(*"45-67")
        await settle(pilot)
        assert msg(app, "phones").startswith("✓ +7 916 123-45-67")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, PersonForm)
        person = Person.get()
        assert results == [FormResult("person", person.id)]
        assert (person.last_name, person.first_name, person.owner_id) == ("Петров", "Иван", app.session.actor.user_id)
        assert Phone.get(Phone.person == person.id).e164 == "+79161234567"
        assert not app._unsaved


async def test_invalid_email_and_birthday_inline(app):
    async with app.run_test(size=SIZE) as pilot:
        await open_modal(pilot, PersonForm())
        await pilot.press(*"Петров")
        app.screen.query_one("#emails").focus()
        await pilot.press(*"petrov@", "tab", *"31.02.1990")
        await settle(pilot)
        assert "not an email address" in msg(app, "emails")
        assert "no such date" in msg(app, "birthday")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonForm) and Person.select().count() == 0
        assert value(app, "emails") == "petrov@"


async def test_duplicate_phone_warns_and_open_it_returns_the_existing_card(app):
    existing = contacts.create_person(app.session.actor, full_name="Иванов Пётр", phones=["8 916 123-45-67"])
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, PersonForm())
        await pilot.press(*"Иванов П")
        app.screen.query_one("#phones").focus()
        await pilot.press(*"+7 (916) 123 45 67")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DuplicateWarning))
        question = str(app.screen.query_one("#dup-question").render())
        assert "Иванов Пётр" in question and "open it?" in question
        await pilot.press("o")
        await settle(pilot)
        assert results == [FormResult("person", existing, opened_existing=True)]
        assert Person.select().count() == 1


async def test_duplicate_save_anyway_and_back(app):
    contacts.create_person(app.session.actor, full_name="Иванов Пётр", emails=["petr@romashka.ru"])
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, PersonForm())
        await pilot.press(*"Иванов Второй")
        app.screen.query_one("#emails").focus()
        await pilot.press(*"PETR@romashka.ru", "ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DuplicateWarning))
        await pilot.press("b")  # back: the form, as typed
        await settle(pilot)
        assert isinstance(app.screen, PersonForm) and value(app, "emails") == "PETR@romashka.ru"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DuplicateWarning))
        await pilot.press("s")
        await settle(pilot)
        assert Person.select().count() == 2
        assert results and results[0].kind == "person" and not results[0].opened_existing


async def test_company_chosen_with_the_picker(app):
    company = contacts.create_company(app.session.actor, "Ромашка")
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, PersonForm())
        await pilot.press(*"Сидоров")
        app.screen.query_one("#company").focus()
        await pilot.press(*"ромаш", "enter")
        await until(pilot, lambda: isinstance(app.screen, ClientPicker) and app.screen.ready and app.screen.hits)
        assert "Ромашка" in str(app.screen.query_one("#picker-results").get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PersonForm) and value(app, "company") == "Ромашка"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert Person.get(Person.id == results[0].id).company_id == company
        assert Company.select().count() == 1


async def test_escape_asks_when_something_was_typed(app):
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, PersonForm())
        await pilot.press("escape")  # nothing typed: closes at once
        await settle(pilot)
        assert results == [None]
        results = await open_modal(pilot, PersonForm())
        await pilot.press(*"Петров", "escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # Enter is "no" here: a slip does not lose the form
        await settle(pilot)
        assert isinstance(app.screen, PersonForm) and value(app, "last_name") == "Петров"
        await pilot.press("escape", "y")
        await settle(pilot)
        assert results == [None] and not isinstance(app.screen, PersonForm)
        assert not app._unsaved


async def test_edit_conflict_is_told_not_overwritten(app):
    actor = app.session.actor
    pid = contacts.create_person(actor, full_name="Иванов Пётр", position="Бухгалтер")
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, PersonForm(person_id=pid))
        assert value(app, "position") == "Бухгалтер"
        # someone else saves meanwhile
        contacts.update_person(actor, pid, Person.get_by_id(pid).row_version, position="Главный бухгалтер")
        app.screen.query_one("#position").focus()
        await pilot.press("end", *" и кассир", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonForm)  # not saved, still open
        assert Person.get_by_id(pid).position == "Главный бухгалтер"
        assert "Главный бухгалтер" in msg(app, "position")
        assert value(app, "position") == "Бухгалтер и кассир"  # what was typed is kept
        await pilot.press("ctrl+s")  # now knowingly over theirs
        await settle(pilot)
        assert results == [FormResult("person", pid)]
        assert Person.get_by_id(pid).position == "Бухгалтер и кассир"


# --- company form ------------------------------------------------------------------------------------


async def test_company_form_checks_inn_and_finds_duplicates(app):
    existing = contacts.create_company(app.session.actor, "ООО Ромашка", inn="7707083893")
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, CompanyForm())
        await pilot.press(*"Ромашка-2", "tab", *"7707083894")
        await settle(pilot)
        assert "check digits" in msg(app, "inn")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CompanyForm) and Company.select().count() == 1
        await pilot.press("backspace", "3")
        await settle(pilot)
        assert msg(app, "inn").startswith("✓")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DuplicateWarning))
        assert "ООО Ромашка" in str(app.screen.query_one("#dup-question").render())
        await pilot.press("o")
        await settle(pilot)
        assert results == [FormResult("company", existing, opened_existing=True)]


async def test_company_form_saves_everything(app):
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, CompanyForm())
        await pilot.press(*"Лютик", "tab", *"500100732259", "tab", "tab", *"Москва", "tab", *"lutik.ru")
        app.screen.query_one("#phones").focus()
        await pilot.press(*"8 495 123-45-67 доб. 5")
        await settle(pilot)
        assert "ext. 5" in msg(app, "phones")
        await pilot.press("ctrl+s")
        await settle(pilot)
        c = Company.get()
        assert results == [FormResult("company", c.id)]
        assert (c.name, c.inn, c.address, c.site) == ("Лютик", "500100732259", "Москва", "lutik.ru")
        assert Phone.get(Phone.company == c.id).extension == "5"


async def test_lost_connection_keeps_the_form_and_lets_you_retry(app, monkeypatch):
    import peewee

    import tuicrm.ui.dbcall as dbcall

    calls = {"n": 0}
    real = contacts.save_person

    def broken(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= dbcall.RETRIES + 1:  # every retry of the first save fails
            raise peewee.OperationalError("server closed the connection unexpectedly")
        return real(*args, **kwargs)

    monkeypatch.setattr(contacts, "save_person", broken)
    monkeypatch.setattr(dbcall.time, "sleep", lambda _s: None)
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, PersonForm())
        await pilot.press(*"Петров", "tab", *"Иван", "ctrl+s")
        await settle(pilot)
        assert calls["n"] == dbcall.RETRIES + 1
        assert isinstance(app.screen, PersonForm) and results == []
        assert value(app, "last_name") == "Петров" and value(app, "first_name") == "Иван"
        notes = [n.message for n in app._notifications]
        assert any("retrying" in m for m in notes) and any("Nothing was lost" in m for m in notes)
        await pilot.press("ctrl+s")  # the connection is back: the same keys save
        await settle(pilot)
        assert results and Person.get_by_id(results[0].id).full_name == "Петров Иван"


async def test_custom_fields_in_the_person_form(app):
    from tuicrm.model import CustomField, CustomValue

    limit = CustomField.create(entity="person", code="limit", label="Credit limit", kind="number", position=1)
    since = CustomField.create(entity="person", code="since", label="Client since", kind="date", position=2)
    pid = contacts.create_person(app.session.actor, full_name="Иванов Пётр")
    contacts.set_custom_value(app.session.actor, "person", pid, limit.id, "1500")
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, PersonForm(person_id=pid))
        assert value(app, f"cf-{limit.id}") == "1500"
        assert not app._unsaved  # loading values is not typing
        app.screen.query_one(f"#cf-{since.id}").focus()
        await pilot.press(*"32.01.2020")
        await settle(pilot)
        assert "no such date" in msg(app, f"cf-{since.id}")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonForm) and CustomValue.select().count() == 1
        for _ in range(10):
            await pilot.press("backspace")
        await pilot.press(*"01.02.2020", "ctrl+s")
        await settle(pilot)
        assert results == [FormResult("person", pid)]
        assert CustomValue.get(CustomValue.field == since.id).value_date == dt.date(2020, 2, 1)
        assert CustomValue.get(CustomValue.field == limit.id).value_number == 1_500_000


async def test_editing_does_not_warn_about_numbers_the_card_already_had(app):
    actor = app.session.actor
    company = contacts.create_company(actor, "Ромашка", phones=["8 495 123-45-67"])
    pid = contacts.create_person(actor, full_name="Иванов Пётр", company_id=company, phones=["8 495 123-45-67"])
    other = contacts.create_person(actor, full_name="Петрова Анна", phones=["8 903 765-43-21"])
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, PersonForm(person_id=pid))
        app.screen.query_one("#position").focus()
        await pilot.press(*"Бухгалтер", "ctrl+s")  # the office number is shared with the company: no warning
        await settle(pilot)
        assert results == [FormResult("person", pid)]
        results = await open_modal(pilot, PersonForm(person_id=pid))
        app.screen.query_one("#phones").focus()
        await pilot.press("end", "enter", *"8 903 765-43-21", "ctrl+s")  # a new number that is Петрова's
        await until(pilot, lambda: isinstance(app.screen, DuplicateWarning))
        assert "Петрова Анна" in str(app.screen.query_one("#dup-question").render())
        await pilot.press("o")
        await settle(pilot)
        assert results == [FormResult("person", other, opened_existing=True)]
