"""The Contacts pane with Pilot: search, open a card, navigate, list toggle/sort/filter, paging."""

import pytest
from textual.widgets import DataTable, Static

from tests.ui.contacts_helpers import seed, until
from tuicrm.ui.app import create_app
from tuicrm.ui.screens.card import CardScreen
from tuicrm.ui.screens.contacts import ContactsScreen
from tuicrm.ui.widgets.contacts_table import ContactsTable
from tuicrm.ui.widgets.search_box import ResultsTable, SearchInput


@pytest.fixture
def data(ui_session, frozen_clock):
    return seed(ui_session.actor, frozen_clock())


def _table(app) -> ContactsTable:
    return app.screen.query_one("#contacts-table", ContactsTable)


def _text(widget) -> str:
    """What a widget shows, as plain text (a table's rows, or a Static's content at its width)."""
    if isinstance(widget, DataTable):
        return "\n".join(" ".join(str(c) for c in widget.get_row_at(i)) for i in range(widget.row_count))
    from rich.console import Console

    console = Console(width=max(widget.size.width, 40), record=True, file=open("/dev/null", "w"), color_system=None)
    console.print(widget.content)
    return console.export_text()


async def _ready(pilot, app):
    await until(pilot, lambda: isinstance(app.screen, ContactsScreen) and _table(app).row_count > 0, what="the list")


async def _search(pilot, app, text: str):
    await pilot.press("slash")
    assert isinstance(app.focused, SearchInput)
    await pilot.press("ctrl+a", "ctrl+k")  # clear what was typed before
    await pilot.press(*text)
    results = app.screen.query_one("#search-results", ResultsTable)
    await until(pilot, lambda: app.screen._last_query == text, what=f"results for {text!r}")
    return results


@pytest.mark.parametrize("typed", ["+7 (916) 123-45-67", "8 916 1234567", "9161234567", "7-916-123-45-67", "4567"])
async def test_search_by_phone_in_any_format_opens_the_one_card(ui_session, data, frozen_clock, typed):
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await _ready(pilot, app)
        results = await _search(pilot, app, typed)
        assert [(h.kind, h.id) for h in results.hits] == [("person", data["ivanov"])]
        assert "Иванов Пётр Сергеевич" in _text(results) and not results.has_class("hidden")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CardScreen) and app.screen.detail is not None, what="the card")
        assert app.screen.record_id == data["ivanov"]
        assert "Иванов Пётр Сергеевич" in _text(app.screen.query_one("#card-title", Static))


async def test_search_by_name_words_and_escape_back_to_list(ui_session, data, frozen_clock):
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await _ready(pilot, app)
        results = await _search(pilot, app, "анна петр")
        assert [h.id for h in results.hits] == [data["petrova"]]
        await pilot.press("down")  # into the results
        assert app.focused is results
        await pilot.press("escape")
        assert app.focused is _table(app) and not _table(app).has_class("hidden")
        assert app.screen.search_input.value == ""


async def test_brackets_typed_in_the_search_are_text_not_markup(ui_session, data, frozen_clock):
    """What the user types is shown back in the status line: "[/x]" there made Rich's markup parser
    raise and the app crash."""
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await _ready(pilot, app)
        await _search(pilot, app, "[/x] [b]")
        await pilot.pause()
        assert "[/x] [b]" in _text(app.screen.query_one("#contacts-status", Static))


async def test_card_shows_fields_phones_flag_and_history(ui_session, data, frozen_clock):
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(pilot, app)
        app.screen.open_card("person", data["ivanov"])
        await until(pilot, lambda: isinstance(app.screen, CardScreen) and app.screen.detail is not None
                    and app.screen.history.row_count > 0, what="card + history")
        contacts_text = _text(app.screen.query_one("#card-contacts", Static))
        assert "8 (916) 123-45-67" in contacts_text and "invalid: too short: no area code?" in contacts_text
        assert "petr@romashka.ru" in contacts_text and "#VIP" in contacts_text and "Поставка 2027" in contacts_text
        fields = _text(app.screen.query_one("#card-fields", Static))
        assert "Бухгалтер" in fields and "ООО «Ромашка»" in fields
        hist = app.screen.history
        texts = [e.kind for e in hist.entries]
        assert texts == ["call_out", "call_out", "note", "deal"]  # planned first, then newest first
        assert "[planned] Call back about the offer" in _text(hist) and "reached: Wants an offer" in _text(hist)


async def test_person_to_company_to_other_person_and_back(ui_session, data, frozen_clock):
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await _ready(pilot, app)
        await _search(pilot, app, "иванов")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CardScreen) and app.screen.detail is not None)
        await pilot.press("C")  # to the company
        await until(pilot, lambda: app.screen.kind == "company" and app.screen.detail is not None, what="company card")
        people = app.screen.query_one("#card-people", DataTable)
        assert people.row_count == 2
        people.focus()
        await pilot.press("down", "enter")  # the second person: Петрова
        await until(pilot, lambda: app.screen.kind == "person" and app.screen.record_id == data["petrova"]
                    and app.screen.detail is not None, what="other person's card")
        await pilot.press("escape")
        assert app.screen.kind == "company"
        await pilot.press("escape", "escape")
        assert isinstance(app.screen, ContactsScreen)


async def test_slash_on_a_card_goes_back_to_search(ui_session, data, frozen_clock):
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await _ready(pilot, app)
        app.screen.open_card("company", data["company"])
        await until(pilot, lambda: isinstance(app.screen, CardScreen))
        await pilot.press("slash")
        await until(pilot, lambda: isinstance(app.screen, ContactsScreen) and isinstance(app.focused, SearchInput))


async def test_list_toggle_sort_and_filters(ui_session, data, frozen_clock):
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(pilot, app)
        table = _table(app)
        names = lambda: [r.name for r in table._rows()]  # noqa: E731
        assert names() == ["Иванов Пётр Сергеевич", "Петрова Анна", "Сидоров Олег"]
        status = app.screen.query_one("#contacts-status", Static)
        await pilot.press("s")  # by last contact
        await until(pilot, lambda: table.sort == "last" and names()[0] == "Петрова Анна", what="sort by last")
        assert names()[:2] == ["Петрова Анна", "Иванов Пётр Сергеевич"] and "by last contact" in _text(status)
        await pilot.press("s")  # by next task
        await until(pilot, lambda: table.sort == "next" and names()[0] == "Иванов Пётр Сергеевич")
        await pilot.press("x")  # without a next step
        await until(pilot, lambda: table.flt.no_next_step and len(names()) == 2, what="no next step")
        assert set(names()) == {"Петрова Анна", "Сидоров Олег"} and "no next step" in _text(status)
        await pilot.press("x", "k")  # companies
        await until(pilot, lambda: table.kind == "company" and names() == ["ООО «Ромашка»"], what="companies")
        assert "Companies" in _text(status) and "8 (495) 700-10-20" in _text(table)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CardScreen) and app.screen.kind == "company")


async def test_filter_dialog_by_tag(ui_session, data, frozen_clock):
    from textual.widgets import Select

    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(pilot, app)
        await pilot.press("f")
        await until(pilot, lambda: app.screen.query_one("#flt-tag", Select)._options[1:], what="filter choices")
        app.screen.query_one("#flt-tag", Select).value = "VIP"
        await pilot.press("ctrl+s")
        table = _table(app)
        await until(pilot, lambda: table.flt.tag == "VIP" and [r.id for r in table._rows()] == [data["ivanov"]], what="tag filter")


async def test_the_filter_dialog_with_brackets_in_tag_and_manager_names(ui_session, data, frozen_clock):
    """A Select's option is read as markup when it is a str: a tag "[/old]" or a manager named
    "Мария [/x]" crashed the app as the filter dialog opened."""
    from textual.widgets import Select

    from tuicrm.services import contacts, users

    users.create_user("maria", "Мария [/x]", "manager")
    contacts.create_person(ui_session.actor, full_name="Сидоров Олег", tags=["[/old]"])
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await _ready(pilot, app)
        await pilot.press("f")
        await until(pilot, lambda: app.screen.query_one("#flt-tag", Select)._options[1:], what="filter choices")
        await pilot.pause()
        tags = app.screen.query_one("#flt-tag", Select)
        assert "[/old]" in [str(prompt) for prompt, _value in tags._options]
        tags.value = "[/old]"
        await pilot.press("ctrl+s")
        table = _table(app)
        await until(pilot, lambda: table.flt.tag == "[/old]" and table.row_count == 1, what="tag filter")
        assert "[/old]" in _text(app.screen.query_one("#contacts-status", Static))


async def test_a_page_that_failed_is_fetched_by_the_next_key_at_the_last_row(ui_session, frozen_clock, monkeypatch):
    """A page fetch that fails (the base locked, say) is said and does not stop the list: the
    next move key at the last row held fetches it again, though nothing new is highlighted there."""
    import peewee

    from tuicrm.services import contact_list, contacts

    actor = ui_session.actor
    for i in range(150):
        contacts.create_person(actor, full_name=f"Клиент {i:03d}")
    real, failures, locked = contact_list.page, [], [True]

    def flaky(*args, **kwargs):
        if kwargs.get("after") is not None and locked[0]:
            failures.append(kwargs["after"])
            raise peewee.OperationalError("database is locked")
        return real(*args, **kwargs)

    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await _ready(pilot, app)
        table = _table(app)
        monkeypatch.setattr(contact_list, "page", flaky)

        async def press(key):
            await pilot.press(key)
            await pilot.pause()
            await until(pilot, lambda: not table._loading, what="the fetch to end")

        for _ in range(10):  # down to the last row of the first page; every fetch on the way fails
            if failures and table.current_row().name == "Клиент 099":
                break
            await press("pagedown")
        # (a move can fetch twice, on the key and on the highlight it causes: how many fetches failed
        # varies, so the base stays locked until the last row is reached, instead of for two fetches)
        assert table.current_row().name == "Клиент 099" and table.row_count == 100 and failures
        assert any("Database unavailable" in n.message for n in app._notifications)
        locked[0] = False
        await press("pagedown")
        await until(pilot, lambda: table.row_count == 150, what="the page after the failures")
        assert table.current_row().name == "Клиент 099"
        await press("down")
        assert table.current_row().name == "Клиент 100"


async def test_paging_loads_more_and_keeps_a_small_window(ui_session, frozen_clock):
    from tuicrm.services import contacts

    actor = ui_session.actor
    for i in range(450):
        contacts.create_person(actor, full_name=f"Клиент {i:03d}")
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await _ready(pilot, app)
        table = _table(app)
        assert table.row_count == 100 and table.pages_loaded == 1

        async def press(key):
            await pilot.press(key)
            await until(pilot, lambda: not table._loading, what="a page")

        names = []
        for _ in range(40):  # a screenful a press: to the very end of the base
            await press("pagedown")
            names.append(table.current_row().name)
        assert names[-1] == "Клиент 449", names
        assert table.row_count <= 300 and table.pages_loaded >= 5
        assert names == sorted(names)
        await press("up")
        assert table.current_row().name == "Клиент 448"
        for _ in range(40):
            await press("pageup")
        assert table.current_row().name == "Клиент 000" and table.window[0] == 0


async def test_the_first_page_is_read_before_the_first_frame(ui_session, data, frozen_clock, monkeypatch):
    """The pane reads its first page as it is mounted (no worker): the first frame has the rows."""
    calls = []
    real = ContactsTable.run_db

    def run_db(self, fn, *args, group="db", **kwargs):
        calls.append(group)
        return real(self, fn, *args, group=group, **kwargs)

    monkeypatch.setattr(ContactsTable, "run_db", run_db)
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        table = _table(app)
        assert table.row_count == 3 and table.pages_loaded == 1 and calls == []
        assert table.current_row().name == "Иванов Пётр Сергеевич"
        await pilot.press("s")  # later pages: through the worker, as before
        await until(pilot, lambda: table.sort == "last" and table.pages_loaded == 2, what="a sorted page")
        assert calls == ["contacts-list"]


async def test_a_first_page_that_fails_is_read_again_by_the_worker(ui_session, data, frozen_clock, monkeypatch):
    import peewee

    from tuicrm.services import contact_list

    calls = {"n": 0}
    real = contact_list.page

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise peewee.OperationalError("database is locked")
        return real(*args, **kwargs)

    monkeypatch.setattr(contact_list, "page", flaky)
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(100, 30)) as pilot:
        await _ready(pilot, app)
        assert calls["n"] == 2 and _table(app).row_count == 3 and _table(app).pages_loaded == 1


async def test_the_list_sizes_itself_as_datatable_does(ui_session, data, frozen_clock):
    """ContactsTable skips DataTable's per-cell measuring (fixed-width columns): the virtual size
    and every column's render width are what DataTable's own _update_dimensions gives."""
    app = create_app(ui_session, clock=frozen_clock)
    for size in ((80, 24), (120, 40)):
        async with app.run_test(size=size) as pilot:
            await _ready(pilot, app)
            table = _table(app)
            await pilot.pause()
            ours = (table.virtual_size, [c.get_render_width(table) for c in table.ordered_columns])
            name = next(c for c in table.ordered_columns if c.key.value == "name")
            assert name.content_width == len("Name")  # the cells were not measured (our path)
            DataTable._update_dimensions(table, list(table.rows))
            assert name.content_width > len("Name")  # DataTable's own path measures them
            assert (table.virtual_size, [c.get_render_width(table) for c in table.ordered_columns]) == ours
            assert ours[0].height == 3 + 1 and ours[0].width == sum(ours[1])
        app = create_app(ui_session, clock=frozen_clock)
