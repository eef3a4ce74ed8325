"""The Import screen with Pilot: F6 opens it, the mapping is fixed by keys, preview, import, undo."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from tests.fixtures.import_files import write_csv
from tuicrm.model import ImportBatch, Person, Phone
from tuicrm.ui.app import create_app
from tuicrm.ui.screens.import_screen import ImportScreen


async def _until(pilot, cond, tries=200):
    for _ in range(tries):
        if cond():
            return True
        await pilot.pause(0.02)
    return cond()


async def _open_and_read(pilot, app, path) -> ImportScreen:
    """F6, the file's path, ctrl+r: the screen with the file read (its mapping shown)."""
    await pilot.press("f6")
    assert await _until(pilot, lambda: isinstance(app.screen, ImportScreen))
    screen = app.screen
    screen.query_one("#import-path").value = str(path)
    await pilot.press("ctrl+r")
    assert await _until(pilot, lambda: screen.prepared is not None)
    return screen


async def test_import_screen_map_preview_import_undo(ui_session, tmp_path):
    path = write_csv(tmp_path / "c.csv", ["ФИО", "Номер", "Компания"], [
        ["Иванов Иван", "8 916 123-45-67", "ООО Ромашка"], ["Петров Пётр", "89161112233", "ООО Ромашка"]])
    app = create_app(ui_session)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_and_read(pilot, app, path)
        table = screen.query_one("#import-columns", DataTable)
        assert screen.mapping == ["full_name", "", "company"]  # "Номер" is not recognized
        table.focus()
        await pilot.press("down")  # the "Номер" column
        for _ in range(7):  # "" → full_name → last → first → middle → position → birthday → phone
            await pilot.press("right")
        assert screen.mapping[1] == "phone"
        assert "Phone" in str(table.get_row_at(1)[2])
        await pilot.press("v")
        report = screen.query_one("#import-report", Static)
        assert await _until(pilot, lambda: "Preview" in str(report.render()))
        assert "created 2" in str(report.render()) and Person.select().count() == 0
        await pilot.press("ctrl+s")
        assert await _until(pilot, lambda: "done" in str(report.render()))
        assert Person.select().count() == 2 and Phone.select().count() == 2
        await pilot.press("u")
        await pilot.press("y")
        assert await _until(pilot, lambda: "undone" in str(report.render()))
        assert Person.select().count() == 0 and ImportBatch.get().status == "undone"
        await pilot.press("escape")
        assert await _until(pilot, lambda: not isinstance(app.screen, ImportScreen))


async def test_bad_file_is_a_message(ui_session, tmp_path):
    bad = tmp_path / "x.xlsx"
    bad.write_bytes(b"garbage")
    app = create_app(ui_session)
    async with app.run_test(size=(80, 24)) as pilot:
        assert await _until(pilot, lambda: app.screen.__class__.__name__ == "ContactsScreen")
        app.push_screen(ImportScreen(str(bad)))
        assert await _until(pilot, lambda: isinstance(app.screen, ImportScreen))
        screen = app.screen

        def info() -> str:
            found = screen.query("#import-info")
            return str(found.first(Static).render()) if found else ""

        assert await _until(pilot, lambda: "not a spreadsheet" in info())
        assert screen.prepared is None


async def test_save_mapping_as_preset(ui_session, tmp_path):
    from tuicrm.model import ImportPreset

    path = write_csv(tmp_path / "c.csv", ["ФИО", "Номер"], [["Иванов Иван", "8 916 123-45-67"]])
    app = create_app(ui_session)
    async with app.run_test(size=(80, 24)) as pilot:
        assert await _until(pilot, lambda: app.screen.__class__.__name__ == "ContactsScreen")
        app.push_screen(ImportScreen(str(path)))
        assert await _until(pilot, lambda: isinstance(app.screen, ImportScreen) and app.screen.prepared is not None)
        screen = app.screen
        await pilot.press("down", "x", "s")
        assert await _until(pilot, lambda: app.screen.__class__.__name__ == "PresetNameModal")
        await pilot.press(*"моя", "enter")
        assert await _until(pilot, lambda: ImportPreset.select().where(ImportPreset.name == "моя").exists())
        assert '"Номер": ""' in ImportPreset.get().mapping and screen.mapping == ["full_name", ""]


async def test_a_big_file_imports_from_the_screen_through_the_second_process(ui_session, tmp_path, monkeypatch):
    """TRACKER_NOTE: inside the app sys.stderr is Textual's capture (fileno() -1), and starting
    multiprocessing's resource tracker for the worker's pool failed there: the screen said
    "Importing…" for ever. Here a small file takes the big files' path (a real worker process),
    with the tracker stopped first so that it has to start under the app."""
    from multiprocessing import resource_tracker

    from tuicrm.transfer import importer

    monkeypatch.setattr(importer, "PARALLEL_MIN_BYTES", 1)
    pools = []
    real_pool = importer._worker_pool

    def pool():
        pools.append(real_pool())
        return pools[-1]

    monkeypatch.setattr(importer, "_worker_pool", pool)
    resource_tracker._resource_tracker._stop()  # as in a fresh app process (restarted on its next use)
    path = write_csv(tmp_path / "big.csv", ["ФИО", "Телефон", "Компания"],
                     [[f"Человек {i}", f"8 916 000-{i // 100:02d}-{i % 100:02d}", f"ООО {i % 7}"] for i in range(300)])
    app = create_app(ui_session)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_and_read(pilot, app, path)
        await pilot.press("ctrl+s")
        report = screen.query_one("#import-report", Static)
        assert await _until(pilot, lambda: "done" in str(report.render()) or not screen.busy, tries=1500)
        assert "created 300" in str(report.render()), str(screen.query_one("#import-info", Static).render())
    assert len(pools) == 1 and Person.select().count() == 300 and Phone.select().count() == 300


async def test_an_unexpected_error_is_said_not_left_waiting(ui_session, tmp_path, monkeypatch):
    """A bug in a call the screen waits for (here: the import raising something that is not a
    ServiceError) is shown as an error, and the screen can be used again."""
    from tuicrm.transfer import importer

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    path = write_csv(tmp_path / "c.csv", ["ФИО"], [["Иванов Иван"]])
    app = create_app(ui_session)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_and_read(pilot, app, path)
        monkeypatch.setattr(importer, "run_import", broken)
        await pilot.press("ctrl+s")
        info = screen.query_one("#import-info", Static)
        assert await _until(pilot, lambda: "Unexpected error: RuntimeError: boom" in str(info.render()))
        assert not screen.busy and not screen.query_one("#import-progress").display
    assert Person.select().count() == 0


async def test_brackets_in_the_file_are_shown_as_written(ui_session, tmp_path):
    """Headers, cells, file names and messages are the user's text, not markup: "[/раб]" in a header
    made Rich's markup parser raise (the app crashed on drawing the table), "[x]" vanished."""
    path = write_csv(tmp_path / "list [v2].csv", ["ФИО [x]", "Телефон [/раб]"], [["[b]Иванов[/b] Иван [/]", "12-34"]])
    app = create_app(ui_session)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open_and_read(pilot, app, path)
        await pilot.pause()
        table = screen.query_one("#import-columns", DataTable)
        shown = [[str(getattr(c, "plain", c)) for c in table.get_row_at(i)] for i in range(2)]
        assert shown[0][1] == "ФИО [x]" and shown[1][1] == "Телефон [/раб]" and "[b]Иванов[/b] Иван [/]" in shown[0][3]
        assert "list [v2].csv" in str(screen.query_one("#import-info", Static).render())
        await pilot.press("ctrl+s")
        report = screen.query_one("#import-report", Static)
        assert await _until(pilot, lambda: "done" in str(report.render()))
        text = str(report.render())
        assert "row 2: [warning] phone '12-34' kept as written" in text, text
    assert Person.get().full_name == "[b]Иванов[/b] Иван [/]"
