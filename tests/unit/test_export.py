"""Export → import round trips, on both engines."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from tuicrm.model import Company, Deal, Person, PersonTag
from tuicrm.services import contacts, deals
from tuicrm.transfer import exporter, importer
from tuicrm.transfer.readers import open_table


def _fill(actor):
    cid = contacts.create_company(actor, "ООО Ромашка", inn="0701234567", phones=["8 495 123-45-67"], emails=["info@r.ru"], tags=["опт"])
    contacts.create_person(actor, full_name="Иванов Иван Иванович", company_id=cid, position="директор",
                           phones=["+7 916 123-45-67", contacts.PhoneIn("8(495)1234567 доб. 12", "work")], emails=["i@r.ru"],
                           tags=["vip", "опт"], birthday=dt.date(1980, 2, 1))
    contacts.create_person(actor, full_name="Петрова Анна", phones=["123"])
    deals.create_deal(actor, "Поставка", amount_minor=150000050, company_id=cid)


def _state():
    persons = sorted((p.full_name, p.last_name, p.first_name, p.middle_name, p.position, p.birthday,
                      p.company.name if p.company else None, tuple(sorted((x.raw, x.e164, x.kind, x.extension) for x in p.phones)),
                      tuple(sorted(e.address for e in p.emails)), p.tag_links.count()) for p in Person.select())
    companies = sorted((c.name, c.inn, tuple(sorted(x.e164 or x.raw for x in c.phones))) for c in Company.select())
    return persons, companies


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_export_reimport_same_base_creates_nothing_and_into_empty_base_reproduces(session, actor, tmp_path, suffix):
    _fill(actor)
    state = _state()
    files = {w: tmp_path / f"{w}{suffix}" for w in ("companies", "persons", "deals", "activities")}
    for what, path in files.items():
        exporter.export_entity(actor, what, path)
    for what in ("companies", "persons", "deals"):
        rep = importer.run_import(actor, files[what])
        assert rep.created == 0 and rep.rejected == 0, (what, rep.problems)
    assert _state() == state and Deal.select().count() == 1
    # empty base
    for m in (Deal, Person, Company):
        m.delete().execute()
    PersonTag.delete().execute()
    for what in ("companies", "persons", "deals"):
        importer.run_import(actor, files[what])
    assert _state() == state
    d = Deal.get()
    assert d.amount_minor == 150000050 and d.company.name == "ООО Ромашка"


def test_xlsx_is_clean(session, actor, tmp_path):
    _fill(actor)
    path = tmp_path / "p.xlsx"
    assert exporter.export_entity(actor, "persons", path) == 2
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert ws.freeze_panes == "A2"
    head = [c.value for c in ws[1]]
    assert head[0] == "Full name" and ws.column_dimensions["A"].width >= 10
    ivan = next(r for r in ws.iter_rows(min_row=2) if r[0].value.startswith("Иванов"))
    phone = ivan[head.index("Mobile phone")]
    assert phone.data_type == "s" and phone.value == "+7 916 123-45-67" and phone.number_format == "@"
    assert ivan[head.index("INN")].value == "0701234567"  # the leading zero survives
    bday = ivan[head.index("Birthday")]
    assert bday.is_date and bday.value.date() == dt.date(1980, 2, 1)
    exporter.export_entity(actor, "deals", tmp_path / "d.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "d.xlsx").active
    assert ws.cell(2, 2).value == 1500000.5 and ws.cell(2, 2).data_type == "n"


def test_export_table_generic_csv(tmp_path):
    n = exporter.export_table(tmp_path / "r.csv", ["Менеджер", "Звонки", "Дата"], [["Анна", 12, dt.date(2026, 11, 27)]])
    assert n == 1
    t = open_table(tmp_path / "r.csv", require_header=False)
    assert t.encoding == "utf-8-sig" and list(t.rows()) == [(2, ["Анна", "12", "27.11.2026"])]


def test_text_starting_with_equals_is_never_a_formula(tmp_path):
    exporter.export_table(tmp_path / "f.xlsx", ["Name"], [["=HYPERLINK(\"http://x\")"]])
    cell = openpyxl.load_workbook(tmp_path / "f.xlsx").active.cell(2, 1)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
