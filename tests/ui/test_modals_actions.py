"""Card actions in dialogs: log a call, schedule, note, tags, add phone, hand over, merge, pick a
client, copy. Pushed on a bare CrmApp at 80×24, driven by keys; screen and base both checked."""

from __future__ import annotations

import datetime as dt

import pytest

from tuicrm.model import Activity, Note, Person, Phone
from tuicrm.services import cards, contacts, users
from tuicrm.ui.app import create_app
from tuicrm.ui.modals.activity_form import ActivityForm
from tuicrm.ui.modals.client_picker import ClientPicker
from tuicrm.ui.modals.clipboard import card_summary_text, copy_text
from tuicrm.ui.modals.contact_info import AddContactInfo
from tuicrm.ui.modals.handover import HandoverModal
from tuicrm.ui.modals.log_call import LogCallModal
from tuicrm.ui.modals.merge import MergeModal
from tuicrm.ui.modals.note_form import NoteModal
from tuicrm.ui.modals.tags import TagsModal

from tests.ui.test_modals import SIZE, msg, open_modal, settle, until, value


@pytest.fixture
def app(ui_session, frozen_clock):
    ui_session.settings.timezone = "Europe/Moscow"  # now = 10:00 local, Friday 27.11.2026
    return create_app(ui_session, clock=frozen_clock)


@pytest.fixture
def person(app):
    return contacts.create_person(app.session.actor, full_name="Иванов Пётр", phones=["8 916 123-45-67"])


async def test_log_call_in_a_few_keys_with_next_step(app, person):
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, LogCallModal(person_id=person))
        assert "Иванов Пётр" in str(app.screen.query_one("#form-title").render())
        await pilot.press("ctrl+s")  # no outcome yet: said inline
        await settle(pilot)
        assert "1–6" in msg(app, "strip") and Activity.select().count() == 0
        await pilot.press("i", "2")  # incoming, no answer → focus goes to the result
        assert app.focused.id == "result"
        await pilot.press(*"не берёт", "enter", *"завтра 10:00")
        await settle(pilot)
        assert msg(app, "next_due").startswith("→") and "10:00" in msg(app, "next_due")
        await pilot.press("ctrl+s")
        await settle(pilot)
        call = Activity.get(Activity.follow_up_of.is_null())
        assert results == [call.id]
        assert (call.kind, call.outcome, call.result) == ("call_in", "no_answer", "не берёт")
        assert call.done_at == dt.datetime(2026, 11, 27, 7, 0) and call.person_id == person
        follow = Activity.get(Activity.follow_up_of == call.id)
        assert follow.done_at is None and follow.kind == "call_out"
        assert follow.due_at == dt.datetime(2026, 11, 28, 7, 0)  # 10:00 Moscow
        p = Person.get_by_id(person)
        assert p.last_contact_at == call.done_at and p.next_activity_at == follow.due_at


async def test_log_call_bad_next_date_keeps_everything(app, person):
    async with app.run_test(size=SIZE) as pilot:
        await open_modal(pilot, LogCallModal(person_id=person))
        await pilot.press("1", *"договорились", "tab", *"послезавтрак")
        await settle(pilot)
        assert "not a date" in msg(app, "next_due")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, LogCallModal) and Activity.select().count() == 0
        assert value(app, "result") == "договорились"


async def test_schedule_with_typed_date_and_past_warning(app, person):
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, ActivityForm(person_id=person))
        await pilot.press(*"Отправить КП", "tab", *"9:00")
        await settle(pilot)
        assert "in the past" in msg(app, "due")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ActivityForm) and Activity.select().count() == 0
        assert "ctrl+s again" in msg(app, "due")
        for _ in range(4):
            await pilot.press("backspace")
        await pilot.press(*"завтра 15:30", "tab", *"1h")
        await settle(pilot)
        assert "60" in msg(app, "duration")
        await pilot.press("ctrl+s")
        await settle(pilot)
        a = Activity.get()
        assert results == [a.id]
        assert (a.subject, a.kind, a.duration_min, a.person_id) == ("Отправить КП", "call_out", 60, person)
        assert a.due_at == dt.datetime(2026, 11, 28, 12, 30) and a.done_at is None
        assert a.assignee_id == app.session.actor.user_id


async def test_schedule_past_twice_is_kept(app, person):
    async with app.run_test(size=SIZE) as pilot:
        await open_modal(pilot, ActivityForm(person_id=person, kind="task"))
        await pilot.press(*"Сверка", "tab", *"26.11 12:00", "ctrl+s")
        await settle(pilot)
        assert Activity.select().count() == 0
        await pilot.press("ctrl+s")
        await settle(pilot)
        a = Activity.get()
        assert a.kind == "task" and a.due_at == dt.datetime(2026, 11, 26, 9, 0)


async def test_note(app, person):
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, NoteModal(person_id=person))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "cannot be empty" in msg(app, "text") and Note.select().count() == 0
        await pilot.press(*"Просил перезвонить после праздников")
        await pilot.press("ctrl+s")
        await settle(pilot)
        note = Note.get()
        assert results == [note.id] and note.text == "Просил перезвонить после праздников" and note.person_id == person


async def test_tags_with_completion(app, person):
    actor = app.session.actor
    other = contacts.create_person(actor, full_name="Другой")
    contacts.set_card_tags(actor, "person", other, ["Wholesale"])
    contacts.set_card_tags(actor, "person", person, ["VIP"])
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, TagsModal("person", person))
        assert value(app, "tags") == "VIP, "
        await pilot.press(*"who")
        await settle(pilot)
        assert "Wholesale" in str(app.screen.query_one("#known-tags").render())
        await pilot.press("right")  # take the completion
        assert value(app, "tags") == "VIP, wholesale"
        await pilot.press(*", Москва", "enter")
        await settle(pilot)
        assert results == [True]
        assert contacts.tags_of(person_id=person) == ["VIP", "Wholesale", "Москва"]


async def test_add_phone_checked_as_typed(app, person):
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, AddContactInfo("person", person, what="phone"))
        await pilot.press(*"8 495 12")
        await settle(pilot)
        assert "✗" in msg(app, "value")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AddContactInfo) and Phone.select().count() == 1
        await pilot.press(*"3-45-67")
        await settle(pilot)
        assert msg(app, "value").startswith("✓ +7 495 123-45-67")
        await pilot.press("tab", "tab", *"12", "ctrl+s")
        await settle(pilot)
        assert results == [True]
        p = Phone.get(Phone.e164 == "+74951234567")
        assert (p.person_id, p.extension, p.kind) == (person, "12", "work")


async def test_handover_to_another_manager(app, person):
    actor = app.session.actor
    anna = users.create_user("anna", "Анна")
    task = contacts.log_call_with_next(actor, direction="call_out", outcome="call_back", person_id=person,
                                       next_kind="call_out", next_due=dt.datetime(2026, 11, 30, 7, 0))[1]
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, HandoverModal("person", person))
        assert app.focused.id == "to_user"
        await pilot.press("enter", "down", "enter")
        await settle(pilot)
        assert "1 open activities" in msg(app, "preview")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert results == [True]
        assert Person.get_by_id(person).owner_id == anna.id
        assert Activity.get_by_id(task).assignee_id == anna.id


async def test_merge_two_persons(app, person):
    actor = app.session.actor
    twin = contacts.create_person(actor, full_name="Иванов Петр Сергеевич", position="Бухгалтер",
                                  phones=["+7 916 123 45 67", "8 903 765-43-21"])
    contacts.log_call_with_next(actor, direction="call_out", outcome="reached", person_id=twin)
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, MergeModal("person", person))
        assert isinstance(app.screen, ClientPicker)
        await pilot.press(*"иванов")
        await until(pilot, lambda: isinstance(app.screen, ClientPicker) and app.screen.ready and app.screen.hits)
        assert [h.id for h in app.screen.hits] == [twin]  # the card itself is not offered
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MergeModal) and app.screen.pair is not None)
        left = str(app.screen.query_one("#left").render())
        right = str(app.screen.query_one("#right").render())
        assert "KEEP" in left and "Бухгалтер" in right and "1 activities" in right
        await pilot.press("2")  # keep the other one
        assert "KEEP" in str(app.screen.query_one("#right").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert results == [("person", twin)]
        dropped = Person.get_by_id(person)
        assert dropped.archived_at is not None and dropped.merged_into_id == twin
        assert Phone.select().where(Phone.person == twin).count() == 2
        assert Activity.select().where(Activity.person == twin).count() == 1


async def test_picker_restricted_to_companies_and_escape(app, person):
    actor = app.session.actor
    company = contacts.create_company(actor, "Иванов и партнёры")
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, ClientPicker(("company",)))
        await pilot.press(*"иванов")
        await until(pilot, lambda: app.screen.ready and app.screen.hits)
        assert [(h.kind, h.id) for h in app.screen.hits] == [("company", company)]
        await pilot.press("escape")
        await settle(pilot)
        assert results == [None]
        results = await open_modal(pilot, ClientPicker())
        await pilot.press(*"иванов")
        await until(pilot, lambda: app.screen.ready and len(app.screen.hits) == 2)
        shown = [(h.kind, h.id) for h in app.screen.hits]
        assert set(shown) == {("company", company), ("person", person)}
        await pilot.press("down", "enter")  # the second line
        await settle(pilot)
        assert (results[0].kind, results[0].id) == shown[1]


async def test_picker_and_duplicate_warning_show_brackets_as_written(app, person):
    """Names in the picker's hits and in the duplicate warning are the user's text: a str option is
    read as markup, and a company named "Иванов [/x] и партнёры" crashed the app when it was listed."""
    from tuicrm.services.contacts import CardRef
    from tuicrm.ui.modals.duplicates import DuplicateWarning

    company = contacts.create_company(app.session.actor, "Иванов [/x] и партнёры")
    async with app.run_test(size=SIZE) as pilot:
        await open_modal(pilot, ClientPicker(("company",)))
        await pilot.press(*"иванов")
        await until(pilot, lambda: app.screen.ready and app.screen.hits)
        box = app.screen.query_one("OptionList")
        assert "Иванов [/x] и партнёры" in str(box.get_option_at_index(0).prompt)
        await pilot.press("escape")
        await settle(pilot)
        refs = [CardRef("company", company, "Иванов [/x] и партнёры", "phone +74951234567"),
                CardRef("person", person, "Пётр [b]", "email a@b.ru")]
        await open_modal(pilot, DuplicateWarning(refs))
        assert "«Иванов [/x] и партнёры»" in str(app.screen.query_one("#dup-question").render())
        listed = app.screen.query_one("#dup-list")
        assert "Пётр [b]" in str(listed.get_option_at_index(1).prompt)


async def test_copy_card_summary(app, person):
    actor = app.session.actor
    contacts.add_emails(actor, "petr@romashka.ru", person_id=person)
    async with app.run_test(size=SIZE) as pilot:
        card = cards.card(actor, "person", person)
        text = card_summary_text(card)
        assert text.splitlines() == ["Иванов Пётр", "tel. +7 916 123-45-67", "petr@romashka.ru"]
        copy_text(app, text)
        await pilot.pause()
        assert app.clipboard == text


async def test_handover_all_from_the_palette(app, person):
    from tuicrm.ui.modals.handover import HandoverAllModal

    actor = app.session.actor  # 'tester' is the base's admin
    anna = users.create_user("anna", "Анна")
    boris = users.create_user("boris", "Борис")
    mine = contacts.create_person(users.actor_for(anna), full_name="Клиент Анны")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p", *"hand over all")
        await until(pilot, lambda: "Hand over all" in str(app.screen.query_one("CommandList").get_option_at_index(0).prompt))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HandoverAllModal)
        assert app.focused.id == "from_user"
        await pilot.press("enter", "down", "down", "enter")  # (blank) → tester → Анна
        app.screen.query_one("#to_user").focus()
        await pilot.press("enter", "down", "down", "down", "enter")  # (blank) → tester → Анна → Борис
        await settle(pilot)
        assert (app.screen.query_one("#from_user").value, app.screen.query_one("#to_user").value) == (anna.id, boris.id)
        assert "1 persons" in msg(app, "preview")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, HandoverAllModal)
        assert Person.get_by_id(mine).owner_id == boris.id
        assert Person.get_by_id(person).owner_id == actor.user_id


async def test_edit_activity_keeps_version_and_tells_conflicts(app, person):
    from tuicrm.services import activities

    actor = app.session.actor
    aid = activities.create_activity(actor, "call_out", "Позвонить", due_at=dt.datetime(2026, 11, 30, 7, 0), person_id=person)
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, ActivityForm(activity_id=aid))
        assert value(app, "subject") == "Позвонить" and value(app, "due") == "30.11.2026 10:00"
        assert "Иванов Пётр" in str(app.screen.query_one("#client").render())
        contacts.edit_activity(actor, aid, Activity.get_by_id(aid).row_version, subject="Позвонить насчёт оплаты")
        app.screen.query_one("#due").focus()
        await pilot.press(*"+1d")  # select-on-focus: replaces the text
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ActivityForm)
        assert "Позвонить насчёт оплаты" in msg(app, "subject")
        assert Activity.get_by_id(aid).due_at == dt.datetime(2026, 11, 30, 7, 0)  # not overwritten
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert results == [aid]
        assert Activity.get_by_id(aid).due_at == dt.datetime(2026, 11, 28, 7, 0)


async def test_edit_note_and_add_email(app, person):
    from tuicrm.services import notes

    nid = notes.add_note(app.session.actor, "старый текст", person_id=person)
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, NoteModal(note_id=nid))
        assert app.screen.query_one("#text").text == "старый текст"
        await pilot.press("end", *" и новый", "ctrl+s")
        await settle(pilot)
        assert results == [nid] and Note.get_by_id(nid).text == "старый текст и новый"
        results = await open_modal(pilot, AddContactInfo("person", person, what="email"))
        await pilot.press(*"petr@", "enter")
        await settle(pilot)
        assert "not an email address" in msg(app, "value") and isinstance(app.screen, AddContactInfo)
        await pilot.press(*"romashka.ru", "enter")
        await settle(pilot)
        assert results == [True]
        assert [e.address for e in cards.card(app.session.actor, "person", person).emails] == ["petr@romashka.ru"]


async def test_tags_conflict_is_told(app, person):
    actor = app.session.actor
    contacts.set_card_tags(actor, "person", person, ["VIP"])
    async with app.run_test(size=SIZE) as pilot:
        results = await open_modal(pilot, TagsModal("person", person))
        contacts.set_card_tags(actor, "person", person, ["VIP", "Опт"])  # a colleague, meanwhile
        await pilot.press(*"Тендер", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TagsModal) and "Опт" in msg(app, "save")
        assert contacts.tags_of(person_id=person) == ["VIP", "Опт"]
        await pilot.press("enter")
        await settle(pilot)
        assert results == [True] and contacts.tags_of(person_id=person) == ["VIP", "Тендер"]
