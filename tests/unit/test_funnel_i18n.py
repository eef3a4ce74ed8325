"""Every string the Funnel, the deal card, the pipeline editor and their dialogs show has a Russian
translation (message ids read from the source: _(), N_() and Binding descriptions), placeholders
kept; and the board really renders in Russian."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import tuicrm
from tuicrm import i18n

ROOT = Path(tuicrm.__file__).parent
FILES = [
    "ui/screens/funnel.py", "ui/screens/deal_card.py", "ui/screens/pipeline_editor.py",
    "ui/modals/deal_form.py", "ui/modals/deal_won.py", "ui/modals/deal_lost.py", "ui/modals/deal_filter.py",
    "ui/widgets/board.py", "ui/widgets/stage_column.py", "ui/widgets/deal_card_widget.py",
]
# service messages shown through _(str(error)) by the funnel's dialogs
SERVICE_MESSAGES = [
    "the amount cannot be negative", "a lost deal needs a reason: say why it was lost",
    "say which competitor won the deal", "only an admin may edit pipelines and stages", "a stage needs a name",
    "a pipeline needs a name", "a pipeline needs at least one open stage", "probability is a percent from 0 to 100",
    "a deal needs a title", "this deal belongs to another manager's private client", "a loss reason needs a name",
    "a competitor needs a name", "enter an amount (a number, e.g. 125000)", "the amount is too large",
    "days before a deal goes stale: a whole number, or empty for never",
    "days before a deal goes stale cannot be negative", "that stage is not in this deal's pipeline",
]


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
    return out + SERVICE_MESSAGES


def test_every_funnel_string_is_translated():
    ids = message_ids()
    assert len(ids) > 100
    assert i18n.missing("ru", ids) == []


def test_service_messages_are_the_ones_the_service_raises():
    source = (ROOT / "services" / "deals.py").read_text(encoding="utf-8")
    for msg in SERVICE_MESSAGES:
        assert f'"{msg}"' in source, msg


def test_placeholders_survive_translation():
    catalog = i18n._load("ru")  # noqa: SLF001
    for msgid in message_ids():
        assert set(re.findall(r"{[^}]*}", msgid)) == set(re.findall(r"{[^}]*}", catalog[msgid])), msgid
