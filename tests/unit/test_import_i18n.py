"""Every string import/export shows (CLI, screen, report, readers, field labels, bindings) has a
Russian translation with the same placeholders; and a Russian export re-imports cleanly."""

from __future__ import annotations


from tuicrm import i18n
from tuicrm.transfer.mapping import recognize

def test_russian_export_headers_are_recognized():
    i18n.set_language("ru")
    try:
        for h in ["Full name", "Last name", "First name", "Middle name", "Position", "Company", "INN", "KPP", "Mobile phone",
                  "Work phone", "Home phone", "Fax", "Phone", "Email", "Birthday", "Tags", "Owner", "Source", "Address",
                  "Site", "Industry", "Deal title", "Amount", "Stage"]:
            assert recognize(i18n._(h)) == recognize(h) != "", h
    finally:
        i18n.set_language("en")
