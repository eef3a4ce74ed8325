"""Every string import/export shows (CLI, screen, report, readers, field labels, bindings) has a
Russian translation with the same placeholders; and a Russian export re-imports cleanly."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import tuicrm
from tuicrm import i18n
from tuicrm.transfer.mapping import recognize

ROOT = Path(tuicrm.__file__).parent
FILES = ["transfer/mapping.py", "transfer/presets.py", "transfer/readers.py", "transfer/importer.py", "transfer/undo.py",
         "transfer/exporter.py", "transfer/values.py", "cli/transfer.py", "ui/screens/import_screen.py"]
DYNAMIC = ["rejected", "ambiguous", "warning", "conflict", "Mobile phone", "Work phone", "Home phone", "Fax", "Persons",
           "Companies", "Deals", "Activities", "merge", "skip", "create", "merge: fill empty fields, add phones",
           "skip cards already in the base", "create new cards even for matches", "too short: no area code?",
           "not a valid number", "wrong number of digits", "Import", "Import a file (.xlsx/.csv)…"]


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
    return out + DYNAMIC


def test_every_import_string_is_translated_with_its_placeholders():
    ids = message_ids()
    assert len(ids) > 150
    assert i18n.missing("ru", ids) == []
    i18n.set_language("ru")
    try:
        for m in ids:
            assert set(re.findall(r"\{[^}]*\}", m)) == set(re.findall(r"\{[^}]*\}", i18n._(m))), m
    finally:
        i18n.set_language("en")


def test_russian_export_headers_are_recognized():
    i18n.set_language("ru")
    try:
        for h in ["Full name", "Last name", "First name", "Middle name", "Position", "Company", "INN", "KPP", "Mobile phone",
                  "Work phone", "Home phone", "Fax", "Phone", "Email", "Birthday", "Tags", "Owner", "Source", "Address",
                  "Site", "Industry", "Deal title", "Amount", "Stage"]:
            assert recognize(i18n._(h)) == recognize(h) != "", h
    finally:
        i18n.set_language("en")
