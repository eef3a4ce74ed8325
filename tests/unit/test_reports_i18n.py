"""Every string the Reports pane, its dialogs, the report service and the report export show has a
Russian translation (message ids read from the source: _(), N_() and Binding descriptions)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import tuicrm
from tuicrm import i18n

ROOT = Path(tuicrm.__file__).parent
FILES = ["services/reports.py", "transfer/report_export.py", "ui/screens/reports.py", "ui/widgets/chart.py",
         "ui/modals/report_forms.py"]


def message_ids() -> list[str]:
    out: list[str] = []
    for name in FILES:
        for node in ast.walk(ast.parse((ROOT / name).read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            if node.func.id in ("_", "N_") and node.args:
                arg = node.args[0]
            elif node.func.id == "Binding" and len(node.args) >= 3:
                arg = node.args[2]
            else:
                continue
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                out.append(arg.value)
    return list(dict.fromkeys(out))


def test_every_report_string_is_translated():
    ids = message_ids()
    assert len(ids) > 100
    assert i18n.missing("ru", ids) == []


def test_placeholders_survive_translation():
    catalog = i18n._load("ru")  # noqa: SLF001
    for msgid in message_ids():
        assert set(re.findall(r"{[^}]*}", msgid)) == set(re.findall(r"{[^}]*}", catalog[msgid])), msgid
