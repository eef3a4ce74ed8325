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


async def test_import_screen_map_preview_import_undo(ui_session, tmp_path):
    path = write_csv(tmp_path / "c.csv", ["ФИО", "Номер", "Компания"], [
        ["Иванов Иван", "8 916 123-45-67", "ООО Ромашка"], ["Петров Пётр", "89161112233", "ООО Ромашка"]])
    app = create_app(ui_session)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f6")
        assert await _until(pilot, lambda: isinstance(app.screen, ImportScreen))
        screen = app.screen
        screen.query_one("#import-path").value = str(path)
        await pilot.press("ctrl+r")
        assert await _until(pilot, lambda: screen.prepared is not None)
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
