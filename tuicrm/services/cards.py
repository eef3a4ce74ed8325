"""Read models of a person's or company's card: what `tuicrm lookup` prints and the card shows on top."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import peewee

from tuicrm.model import Activity, Company, Deal, Email, Person, Phone, Stage, User
from tuicrm.services.base import Actor, Forbidden, NotFound
from tuicrm.services.contacts import tags_of, visible


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
