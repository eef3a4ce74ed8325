"""The full card (the Card screen): every field, custom fields, the company's people. Also
reachable as ``tuicrm.services.cards.card_detail`` etc."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tuicrm.model import Company, Person, Phone
from tuicrm.services.base import Actor
from tuicrm.services.cards import CardSummary, card
from tuicrm.services.queries import visible


@dataclass(frozen=True)
class FieldValue:
    code: str  # a stable name ("position", "inn", … or "custom:<code>")
    label: str  # English label (the UI translates the standard ones; custom labels are shown as typed)
    value: object  # str / date / int / None
    custom: bool = False
    kind: str = "text"  # text / number / date / choice


@dataclass(frozen=True)
class PersonBrief:
    id: int
    name: str
    position: str | None
    phone_raw: str | None
    phone_e164: str | None
    archived: bool


@dataclass(frozen=True)
class CardDetail:
    summary: CardSummary
    fields: list[FieldValue]
    custom: list[FieldValue]
    people: list[PersonBrief]  # a company's persons (first ``PEOPLE_LIMIT``)
    people_total: int
    visibility: str
    created_at: dt.datetime | None
    updated_at: dt.datetime | None
    merged_into: int | None


PEOPLE_LIMIT = 200


def custom_values(kind: str, record_id: int) -> list[FieldValue]:
    from tuicrm.model import CustomField, CustomValue

    col = CustomValue.person if kind == "person" else CustomValue.company
    values = {v.field_id: v for v in CustomValue.select().where(col == record_id)}
    out = []
    for f in (
        CustomField.select().where((CustomField.entity == kind) & CustomField.archived_at.is_null())
        .order_by(CustomField.position, CustomField.id)
    ):
        v = values.get(f.id)
        value: object = None
        if v is not None:
            if f.kind == "number" and v.value_number is not None:
                value = v.value_number / 1000
                value = int(value) if value == int(value) else value
            elif f.kind == "date":
                value = v.value_date
            else:
                value = v.value_text
        out.append(FieldValue(f"custom:{f.code}", f.label, value, custom=True, kind=f.kind))
    return out


def people_of(actor: Actor, company_id: int, limit: int = PEOPLE_LIMIT) -> tuple[list[PersonBrief], int]:
    cond = (Person.company == company_id) & visible(Person, actor)
    total = Person.select().where(cond).count()
    rows = list(
        Person.select(Person.id, Person.full_name, Person.position, Person.archived_at)
        .where(cond).order_by(Person.archived_at.is_null(False), Person.name_key, Person.id).limit(limit).tuples()
    )
    phones: dict[int, tuple[str, str | None]] = {}
    if rows:
        for pid, raw, e164 in (
            Phone.select(Phone.person, Phone.raw, Phone.e164).where(Phone.person.in_([r[0] for r in rows]))
            .order_by(Phone.is_primary.desc(), Phone.position, Phone.id).tuples()
        ):
            phones.setdefault(pid, (raw, e164))
    return [PersonBrief(pid, name, pos, *phones.get(pid, (None, None)), archived is not None) for pid, name, pos, archived in rows], total


def card_detail(actor: Actor, kind: str, record_id: int) -> CardDetail:
    """Everything the Card screen shows above the history (one call, a handful of indexed queries)."""
    summary = card(actor, kind, record_id)
    if kind == "person":
        p = Person.get_by_id(record_id)
        fields = [
            FieldValue("last_name", "Last name", p.last_name or None),
            FieldValue("first_name", "First name", p.first_name or None),
            FieldValue("middle_name", "Middle name", p.middle_name or None),
            FieldValue("position", "Position", p.position),
            FieldValue("company", "Company", summary.company),
            FieldValue("birthday", "Birthday", p.birthday, kind="date"),
            FieldValue("source", "Source", p.source),
            FieldValue("owner", "Owner", summary.owner),
        ]
        people, total = [], 0
        rec = p
    else:
        c = Company.get_by_id(record_id)
        fields = [
            FieldValue("legal_form", "Legal form", c.legal_form),
            FieldValue("inn", "Tax id", c.inn),
            FieldValue("kpp", "KPP", c.kpp),
            FieldValue("ogrn", "OGRN", c.ogrn),
            FieldValue("address", "Address", c.address),
            FieldValue("site", "Site", c.site),
            FieldValue("industry", "Industry", c.industry),
            FieldValue("segment", "Segment", c.segment),
            FieldValue("source", "Source", c.source),
            FieldValue("owner", "Owner", summary.owner),
        ]
        people, total = people_of(actor, record_id)
        rec = c
    return CardDetail(
        summary=summary, fields=fields, custom=custom_values(kind, record_id), people=people, people_total=total,
        visibility=rec.visibility, created_at=rec.created_at, updated_at=rec.updated_at, merged_into=rec.merged_into_id,
    )
