"""Russian is complete: every string the code marks for translation — ``_()``, ``N_()`` and
Binding descriptions, in every module — has a Russian text with the same placeholders, and the
reasons the phone service gives are translatable too."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from babel.messages.pofile import read_po

import tuicrm
from tuicrm import i18n, labels
from tuicrm.services import phones

ROOT = Path(tuicrm.__file__).parent
CATALOG = ROOT / "locale" / "ru" / "tuicrm.po"


def message_ids() -> dict[str, str]:
    """msgid → the first file that uses it."""
    out: dict[str, str] = {}
    for path in sorted(ROOT.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            fn = node.func
            name = fn.id if isinstance(fn, ast.Name) else getattr(fn, "attr", None)
            arg = None
            if name in ("_", "N_", "_t") and node.args:
                arg = node.args[0]
            elif name == "Binding" and len(node.args) >= 3:
                arg = node.args[2]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value:
                out.setdefault(arg.value, str(path.relative_to(ROOT)))
    return out


def test_every_marked_string_has_a_russian_translation():
    ids = message_ids()
    assert len(ids) > 800  # the extraction itself works
    missing = i18n.missing("ru", list(ids))
    assert missing == [], [(m, ids[m]) for m in missing]


def test_placeholders_survive_translation():
    with CATALOG.open("rb") as fh:
        catalog = {m.id: m.string for m in read_po(fh, locale="ru") if m.id}
    wrong = [
        msgid for msgid, text in catalog.items()
        if set(re.findall(r"\{[^{}]*\}", msgid)) != set(re.findall(r"\{[^{}]*\}", text))
    ]
    assert wrong == []


def test_one_catalog_one_translation_per_string():
    assert sorted(p.name for p in CATALOG.parent.glob("*.po")) == ["tuicrm.po"]
    with CATALOG.open("rb") as fh:
        ids = [m.id for m in read_po(fh, locale="ru") if m.id]
    assert len(ids) == len(set(ids))


def test_every_phone_reason_is_translatable():
    source = (ROOT / "services" / "phones.py").read_text(encoding="utf-8")
    produced = set(re.findall(r'(?:reason=|invalid\(|reason = )"([^"]+)"', source)) | set(phones._PARSE_REASONS.values())
    assert produced, "the pattern found no reasons in services/phones.py"
    assert produced <= set(labels.PHONE_REASONS), produced - set(labels.PHONE_REASONS)
    assert i18n.missing("ru", sorted(produced)) == []


# Strings the code translates through a variable (service messages shown to the user, labels
# looked up in tables, palette entries): extraction cannot see them, so they are listed here.
DEAL_MESSAGES = [  # raised by services.deals, shown translated by the Funnel pane
    "the amount cannot be negative", "a lost deal needs a reason: say why it was lost",
    "say which competitor won the deal", "only an admin may edit pipelines and stages", "a stage needs a name",
    "a pipeline needs a name", "a pipeline needs at least one open stage", "probability is a percent from 0 to 100",
    "a deal needs a title", "this deal belongs to another manager's private client", "a loss reason needs a name",
    "a competitor needs a name", "enter an amount (a number, e.g. 125000)", "the amount is too large",
    "days before a deal goes stale: a whole number, or empty for never",
    "days before a deal goes stale cannot be negative", "that stage is not in this deal's pipeline",
]
TRANSLATED_AT_DISPLAY = DEAL_MESSAGES + [
    # import outcomes and policies
    "rejected", "ambiguous", "warning", "conflict", "Mobile phone", "Work phone", "Home phone", "Fax", "Persons",
    "Companies", "Deals", "Activities", "merge", "skip", "create", "merge: fill empty fields, add phones",
    "skip cards already in the base", "create new cards even for matches", "Import", "Import a file (.xlsx/.csv)…",
    # card kinds and the palette
    "person", "company", "Call", "Task", "Meeting",
    "Hand over all clients of a manager…", "Clients, open activities and open deals go to another manager",
]


def test_strings_translated_at_display_time():
    assert i18n.missing("ru", TRANSLATED_AT_DISPLAY) == []


def test_deal_messages_are_the_ones_the_service_raises():
    source = (ROOT / "services" / "deals.py").read_text(encoding="utf-8")
    assert [m for m in DEAL_MESSAGES if f'"{m}"' not in source] == []
