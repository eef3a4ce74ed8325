"""The contacts list: persons or companies, one page at a time (keyset pagination), filtered in SQL.

A page is at most ``limit`` rows after a cursor (the key of the last row of the previous page);
nothing ever reads a whole table. Sorts:

- ``name``: ``name_key, id`` ascending (index on ``name_key``);
- ``last``: ``last_contact_at DESC, id DESC`` — cards never contacted come last, by id;
- ``next``: ``next_activity_at, id`` ascending — cards without a next step come last, by id.

Sorts with a nullable column run in two index-ordered phases (values, then NULLs) instead of an
``ORDER BY x IS NULL`` that would sort the whole table.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import peewee

from tuicrm.model import Activity, Company, CompanyTag, Person, PersonTag, Phone, Tag, User
from tuicrm.services.base import Actor, search_key
from tuicrm.services.queries import int_in, visible

SORTS = ("name", "last", "next")
KINDS = ("person", "company")
PAGE = 100


@dataclass(frozen=True)
class ListFilter:
    owner: str = "all"  # "all" / "mine" / a user id as text
    tag: str | None = None  # tag name (case-insensitive)
    segment: str | None = None  # company segment (a person: its company's)
    no_next_step: bool = False
    include_archived: bool = False

    @property
    def active(self) -> bool:
        return self.owner != "all" or bool(self.tag) or bool(self.segment) or self.no_next_step


@dataclass(frozen=True)
class ListRow:
    kind: str
    id: int
    name: str
    company: str | None
    company_id: int | None
    position: str | None  # person: position; company: industry
    segment: str | None
    phone_raw: str | None
    phone_e164: str | None
    owner: str | None
    last_contact_at: dt.datetime | None
    next_activity_at: dt.datetime | None
    next_subject: str | None
    archived: bool
    key: tuple = field(default=(), compare=False)  # the keyset cursor of this row


@dataclass(frozen=True)
class Page:
    rows: list[ListRow]
    after: tuple | None  # the cursor this page started after (None: the first page)
    next_cursor: tuple | None  # pass as ``after`` for the next page; None: this was the last page


def _model(kind: str):
    if kind not in KINDS:
        raise ValueError(f"kind must be person or company, not {kind!r}")
    return Person if kind == "person" else Company


def _filtered(kind: str, actor: Actor, flt: ListFilter):
    model = _model(kind)
    q = model.select(model.id).where(visible(model, actor))
    if not flt.include_archived:
        q = q.where(model.archived_at.is_null())
    if flt.owner == "mine":
        q = q.where(model.owner == actor.user_id)
    elif flt.owner not in ("all", "", None):
        q = q.where(model.owner == int(flt.owner))
    if flt.no_next_step:
        q = q.where(model.next_activity_at.is_null())
    if flt.tag:
        tag_ids = Tag.select(Tag.id).where(Tag.name_key == search_key(flt.tag))
        if kind == "person":
            q = q.where(model.id.in_(PersonTag.select(PersonTag.person).where(PersonTag.tag.in_(tag_ids))))
        else:
            q = q.where(model.id.in_(CompanyTag.select(CompanyTag.company).where(CompanyTag.tag.in_(tag_ids))))
    if flt.segment:
        if kind == "company":
            q = q.where(Company.segment == flt.segment)
        else:
            # a probe per person on the company's primary key, in the list's own order: stops
            # after a page; "IN (companies of the segment)" made SQLite gather and sort them all
            C = Company.alias()
            q = q.where(peewee.fn.EXISTS(C.select(peewee.SQL("1")).where((C.id == Person.company) & (C.segment == flt.segment))))
    return model, q


def _ids_page(kind: str, actor: Actor, flt: ListFilter, sort: str, after: tuple | None, limit: int) -> list[tuple]:
    """(id, key) of the next ``limit`` rows after the cursor."""
    model, base = _filtered(kind, actor, flt)
    if sort == "name":
        q = base.select(model.id, model.name_key)
        if after:
            k, i = after
            q = q.where((model.name_key >= k) & ((model.name_key > k) | (model.id > i)))
        rows = q.order_by(model.name_key, model.id).limit(limit).tuples()
        return [(rid, (key, rid)) for rid, key in rows]
    col = model.last_contact_at if sort == "last" else model.next_activity_at
    desc = sort == "last"
    out: list[tuple] = []
    # phase 1: rows with a value; key = (0, value, id)
    if after is None or after[0] == 0:
        q = base.select(model.id, col).where(col.is_null(False))
        if after:
            _, v, i = after
            # a range on the index first, the tie-break on id second (an OR alone would scan)
            if desc:
                q = q.where((col <= v) & ((col < v) | (model.id < i)))
            else:
                q = q.where((col >= v) & ((col > v) | (model.id > i)))
        order = (col.desc(), model.id.desc()) if desc else (col, model.id)
        out = [(rid, (0, v, rid)) for rid, v in q.order_by(*order).limit(limit).tuples()]
        if len(out) >= limit:
            return out
        after = None
    # phase 2: rows without a value, by id; key = (1, None, id)
    q = base.select(model.id).where(col.is_null())
    if after:
        q = q.where(model.id > after[2])
    out += [(rid, (1, None, rid)) for (rid,) in q.order_by(model.id).limit(limit - len(out)).tuples()]
    return out


def page(
    actor: Actor,
    kind: str = "person",
    *,
    sort: str = "name",
    flt: ListFilter | None = None,
    after: tuple | None = None,
    limit: int = PAGE,
) -> Page:
    """One page of the list after the cursor ``after``."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {SORTS}")
    flt = flt or ListFilter()
    ids = _ids_page(kind, actor, flt, sort, tuple(after) if after else None, limit + 1)
    more = len(ids) > limit
    ids = ids[:limit]
    rows = _hydrate(kind, ids)
    return Page(rows=rows, after=tuple(after) if after else None, next_cursor=rows[-1].key if more and rows else None)


def _hydrate(kind: str, ids: list[tuple]) -> list[ListRow]:
    if not ids:
        return []
    id_list = [i for i, _ in ids]
    keys = dict(ids)
    phones: dict[int, tuple[str, str | None]] = {}
    col = Phone.person if kind == "person" else Phone.company
    for rid, raw, e164 in (
        Phone.select(col, Phone.raw, Phone.e164).where(int_in(col, id_list))
        .order_by(Phone.is_primary.desc(), Phone.position, Phone.id).tuples()
    ):
        phones.setdefault(rid, (raw, e164))
    found: dict[int, ListRow] = {}
    if kind == "person":
        q = (
            Person.select(Person.id, Person.full_name, Person.company, Company.name, Person.position, Company.segment,
                          User.name, Person.last_contact_at, Person.next_activity_at, Person.archived_at)
            .join(Company, peewee.JOIN.LEFT_OUTER, on=(Person.company == Company.id))
            .switch(Person).join(User, peewee.JOIN.LEFT_OUTER, on=(Person.owner == User.id))
            .where(int_in(Person.id, id_list)).tuples()
        )
        rows = list(q)
        subjects = _next_subjects(kind, {r[0]: r[8] for r in rows if r[8]})
        for rid, name, cid, cname, position, segment, owner, last, nxt, archived in rows:
            raw, e164 = phones.get(rid, (None, None))
            found[rid] = ListRow("person", rid, name, cname, cid, position, segment, raw, e164, owner, last, nxt,
                                 subjects.get(rid) if nxt else None, archived is not None, keys[rid])
    else:
        q = (
            Company.select(Company.id, Company.name, Company.industry, Company.segment, User.name,
                           Company.last_contact_at, Company.next_activity_at, Company.archived_at)
            .join(User, peewee.JOIN.LEFT_OUTER, on=(Company.owner == User.id))
            .where(int_in(Company.id, id_list)).tuples()
        )
        rows = list(q)
        subjects = _next_subjects(kind, {r[0]: r[6] for r in rows if r[6]})
        for rid, name, industry, segment, owner, last, nxt, archived in rows:
            raw, e164 = phones.get(rid, (None, None))
            found[rid] = ListRow("company", rid, name, None, None, industry, segment, raw, e164, owner, last, nxt,
                                 subjects.get(rid) if nxt else None, archived is not None, keys[rid])
    return [found[i] for i in id_list if i in found]


def _next_subjects(kind: str, next_at: dict[int, dt.datetime]) -> dict[int, str]:
    """The subject (or kind) of each card's next open activity, found by (card, due time) on the
    (person|company, due_at) index — never by scanning the open activities of the whole base."""
    if not next_at:
        return {}
    acol = Activity.person if kind == "person" else Activity.company
    out: dict[int, str] = {}
    q = (
        Activity.select(acol, Activity.due_at, Activity.subject, Activity.kind, Activity.done_at, Activity.archived_at)
        .where(int_in(acol, next_at) & Activity.due_at.in_(sorted(set(next_at.values()))))
        .order_by(Activity.id).tuples()
    )
    for rid, due, subject, kind_code, done, archived in q:
        if done is None and archived is None and next_at.get(rid) == due:
            out.setdefault(rid, subject or kind_code)
    return out


def count(actor: Actor, kind: str = "person", flt: ListFilter | None = None, cap: int = 10000) -> tuple[int, bool]:
    """How many rows the filter gives, counted up to ``cap`` (True when there are more)."""
    _model_, base = _filtered(kind, actor, flt or ListFilter())
    n = peewee.Select([base.limit(cap + 1).alias("sub")], [peewee.fn.COUNT(peewee.SQL("*"))]).bind(Person._meta.database).scalar()
    return min(n, cap), n > cap


def owners() -> list[tuple[int, str]]:
    """Users a list may be filtered by (active ones, by name)."""
    return [(u.id, u.name) for u in User.select(User.id, User.name).where(User.is_active == True).order_by(User.name)]  # noqa: E712


def segments(limit: int = 200) -> list[str]:
    q = Company.select(Company.segment).where(Company.segment.is_null(False)).distinct().order_by(Company.segment).limit(limit)
    return [s for (s,) in q.tuples()]


def tags(limit: int = 500) -> list[str]:
    return [n for (n,) in Tag.select(Tag.name).order_by(Tag.name_key).limit(limit).tuples()]
