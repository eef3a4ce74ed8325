"""Read models of a person's or company's card: what `tuicrm lookup` prints and the card shows on top."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import peewee

from tuicrm.model import Activity, Company, Deal, Email, Person, Phone, Stage, User
from tuicrm.services.base import Actor, Forbidden, NotFound
from tuicrm.services.queries import tags_of, visible, visible_sql


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


def _ints(ids) -> str:
    return ",".join(str(int(i)) for i in ids)


def summaries(actor: Actor, refs: list[tuple[str, int]]) -> list[CardSummary]:
    """``[card(actor, kind, id) for kind, id in refs]`` in a fixed handful of queries, whatever the
    number of cards (``tuicrm lookup`` prints every card a shared number belongs to): the same
    cards, the same errors (NotFound / Forbidden for the first such ref, in order)."""
    pids = [i for k, i in refs if k == "person"]
    cids = [i for k, i in refs if k != "person"]
    rows: dict[tuple[str, int], tuple] = {}
    db = Person._meta.database

    def last_next(kind: str) -> str:
        """As last_and_next(): the latest done and the first open planned activity, by id."""
        first = f"SELECT a.id FROM activity a WHERE a.{kind}_id = t.id AND a.archived_at IS NULL AND "
        return (f"({first}a.done_at IS NOT NULL ORDER BY a.done_at DESC LIMIT 1), "
                f"({first}a.done_at IS NULL AND a.due_at IS NOT NULL ORDER BY a.due_at LIMIT 1)")

    # plain SQL (ids inlined, ints): peewee spends ~0.5-1 ms building each statement, more than running it
    if pids:
        for row in db.execute_sql(
            "SELECT t.id, t.full_name, c.name, t.company_id, t.position, u.name, t.owner_id, t.archived_at, t.row_version, "
            f"{visible_sql('t', actor)}, {last_next('person')} FROM person t LEFT JOIN company c ON t.company_id = c.id "
            f'LEFT JOIN "user" u ON t.owner_id = u.id WHERE t.id IN ({_ints(pids)})'
        ):
            rows[("person", row[0])] = row
    if cids:
        for row in db.execute_sql(
            "SELECT t.id, t.name, NULL, NULL, t.industry, u.name, t.owner_id, t.archived_at, t.row_version, "
            f"{visible_sql('t', actor)}, {last_next('company')} FROM company t "
            f'LEFT JOIN "user" u ON t.owner_id = u.id WHERE t.id IN ({_ints(cids)})'
        ):
            rows[("company", row[0])] = row
    for kind, rid in refs:
        key = ("person" if kind == "person" else "company", rid)
        if key not in rows:
            raise NotFound(f"{key[0]} #{rid} not found")
        if not rows[key][9]:
            raise Forbidden("this card is private to its owner")
    if not rows:
        return []

    owned = " OR ".join(([f"person_id IN ({_ints(pids)})"] if pids else []) + ([f"company_id IN ({_ints(cids)})"] if cids else []))

    def key_of(person_id, company_id):
        return ("person", person_id) if person_id else ("company", company_id)

    phones: dict[tuple[str, int], list[PhoneInfo]] = {}
    for p in db.execute_sql(
        "SELECT person_id, company_id, id, raw, e164, extension, kind, is_valid, invalid_reason, note, is_primary "
        f'FROM phone WHERE {owned} ORDER BY is_primary DESC, "position", id'
    ):
        phones.setdefault(key_of(p[0], p[1]), []).append(
            PhoneInfo(p[2], p[3], p[4], p[5], p[6], bool(p[7]), p[8], p[9], bool(p[10])))
    emails: dict[tuple[str, int], list[EmailInfo]] = {}
    for e in db.execute_sql(
        f"SELECT person_id, company_id, id, address, kind, is_valid, is_primary FROM email WHERE {owned} "
        'ORDER BY is_primary DESC, "position", id'
    ):
        emails.setdefault(key_of(e[0], e[1]), []).append(EmailInfo(e[2], e[3], e[4], bool(e[5]), bool(e[6])))
    tags: dict[tuple[str, int], list[str]] = {}
    for kind, link, ids in (("person", "person_tag", pids), ("company", "company_tag", cids)):
        if ids:
            for rid, name in db.execute_sql(
                f"SELECT l.{kind}_id, t.name FROM tag t JOIN {link} l ON l.tag_id = t.id "
                f"WHERE l.{kind}_id IN ({_ints(ids)}) ORDER BY t.name"
            ):
                tags.setdefault((kind, rid), []).append(name)
    deals: dict[tuple[str, int], list[DealBrief]] = {}
    for d in db.execute_sql(
        "SELECT d.person_id, d.company_id, d.id, d.title, s.name, s.kind, d.amount_minor, d.currency, u.name "
        'FROM deal d JOIN stage s ON d.stage_id = s.id LEFT JOIN "user" u ON d.owner_id = u.id '
        f"WHERE ({owned.replace('person_id', 'd.person_id').replace('company_id', 'd.company_id')}) "
        "AND s.kind = 'open' AND d.archived_at IS NULL ORDER BY d.updated_at DESC"
    ):
        for key in (("person", d[0]), ("company", d[1])):
            if key in rows:
                found = deals.setdefault(key, [])
                if len(found) < 20:  # as open_deals(): the 20 latest of each card
                    found.append(DealBrief(*d[2:]))
    activity_ids = {a for row in rows.values() for a in row[10:12] if a}
    acts: dict[int, ActivityBrief] = {}
    if activity_ids:
        when = Activity.due_at.python_value  # SQLite gives text
        for a in db.execute_sql(
            "SELECT a.id, a.kind, a.subject, a.due_at, a.done_at, a.outcome, a.result, u.name "
            f'FROM activity a LEFT JOIN "user" u ON a.assignee_id = u.id WHERE a.id IN ({_ints(activity_ids)})'
        ):
            acts[a[0]] = ActivityBrief(a[0], a[1], a[2], when(a[3]), when(a[4]), a[5], a[6], a[7])
    out = []
    for kind, rid in refs:
        key = ("person" if kind == "person" else "company", rid)
        r = rows[key]
        out.append(CardSummary(
            kind=key[0], id=r[0], name=r[1], company=r[2], company_id=r[3], position=r[4], owner=r[5], owner_id=r[6],
            phones=phones.get(key, []), emails=emails.get(key, []), tags=tags.get(key, []),
            last_activity=acts.get(r[10]), next_activity=acts.get(r[11]), open_deals=deals.get(key, []),
            archived=r[7] is not None, row_version=r[8],
        ))
    return out


# --- the full card (the Card screen) lives in services.card_detail: its dataclasses cost a
# read path that prints summaries only (`tuicrm lookup`) ~3 ms to create; same names here.
_DETAIL = ("FieldValue", "PersonBrief", "CardDetail", "PEOPLE_LIMIT", "custom_values", "people_of", "card_detail")


def __getattr__(name: str):
    if name in _DETAIL:
        from tuicrm.services import card_detail

        return getattr(card_detail, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
