"""The funnel board: columns per stage with SQL aggregates, a page of cards per column, the
weighted forecast, stale deals, and a deal's full card. Pure Python, no Textual.

Scale: 50k deals. Every number comes from SQL aggregation (GROUP BY); cards come a page per column
(LIMIT), so opening the board costs a fixed handful of indexed queries whatever the base holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee

from tuicrm.db.connection import is_postgres
from tuicrm.model import Activity, Company, Deal, DealTag, Note, Person, Pipeline, Stage, StageChange, Tag, User, utcnow
from tuicrm.model.enums import StageKind, Visibility
from tuicrm.services.base import Actor, NotFound
from tuicrm.services.deals import default_pipeline, stages

PAGE = 12  # cards fetched per column at first; "+N more" adds another page


# --- filters and visibility ------------------------------------------------------------------------

@dataclass(frozen=True)
class BoardFilter:
    """Which deals the board shows. ``scope``: 'all' (what the actor may see), 'mine', or 'user'
    with ``owner_id``. ``tag_id``: deals with that tag. ``close_from``/``close_to``: expected close
    date within the period (inclusive)."""

    scope: str = "all"
    owner_id: int | None = None
    tag_id: int | None = None
    close_from: dt.date | None = None
    close_to: dt.date | None = None


def deal_visible(actor: Actor) -> peewee.Expression:
    """Deals the actor may see: heads/admins all; a manager his own deals and those whose client
    (the person, else the company) he may see — shared, or private and his.

    Written against the few private cards of others (indexed on visibility), so the hot board
    queries need no join."""
    if actor.sees_all:
        return peewee.SQL("1 = 1")
    hidden_persons = Person.select(Person.id).where(
        (Person.visibility == Visibility.PRIVATE) & (Person.owner.is_null() | (Person.owner != actor.user_id)))
    hidden_companies = Company.select(Company.id).where(
        (Company.visibility == Visibility.PRIVATE) & (Company.owner.is_null() | (Company.owner != actor.user_id)))
    return (
        (Deal.owner == actor.user_id)
        | (Deal.person.is_null() & Deal.company.is_null())
        | (Deal.person.is_null(False) & Deal.person.not_in(hidden_persons))
        | (Deal.person.is_null() & Deal.company.not_in(hidden_companies))
    )


def _where(actor: Actor, pipeline_id: int | None, flt: BoardFilter) -> peewee.Expression:
    """``pipeline_id=None`` when the query names a stage already (the stage implies the pipeline)."""
    cond = Deal.archived_at.is_null() & deal_visible(actor)
    if pipeline_id is not None:
        cond &= Deal.pipeline == pipeline_id
    if flt.scope == "mine":
        cond &= Deal.owner == actor.user_id
    elif flt.scope == "user" and flt.owner_id is not None:
        cond &= Deal.owner == flt.owner_id
    if flt.tag_id is not None:
        cond &= Deal.id.in_(DealTag.select(DealTag.deal).where(DealTag.tag == flt.tag_id))
    if flt.close_from is not None:
        cond &= Deal.expected_close >= flt.close_from
    if flt.close_to is not None:
        cond &= Deal.expected_close <= flt.close_to
    return cond


# --- the board ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CardInfo:
    id: int
    title: str
    client: str
    person_id: int | None
    company_id: int | None
    amount_minor: int
    currency: str
    owner_id: int | None
    owner: str
    stage_id: int
    days_in_stage: int
    stale: bool
    next_at: dt.datetime | None
    next_subject: str
    probability: int  # effective: the deal's own or the stage's
    probability_own: int | None
    expected_close: dt.date | None
    row_version: int


@dataclass(frozen=True)
class Column:
    stage_id: int
    name: str
    kind: str
    probability: int
    stale_days: int | None
    count: int
    amount_minor: int
    stale_count: int
    cards: tuple[CardInfo, ...]
    collapsed: bool = False

    @property
    def more(self) -> int:
        return 0 if self.collapsed else max(0, self.count - len(self.cards))


@dataclass(frozen=True)
class Forecast:
    total_minor: int
    by_owner: tuple[tuple[int | None, str, int], ...]  # (owner id, name, weighted minor)
    by_month: tuple[tuple[str, int], ...]  # ("2026-12" or "" for no date, weighted minor)


@dataclass(frozen=True)
class Board:
    pipeline_id: int
    pipeline_name: str
    filter: BoardFilter
    columns: tuple[Column, ...]
    forecast: Forecast
    currency: str = "RUB"


def _cards(query: peewee.ModelSelect, stage_by_id: dict[int, Stage], now: dt.datetime) -> list[CardInfo]:
    Owner = User.alias()
    rows = list(
        query.select(
            Deal.id, Deal.title, Deal.person, Deal.company, Deal.amount_minor, Deal.currency, Deal.owner,
            Deal.stage, Deal.stage_entered_at, Deal.probability, Deal.expected_close, Deal.row_version,
            Person.full_name.alias("person_name"), Company.name.alias("company_name"), Owner.name.alias("owner_name"),
        )
        .join_from(Deal, Person, peewee.JOIN.LEFT_OUTER, on=(Deal.person == Person.id))
        .join_from(Deal, Company, peewee.JOIN.LEFT_OUTER, on=(Deal.company == Company.id))
        .join_from(Deal, Owner, peewee.JOIN.LEFT_OUTER, on=(Deal.owner == Owner.id))
        .dicts()
    )
    ids = [r["id"] for r in rows]
    nxt: dict[int, tuple[dt.datetime, str]] = {}
    if ids:
        q = (Activity.select(Activity.deal, Activity.due_at, Activity.subject)
             .where(Activity.deal.in_(ids) & Activity.done_at.is_null() & Activity.archived_at.is_null()
                    & Activity.due_at.is_null(False))
             .order_by(Activity.due_at).tuples())
        for deal_id, due, subject in q:
            nxt.setdefault(deal_id, (due, subject or ""))
    out = []
    for r in rows:
        stage = stage_by_id[r["stage"]]
        days = max(0, (now - r["stage_entered_at"]).days) if r["stage_entered_at"] else 0
        client = " · ".join(x for x in (r["company_name"], r["person_name"]) if x)
        due, subject = nxt.get(r["id"], (None, ""))
        out.append(CardInfo(
            id=r["id"], title=r["title"], client=client, person_id=r["person"], company_id=r["company"],
            amount_minor=r["amount_minor"], currency=r["currency"], owner_id=r["owner"], owner=r["owner_name"] or "",
            stage_id=r["stage"], days_in_stage=days,
            stale=bool(stage.kind == StageKind.OPEN and stage.stale_days and r["stage_entered_at"]
                       and r["stage_entered_at"] < now - dt.timedelta(days=stage.stale_days)),
            next_at=due, next_subject=subject,
            probability=r["probability"] if r["probability"] is not None else stage.probability,
            probability_own=r["probability"], expected_close=r["expected_close"], row_version=r["row_version"],
        ))
    return out


def _order(stage: Stage) -> list:
    """Open columns: the most recently touched deal first (a moved deal lands on top); closed
    columns: the most recently closed first."""
    if stage.kind == StageKind.OPEN:
        return [Deal.updated_at.desc(), Deal.id.desc()]
    return [Deal.closed_at.desc(), Deal.id.desc()]


def column_cards(actor: Actor, stage_id: int, flt: BoardFilter | None = None, *, offset: int = 0,
                 limit: int = PAGE, now: dt.datetime | None = None) -> list[CardInfo]:
    """One page of a column's cards (the "+N more" row loads the next one)."""
    stage = Stage.get_or_none(Stage.id == stage_id)
    if stage is None:
        raise NotFound(f"stage #{stage_id} not found")
    flt = flt or BoardFilter()
    now = now or utcnow()
    q = Deal.select().where(_where(actor, None, flt) & (Deal.stage == stage_id)).order_by(*_order(stage))
    return _cards(q.offset(offset).limit(limit), {stage.id: stage}, now)


def _totals(where: peewee.Expression, stage_rows: list[Stage], now: dt.datetime,
            only: set[int] | None = None) -> dict[int, tuple[int, int, int]]:
    """{stage id: (count, Σ amount, stale count)} — a GROUP BY over the covering index, and the
    stale counts over the open stages only (their cut-offs differ per stage)."""
    cond = where
    if only is not None:
        cond &= Deal.stage.in_(sorted(only))
    agg = Deal.select(Deal.stage, peewee.fn.COUNT(Deal.id), peewee.fn.SUM(Deal.amount_minor)).where(cond).group_by(Deal.stage)
    out = {sid: [n, int(total or 0), 0] for sid, n, total in agg.tuples()}
    staling = [s for s in stage_rows if s.kind == StageKind.OPEN and s.stale_days and s.id in out]
    if staling:
        cutoff = peewee.Case(Deal.stage, [(s.id, now - dt.timedelta(days=s.stale_days)) for s in staling])
        stale = (Deal.select(Deal.stage, peewee.fn.COUNT(Deal.id))
                 .where(where & Deal.stage.in_([s.id for s in staling]) & (Deal.stage_entered_at < cutoff))
                 .group_by(Deal.stage))
        for sid, n in stale.tuples():
            out[sid][2] = n
    return {k: tuple(v) for k, v in out.items()}  # type: ignore[misc]


def board(actor: Actor, pipeline_id: int | None = None, flt: BoardFilter | None = None, *,
          limits: dict[int, int] | None = None, collapsed: frozenset[str] | set[str] = frozenset({StageKind.WON, StageKind.LOST}),
          page: int = PAGE, now: dt.datetime | None = None, reuse: Board | None = None,
          changed: set[int] | None = None, with_forecast: bool = True) -> Board:
    """The board: per stage count, Σ amount and stale count (SQL GROUP BY), a page of cards per
    expanded column (``limits`` overrides the page size per stage id), and the forecast.
    ``collapsed`` names stage kinds whose columns show only their totals.

    After a move, pass the board on screen as ``reuse`` and the two stage ids as ``changed``:
    only those columns are queried again; the rest is taken from ``reuse``. ``with_forecast=False``
    leaves the forecast of ``reuse`` (or an empty one) for the caller to fetch next (the UI shows
    the moved card first and the forecast line a moment later)."""
    flt = flt or BoardFilter()
    now = now or utcnow()
    pipeline = Pipeline.get_or_none(Pipeline.id == pipeline_id) if pipeline_id else default_pipeline()
    if pipeline is None:
        raise NotFound(f"pipeline #{pipeline_id} not found")
    stage_rows = stages(pipeline.id)
    by_id = {s.id: s for s in stage_rows}
    where = _where(actor, pipeline.id, flt)
    stage_where = _where(actor, None, flt)
    limits = limits or {}
    previous: dict[int, Column] = {}
    if (reuse is not None and changed is not None and reuse.pipeline_id == pipeline.id and reuse.filter == flt
            and [c.stage_id for c in reuse.columns] == [s.id for s in stage_rows]):
        previous = {c.stage_id: c for c in reuse.columns if c.stage_id not in changed and c.collapsed == (by_id[c.stage_id].kind in collapsed)}
    totals = _totals(stage_where if previous else where, stage_rows, now,
                     only={s.id for s in stage_rows if s.id not in previous} if previous else None)
    columns = []
    for s in stage_rows:
        if s.id in previous:
            columns.append(previous[s.id])
            continue
        n, total, stale = totals.get(s.id, (0, 0, 0))
        is_collapsed = s.kind in collapsed
        cards: list[CardInfo] = []
        if n and not is_collapsed:
            q = Deal.select().where(stage_where & (Deal.stage == s.id)).order_by(*_order(s)).limit(limits.get(s.id, page))
            cards = _cards(q, by_id, now)
        columns.append(Column(s.id, s.name, s.kind, s.probability, s.stale_days, n, total, stale, tuple(cards), is_collapsed))
    if with_forecast:
        fc = _forecast(actor, pipeline.id, stage_rows, flt)
    else:
        fc = reuse.forecast if reuse is not None else Forecast(0, (), ())
    return Board(pipeline.id, pipeline.name, flt, tuple(columns), fc)


# --- forecast ----------------------------------------------------------------------------------------

def _month(expr: peewee.Node) -> peewee.Node:
    """'YYYY-MM' of a date column (SQLite stores dates as ISO text: a cheap substring)."""
    if is_postgres():
        return peewee.fn.to_char(expr, "YYYY-MM")
    return peewee.fn.substr(expr, 1, 7)


def forecast(actor: Actor, pipeline_id: int | None = None, flt: BoardFilter | None = None) -> Forecast:
    """Σ amount × probability of the open deals in view (probability = the deal's own, else its
    stage's), by owner and by month of expected close. Aggregated in SQL (one GROUP BY owner,
    month over the covering index); exact in minor units (rounded half up once per group)."""
    pipeline_id = pipeline_id or default_pipeline().id
    return _forecast(actor, pipeline_id, stages(pipeline_id), flt or BoardFilter())


def _forecast(actor: Actor, pipeline_id: int, stage_rows: list[Stage], flt: BoardFilter) -> Forecast:
    open_stages = [s for s in stage_rows if s.kind == StageKind.OPEN]
    if not open_stages:
        return Forecast(0, (), ())
    stage_prob = peewee.Case(Deal.stage, [(s.id, s.probability) for s in open_stages], 0)
    weighted = peewee.fn.SUM(Deal.amount_minor * peewee.fn.COALESCE(Deal.probability, stage_prob))
    month = _month(Deal.expected_close)
    owner = peewee.fn.COALESCE(Deal.owner, 0)  # an expression: SQLite then reads the covering index
    q = (Deal.select(owner, month, weighted)
         .where(_where(actor, pipeline_id, flt) & Deal.stage.in_([s.id for s in open_stages]))
         .group_by(owner, month).tuples())
    per_owner: dict[int | None, int] = {}
    per_month: dict[str, int] = {}
    for owner_id, m, w in q:
        owner_id = owner_id or None
        per_owner[owner_id] = per_owner.get(owner_id, 0) + int(w or 0)
        per_month[m or ""] = per_month.get(m or "", 0) + int(w or 0)
    names = dict(User.select(User.id, User.name).where(User.id.in_([o for o in per_owner if o is not None])).tuples()) if per_owner else {}
    by_owner = sorted(((o, names.get(o, "") if o is not None else "", _pct(w)) for o, w in per_owner.items()),
                      key=lambda t: (-t[2], t[1]))
    by_month = sorted(((m, _pct(w)) for m, w in per_month.items()), key=lambda t: (t[0] == "", t[0]))
    return Forecast(sum(w for _, _, w in by_owner), tuple(by_owner), tuple(by_month))


def _pct(weighted_sum) -> int:
    """Σ(amount × percent) → minor units, rounded half up."""
    value = int(weighted_sum or 0)
    return (value + 50) // 100


# --- choices for the filter ------------------------------------------------------------------------

@dataclass(frozen=True)
class Option:
    id: int
    name: str


def owners(actor: Actor) -> list[Option]:
    """Who the filter can pick: every active user for heads/admins; a manager only himself."""
    q = User.select(User.id, User.name).where(User.is_active == True).order_by(User.name)  # noqa: E712
    if not actor.sees_all:
        q = q.where(User.id == actor.user_id)
    return [Option(u.id, u.name) for u in q]


def deal_tags(limit: int = 100) -> list[Option]:
    """Tags that are used on deals (for the filter)."""
    q = (Tag.select(Tag.id, Tag.name).where(Tag.id.in_(DealTag.select(DealTag.tag)))
         .order_by(Tag.name_key).limit(limit))
    return [Option(t.id, t.name) for t in q]


def period(kind: str, today: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """Expected-close periods for the filter: any / overdue / this_month / next_month / this_quarter."""
    first = today.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    if kind == "this_month":
        return first, nxt - dt.timedelta(days=1)
    if kind == "next_month":
        after = (nxt + dt.timedelta(days=32)).replace(day=1)
        return nxt, after - dt.timedelta(days=1)
    if kind == "this_quarter":
        q_first = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        end_month = q_first.month + 3
        q_end = dt.date(today.year + (end_month > 12), (end_month - 1) % 12 + 1, 1) - dt.timedelta(days=1)
        return q_first, q_end
    if kind == "overdue":
        return None, today - dt.timedelta(days=1)
    return None, None


# --- the deal card -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class HistoryRow:
    at: dt.datetime
    from_stage: str | None
    to_stage: str
    user: str
    note: str | None


@dataclass(frozen=True)
class ActivityRow:
    id: int
    kind: str
    subject: str
    due_at: dt.datetime | None
    done_at: dt.datetime | None
    outcome: str | None
    assignee: str


@dataclass(frozen=True)
class NoteRow:
    id: int
    at: dt.datetime
    author: str
    text: str


@dataclass(frozen=True)
class DealDetail:
    card: CardInfo
    pipeline_id: int
    stage: str
    stage_kind: str
    stage_probability: int
    person: str | None
    company: str | None
    created_at: dt.datetime
    closed_at: dt.datetime | None
    loss_reason: str | None
    competitor: str | None
    source: str | None
    tags: tuple[str, ...]
    history: tuple[HistoryRow, ...]
    activities: tuple[ActivityRow, ...]
    notes: tuple[NoteRow, ...]


def deal_detail(actor: Actor, deal_id: int, *, limit: int = 50, now: dt.datetime | None = None) -> DealDetail:
    from tuicrm.model import Competitor, LossReason

    now = now or utcnow()
    deal = Deal.select().where((Deal.id == deal_id) & deal_visible(actor)).first()
    if deal is None or deal.archived_at is not None:
        raise NotFound(f"deal #{deal_id} not found")
    stage = Stage.get_by_id(deal.stage_id)
    card = _cards(Deal.select().where(Deal.id == deal_id), {stage.id: stage}, now)[0]
    From, To, Who = Stage.alias(), Stage.alias(), User.alias()
    hist = (StageChange.select(StageChange.changed_at, From.name, To.name, Who.name, StageChange.note)
            .join_from(StageChange, From, peewee.JOIN.LEFT_OUTER, on=(StageChange.from_stage == From.id))
            .join_from(StageChange, To, on=(StageChange.to_stage == To.id))
            .join_from(StageChange, Who, peewee.JOIN.LEFT_OUTER, on=(StageChange.user == Who.id))
            .where(StageChange.deal == deal_id).order_by(StageChange.changed_at.desc(), StageChange.id.desc())
            .limit(limit).tuples())
    acts = (Activity.select(Activity.id, Activity.kind, Activity.subject, Activity.due_at, Activity.done_at,
                            Activity.outcome, User.name)
            .join(User, peewee.JOIN.LEFT_OUTER, on=(Activity.assignee == User.id))
            .where((Activity.deal == deal_id) & Activity.archived_at.is_null())
            .order_by(Activity.done_at.is_null(False), peewee.fn.COALESCE(Activity.done_at, Activity.due_at).desc())
            .limit(limit).tuples())
    notes = (Note.select(Note.id, Note.created_at, User.name, Note.text)
             .join(User, peewee.JOIN.LEFT_OUTER, on=(Note.author == User.id))
             .where((Note.deal == deal_id) & Note.archived_at.is_null())
             .order_by(Note.created_at.desc(), Note.id.desc()).limit(limit).tuples())
    tags = [t for (t,) in Tag.select(Tag.name).join(DealTag, on=(DealTag.tag == Tag.id))
            .where(DealTag.deal == deal_id).order_by(Tag.name_key).tuples()]
    person = Person.select(Person.full_name).where(Person.id == deal.person_id).scalar() if deal.person_id else None
    company = Company.select(Company.name).where(Company.id == deal.company_id).scalar() if deal.company_id else None
    reason = LossReason.select(LossReason.name).where(LossReason.id == deal.loss_reason_id).scalar() if deal.loss_reason_id else None
    competitor = Competitor.select(Competitor.name).where(Competitor.id == deal.competitor_id).scalar() if deal.competitor_id else None
    return DealDetail(
        card=card, pipeline_id=deal.pipeline_id, stage=stage.name, stage_kind=stage.kind,
        stage_probability=stage.probability, person=person, company=company, created_at=deal.created_at,
        closed_at=deal.closed_at, loss_reason=reason, competitor=competitor, source=deal.source, tags=tuple(tags),
        history=tuple(HistoryRow(at, f, t, u or "", n) for at, f, t, u, n in hist),
        activities=tuple(ActivityRow(*row[:6], row[6] or "") for row in acts),
        notes=tuple(NoteRow(i, at, a or "", text) for i, at, a, text in notes),
    )


__all__ = [
    "BoardFilter", "Board", "Column", "CardInfo", "Forecast", "board", "column_cards", "forecast",
    "deal_visible", "owners", "deal_tags", "period", "deal_detail", "DealDetail", "PAGE",
]
