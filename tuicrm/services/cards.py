"""Read models of a person's or company's card: what `tuicrm lookup` prints and the card shows on top."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import peewee

from tuicrm.model import Activity, Company, Deal, Email, Person, Phone, Stage, User
from tuicrm.services.base import Actor, Forbidden, NotFound
from tuicrm.services.queries import tags_of, visible


@dataclass(frozen=True)
class PhoneInfo:
    id: int
    raw: str
    e164: str | None
    extension: str | None
    kind: str
    is_valid: bool
    invalid_reason: str | None
    note: str | None
    is_primary: bool


@dataclass(frozen=True)
class EmailInfo:
    id: int
    address: str
    kind: str
    is_valid: bool
    is_primary: bool


@dataclass(frozen=True)
class ActivityBrief:
    id: int
    kind: str
    subject: str
    due_at: dt.datetime | None
    done_at: dt.datetime | None
    outcome: str | None
    result: str | None
    assignee: str | None


@dataclass(frozen=True)
class DealBrief:
    id: int
    title: str
    stage: str
    stage_kind: str
    amount_minor: int
    currency: str
    owner: str | None


@dataclass(frozen=True)
class CardSummary:
    kind: str
    id: int
    name: str
    company: str | None
    company_id: int | None
    position: str | None
    owner: str | None
    owner_id: int | None
    phones: list[PhoneInfo] = field(default_factory=list)
    emails: list[EmailInfo] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    last_activity: ActivityBrief | None = None
    next_activity: ActivityBrief | None = None
    open_deals: list[DealBrief] = field(default_factory=list)
    archived: bool = False
    row_version: int = 1

    def to_json(self) -> dict:
        data = asdict(self)
        return data


def _phones(cond) -> list[PhoneInfo]:
    q = Phone.select().where(cond).order_by(Phone.is_primary.desc(), Phone.position, Phone.id)
    return [PhoneInfo(p.id, p.raw, p.e164, p.extension, p.kind, p.is_valid, p.invalid_reason, p.note, p.is_primary) for p in q]


def _emails(cond) -> list[EmailInfo]:
    q = Email.select().where(cond).order_by(Email.is_primary.desc(), Email.position, Email.id)
    return [EmailInfo(e.id, e.address, e.kind, e.is_valid, e.is_primary) for e in q]


def _brief(a: Activity | None) -> ActivityBrief | None:
    if a is None:
        return None
    return ActivityBrief(a.id, a.kind, a.subject, a.due_at, a.done_at, a.outcome, a.result, getattr(a, "assignee_name", None))


def _activities(cond):
    return (
        Activity.select(Activity, User.name.alias("assignee_name"))
        .join(User, peewee.JOIN.LEFT_OUTER, on=(Activity.assignee == User.id))
        .where(cond & Activity.archived_at.is_null())
    )


def last_and_next(cond) -> tuple[ActivityBrief | None, ActivityBrief | None]:
    last = _activities(cond & Activity.done_at.is_null(False)).order_by(Activity.done_at.desc()).limit(1).objects().first()
    nxt = _activities(cond & Activity.done_at.is_null() & Activity.due_at.is_null(False)).order_by(Activity.due_at).limit(1).objects().first()
    return _brief(last), _brief(nxt)


def open_deals(cond) -> list[DealBrief]:
    q = (
        Deal.select(Deal, Stage.name.alias("stage_name"), Stage.kind.alias("stage_kind"), User.name.alias("owner_name"))
        .join(Stage, on=(Deal.stage == Stage.id))
        .switch(Deal)
        .join(User, peewee.JOIN.LEFT_OUTER, on=(Deal.owner == User.id))
        .where(cond & (Stage.kind == "open") & Deal.archived_at.is_null())
        .order_by(Deal.updated_at.desc())
        .limit(20)
    )
    return [DealBrief(d.id, d.title, d.stage_name, d.stage_kind, d.amount_minor, d.currency, d.owner_name) for d in q.objects()]


def person_card(actor: Actor, person_id: int) -> CardSummary:
    row = (
        Person.select(Person, Company.name.alias("company_name"), User.name.alias("owner_name"))
        .join(Company, peewee.JOIN.LEFT_OUTER, on=(Person.company == Company.id))
        .switch(Person)
        .join(User, peewee.JOIN.LEFT_OUTER, on=(Person.owner == User.id))
        .where(Person.id == person_id)
        .objects()
        .first()
    )
    if row is None:
        raise NotFound(f"person #{person_id} not found")
    if not Person.select().where((Person.id == person_id) & visible(Person, actor)).exists():
        raise Forbidden("this card is private to its owner")
    last, nxt = last_and_next(Activity.person == person_id)
    return CardSummary(
        kind="person", id=row.id, name=row.full_name, company=row.company_name, company_id=row.company_id,
        position=row.position, owner=row.owner_name, owner_id=row.owner_id,
        phones=_phones(Phone.person == person_id), emails=_emails(Email.person == person_id),
        tags=tags_of(person_id=person_id), last_activity=last, next_activity=nxt,
        open_deals=open_deals(Deal.person == person_id), archived=row.archived_at is not None, row_version=row.row_version,
    )


def company_card(actor: Actor, company_id: int) -> CardSummary:
    row = (
        Company.select(Company, User.name.alias("owner_name"))
        .join(User, peewee.JOIN.LEFT_OUTER, on=(Company.owner == User.id))
        .where(Company.id == company_id)
        .objects()
        .first()
    )
    if row is None:
        raise NotFound(f"company #{company_id} not found")
    if not Company.select().where((Company.id == company_id) & visible(Company, actor)).exists():
        raise Forbidden("this card is private to its owner")
    last, nxt = last_and_next(Activity.company == company_id)
    return CardSummary(
        kind="company", id=row.id, name=row.name, company=None, company_id=None, position=row.industry,
        owner=row.owner_name, owner_id=row.owner_id, phones=_phones(Phone.company == company_id),
        emails=_emails(Email.company == company_id), tags=tags_of(company_id=company_id), last_activity=last,
        next_activity=nxt, open_deals=open_deals(Deal.company == company_id), archived=row.archived_at is not None,
        row_version=row.row_version,
    )


def card(actor: Actor, kind: str, record_id: int) -> CardSummary:
    return person_card(actor, record_id) if kind == "person" else company_card(actor, record_id)


# --- the full card (the Card screen): every field, custom fields, the company's people ---------


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
