"""Every string of the shell and the Contacts pane has a Russian translation, and the pane shows it."""

import ast
from pathlib import Path

import pytest

from tuicrm import i18n

ROOT = Path(__file__).resolve().parents[2] / "tuicrm"
FILES = [
    "ui/app.py", "ui/screens/help.py", "ui/screens/too_small.py", "ui/modals/confirm.py", "ui/dbcall.py",
    "ui/screens/placeholder.py", "ui/screens/contacts.py", "ui/screens/card.py", "ui/widgets/contacts_table.py",
    "ui/widgets/history.py", "ui/widgets/search_box.py", "ui/widgets/labels.py", "ui/widgets/list_filter.py",
    "ui/widgets/modal_launch.py",
]


def messages(path: Path) -> list[str]:
    """String literals passed to _() / N_() and Binding descriptions."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        fn = node.func
        name = fn.id if isinstance(fn, ast.Name) else getattr(fn, "attr", None)
        if name in ("_", "N_") and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            out.append(node.args[0].value)
        if name == "Binding" and len(node.args) >= 3 and isinstance(node.args[2], ast.Constant) and node.args[2].value:
            out.append(node.args[2].value)
    return out


@pytest.mark.parametrize("rel", FILES)
def test_every_string_has_a_russian_translation(rel):
    found = messages(ROOT / rel)
    assert found or rel.endswith("placeholder.py")
    assert i18n.missing("ru", found) == []


def test_placeholders_survive_translation():
    import re

    catalog = i18n._load("ru")
    for rel in FILES:
        for msg in messages(ROOT / rel):
            assert set(re.findall(r"\{(\w+)\}", msg)) == set(re.findall(r"\{(\w+)\}", catalog[msg])), msg
