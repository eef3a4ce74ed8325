"""The history timeline of a card: activities, notes, deals and stage changes, newest first, paged.

Each source is queried with its own index-backed ``WHERE time < cursor ... LIMIT n`` and the
results are merged; the cursor is ``(time, source rank, id)`` of the last entry shown, so a card
with thousands of entries opens with one small page and loads the next on demand.

A person's history: what is tied to the person (activities, notes, deals and their stage changes).
A company's history: what is tied to the company and to its people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee

from tuicrm.model import Activity, Deal, Note, Person, Stage, StageChange, User
from tuicrm.services.base import Actor

PAGE = 50
# source ranks (a tie on time is broken by rank, then by id, descending)
ACTIVITY, NOTE, DEAL, STAGE = 4, 3, 2, 1


@dataclass(frozen=True)
class Entry:
    source: str  # "activity" / "note" / "deal" / "stage"
    id: int  # id in its own table
    at: dt.datetime  # naive UTC
    kind: str  # activity kind (call_out, meeting…), or "note" / "deal" / "stage"
    subject: str
    outcome: str | None = None
    result: str | None = None
    done: bool = True
    who: str | None = None
    person: str | None = None  # whose (on a company's card)
    deal: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    from_stage: str | None = None
    to_stage: str | None = None

    @property
    def cursor(self) -> tuple:
        return (self.at, _RANK[self.source], self.id)


_RANK = {"activity": ACTIVITY, "note": NOTE, "deal": DEAL, "stage": STAGE}


@dataclass(frozen=True)
class HistoryPage:
    entries: list[Entry]
    next_cursor: tuple | None  # None: no older entries


def _before(col, id_col, rank: int, cursor: tuple | None):
    if cursor is None:
        return None
    at, crank, cid = cursor
    if rank < crank:
        return col <= at
    if rank > crank:
        return col < at
    return (col < at) | ((col == at) & (id_col < cid))


def _where(q, cond):
    return q if cond is None else q.where(cond)


def _owner_cond(model, kind: str, record_id: int):
    if kind == "person":
        return model.person == record_id
    people = Person.select(Person.id).where(Person.company == record_id)
    return (model.company == record_id) | model.person.in_(people)


def _activities(kind, record_id, cursor, limit) -> list[Entry]:
    at = peewee.fn.COALESCE(Activity.done_at, Activity.due_at, Activity.created_at)
    Who = User.alias()
    q = (
        Activity.select(Activity, at.alias("at"), Who.name.alias("who_name"), Person.full_name.alias("person_name"),
                        Deal.title.alias("deal_title"))
        .join(Who, peewee.JOIN.LEFT_OUTER, on=(peewee.fn.COALESCE(Activity.assignee, Activity.author) == Who.id))
        .switch(Activity).join(Person, peewee.JOIN.LEFT_OUTER, on=(Activity.person == Person.id))
        .switch(Activity).join(Deal, peewee.JOIN.LEFT_OUTER, on=(Activity.deal == Deal.id))
        .where(_owner_cond(Activity, kind, record_id) & Activity.archived_at.is_null())
    )
    q = _where(q, _before(at, Activity.id, ACTIVITY, cursor))
    out = []
    for a in q.order_by(at.desc(), Activity.id.desc()).limit(limit).objects():
        when = a.at if isinstance(a.at, dt.datetime) else Activity.done_at.python_value(a.at)
        out.append(Entry("activity", a.id, when, a.kind, a.subject, a.outcome, a.result, a.done_at is not None,
                         a.who_name, a.person_name, a.deal_title))
    return out


def _notes(kind, record_id, cursor, limit) -> list[Entry]:
    q = (
        Note.select(Note, User.name.alias("who_name"), Person.full_name.alias("person_name"), Deal.title.alias("deal_title"))
        .join(User, peewee.JOIN.LEFT_OUTER, on=(Note.author == User.id))
        .switch(Note).join(Person, peewee.JOIN.LEFT_OUTER, on=(Note.person == Person.id))
        .switch(Note).join(Deal, peewee.JOIN.LEFT_OUTER, on=(Note.deal == Deal.id))
        .where(_owner_cond(Note, kind, record_id) & Note.archived_at.is_null())
    )
    q = _where(q, _before(Note.created_at, Note.id, NOTE, cursor))
    return [
        Entry("note", n.id, n.created_at, "note", n.text, who=n.who_name, person=n.person_name, deal=n.deal_title)
        for n in q.order_by(Note.created_at.desc(), Note.id.desc()).limit(limit).objects()
    ]


def _deals(kind, record_id, cursor, limit) -> list[Entry]:
    q = (
        Deal.select(Deal, User.name.alias("who_name"), Person.full_name.alias("person_name"), Stage.name.alias("stage_name"))
        .join(User, peewee.JOIN.LEFT_OUTER, on=(Deal.owner == User.id))
        .switch(Deal).join(Person, peewee.JOIN.LEFT_OUTER, on=(Deal.person == Person.id))
        .switch(Deal).join(Stage, on=(Deal.stage == Stage.id))
        .where(_owner_cond(Deal, kind, record_id) & Deal.archived_at.is_null())
    )
    q = _where(q, _before(Deal.created_at, Deal.id, DEAL, cursor))
    return [
        Entry("deal", d.id, d.created_at, "deal", d.title, who=d.who_name, person=d.person_name, deal=d.title,
              amount_minor=d.amount_minor, currency=d.currency, to_stage=d.stage_name)
        for d in q.order_by(Deal.created_at.desc(), Deal.id.desc()).limit(limit).objects()
    ]


def _stage_changes(kind, record_id, cursor, limit) -> list[Entry]:
    From, To = Stage.alias(), Stage.alias()
    deals = Deal.select(Deal.id).where(_owner_cond(Deal, kind, record_id))
    q = (
        StageChange.select(StageChange, User.name.alias("who_name"), Deal.title.alias("deal_title"),
                           From.name.alias("from_name"), To.name.alias("to_name"))
        .join(Deal, on=(StageChange.deal == Deal.id))
        .switch(StageChange).join(User, peewee.JOIN.LEFT_OUTER, on=(StageChange.user == User.id))
        .switch(StageChange).join(From, peewee.JOIN.LEFT_OUTER, on=(StageChange.from_stage == From.id))
        .switch(StageChange).join(To, on=(StageChange.to_stage == To.id))
        .where(StageChange.deal.in_(deals) & StageChange.from_stage.is_null(False))  # the first stage is the deal's creation
    )
    q = _where(q, _before(StageChange.changed_at, StageChange.id, STAGE, cursor))
    return [
        Entry("stage", s.id, s.changed_at, "stage", s.note or "", who=s.who_name, deal=s.deal_title,
              from_stage=s.from_name, to_stage=s.to_name)
        for s in q.order_by(StageChange.changed_at.desc(), StageChange.id.desc()).limit(limit).objects()
    ]


def timeline(actor: Actor, kind: str, record_id: int, *, cursor: tuple | None = None, limit: int = PAGE) -> HistoryPage:
    """Entries older than ``cursor`` (None: the newest), at most ``limit``."""
    if kind not in ("person", "company"):
        raise ValueError("kind must be person or company")
    cursor = tuple(cursor) if cursor else None
    merged: list[Entry] = []
    for source in (_activities, _notes, _deals, _stage_changes):
        merged += source(kind, record_id, cursor, limit + 1)
    merged.sort(key=lambda e: e.cursor, reverse=True)
    more = len(merged) > limit
    merged = merged[:limit]
    return HistoryPage(merged, merged[-1].cursor if more and merged else None)
