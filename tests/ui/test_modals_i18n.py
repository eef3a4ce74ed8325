"""Every string the dialogs and their services show has a Russian translation (message ids read
from the source: _(), N_(), the services' _t() and Binding descriptions), placeholders intact."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import tuicrm
from tuicrm import i18n

ROOT = Path(tuicrm.__file__).parent
FILES = [
    "ui/modals/results.py", "ui/modals/common.py", "ui/modals/checks.py", "ui/modals/client_picker.py",
    "ui/modals/duplicates.py", "ui/modals/person_form.py", "ui/modals/company_form.py", "ui/modals/contact_info.py",
    "ui/modals/note_form.py", "ui/modals/log_call.py", "ui/modals/activity_form.py", "ui/modals/tags.py",
    "ui/modals/clipboard.py", "ui/modals/handover.py", "ui/modals/merge.py", "ui/modals/confirm.py",
    "services/when.py", "services/notes.py", "services/contacts.py", "services/users.py",
]
# shown through a variable: phone check reasons (services.phones), kinds and labels
DYNAMIC = [
    "no digits", "too many digits for one number", "too short: no area code?", "not a valid number",
    "wrong number of digits", "digits do not form one number", "unknown country code", "not a phone number",
    "too short", "too long", "mobile", "work", "home", "fax", "other", "personal", "Call", "Task", "Meeting",
    "person", "company",
    # the palette command added in ui/app.py for HandoverAllModal
    "Hand over all clients of a manager…", "Clients, open activities and open deals go to another manager",
]


def message_ids() -> list[str]:
    out: list[str] = []
    for name in FILES:
        for node in ast.walk(ast.parse((ROOT / name).read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id in ("_", "N_", "_t") and node.args:
                arg = node.args[0]
            elif node.func.id == "Binding" and len(node.args) >= 3:
                arg = node.args[2]
            else:
                continue
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                out.append(arg.value)
    return list(dict.fromkeys(out + DYNAMIC))


def test_every_dialog_string_is_translated():
    ids = message_ids()
    assert len(ids) > 200
    assert i18n.missing("ru", ids) == []


def test_placeholders_survive_translation():
    catalog = i18n._load("ru")  # noqa: SLF001
    for msgid in message_ids():
        assert set(re.findall(r"{[^}]*}", msgid)) == set(re.findall(r"{[^}]*}", catalog[msgid])), msgid


def test_forms_po_holds_them_all():
    """Our own catalog is complete by itself (other areas' files may change)."""
    from babel.messages.pofile import read_po

    with (ROOT / "locale" / "ru" / "forms.po").open("rb") as fh:
        ours = {m.id for m in read_po(fh, locale="ru") if m.id and m.string}
    assert [m for m in message_ids() if m not in ours] == []


async def test_a_form_in_russian(ui_session):
    from tuicrm.ui.app import create_app
    from tuicrm.ui.modals.person_form import PersonForm

    ui_session.settings.language = "ru"
    app = create_app(ui_session)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            app.push_screen(PersonForm())
            await pilot.pause()
            await pilot.press(*"Петров")
            app.screen.query_one("#phones").focus()
            await pilot.press(*"8 916 12", "ctrl+s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "Новый контакт" in str(app.screen.query_one("#form-title").render())
            assert "слишком короткий" in str(app.screen.query_one("#phones-msg").render())
            assert "исправьте или удалите номер" in str(app.screen.query_one("#phones-msg").render())
    finally:
        i18n.set_language("en")
