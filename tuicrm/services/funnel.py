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
    """Deals the actor may see: heads/admins all; a manager his own and those of shared clients.

    Written as subqueries so no join is needed on the hot board queries."""
    if actor.sees_all:
        return peewee.SQL("1 = 1")
    shared_person = Person.select(Person.id).where(Person.visibility == Visibility.SHARED)
    shared_company = Company.select(Company.id).where(Company.visibility == Visibility.SHARED)
    return (
        (Deal.owner == actor.user_id)
        | (Deal.person.is_null() & Deal.company.is_null())
        | (Deal.person.is_null(False) & Deal.person.in_(shared_person))
        | (Deal.person.is_null() & Deal.company.in_(shared_company))
    )


def _where(actor: Actor, pipeline_id: int, flt: BoardFilter) -> peewee.Expression:
    cond = (Deal.pipeline == pipeline_id) & Deal.archived_at.is_null() & deal_visible(actor)
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


def _stale_case(stage_rows: list[Stage], now: dt.datetime) -> peewee.Node:
    """1 when the deal sat in its stage longer than the stage's stale_days (cut-offs computed here,
    so the SQL stays portable between SQLite and PostgreSQL)."""
    whens = []
    for s in stage_rows:
        if s.kind == StageKind.OPEN and s.stale_days:
            cutoff = now - dt.timedelta(days=s.stale_days)
            whens.append(((Deal.stage == s.id) & (Deal.stage_entered_at < cutoff), 1))
    if not whens:
        return peewee.Value(0)
    return peewee.Case(None, whens, 0)


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
    if stage.kind == StageKind.OPEN:
        return [Deal.position, Deal.updated_at.desc(), Deal.id.desc()]
    return [Deal.closed_at.desc(), Deal.id.desc()]


def column_cards(actor: Actor, stage_id: int, flt: BoardFilter | None = None, *, offset: int = 0,
                 limit: int = PAGE, now: dt.datetime | None = None) -> list[CardInfo]:
    """One page of a column's cards (the "+N more" row loads the next one)."""
    stage = Stage.get_or_none(Stage.id == stage_id)
    if stage is None:
        raise NotFound(f"stage #{stage_id} not found")
    flt = flt or BoardFilter()
    now = now or utcnow()
    q = Deal.select().where(_where(actor, stage.pipeline_id, flt) & (Deal.stage == stage_id)).order_by(*_order(stage))
    return _cards(q.offset(offset).limit(limit), {stage.id: stage}, now)


def board(actor: Actor, pipeline_id: int | None = None, flt: BoardFilter | None = None, *,
          limits: dict[int, int] | None = None, collapsed: frozenset[str] | set[str] = frozenset({StageKind.WON, StageKind.LOST}),
          page: int = PAGE, now: dt.datetime | None = None) -> Board:
    """The board: per stage count, Σ amount and stale count (one GROUP BY), a page of cards per
    expanded column (``limits`` overrides the page size per stage id), and the forecast.
    ``collapsed`` names stage kinds whose columns show only their totals."""
    flt = flt or BoardFilter()
    now = now or utcnow()
    pipeline = Pipeline.get_or_none(Pipeline.id == pipeline_id) if pipeline_id else default_pipeline()
    if pipeline is None:
        raise NotFound(f"pipeline #{pipeline_id} not found")
    stage_rows = stages(pipeline.id)
    by_id = {s.id: s for s in stage_rows}
    where = _where(actor, pipeline.id, flt)
    agg = (Deal.select(Deal.stage, peewee.fn.COUNT(Deal.id), peewee.fn.SUM(Deal.amount_minor),
                       peewee.fn.SUM(_stale_case(stage_rows, now)))
           .where(where).group_by(Deal.stage).tuples())
    totals = {sid: (n, int(total or 0), int(stale or 0)) for sid, n, total, stale in agg}
    limits = limits or {}
    columns = []
    for s in stage_rows:
        n, total, stale = totals.get(s.id, (0, 0, 0))
        is_collapsed = s.kind in collapsed
        cards: list[CardInfo] = []
        if n and not is_collapsed:
            q = Deal.select().where(where & (Deal.stage == s.id)).order_by(*_order(s)).limit(limits.get(s.id, page))
            cards = _cards(q, by_id, now)
        columns.append(Column(s.id, s.name, s.kind, s.probability, s.stale_days, n, total, stale, tuple(cards), is_collapsed))
    return Board(pipeline.id, pipeline.name, flt, tuple(columns), forecast(actor, pipeline.id, flt))


# --- forecast ----------------------------------------------------------------------------------------

def _month(expr: peewee.Node) -> peewee.Node:
    if is_postgres():
        return peewee.fn.to_char(expr, "YYYY-MM")
    return peewee.fn.strftime("%Y-%m", expr)


def forecast(actor: Actor, pipeline_id: int | None = None, flt: BoardFilter | None = None) -> Forecast:
    """Σ amount × probability of the open deals in view (probability = the deal's own, else its
    stage's), by owner and by month of expected close. Aggregated in SQL; exact in minor units
    (rounded half up once per group)."""
    flt = flt or BoardFilter()
    pipeline_id = pipeline_id or default_pipeline().id
    prob = peewee.fn.COALESCE(Deal.probability, Stage.probability)
    weighted = peewee.fn.SUM(Deal.amount_minor * prob)
    base = (Deal.select().join(Stage, on=(Deal.stage == Stage.id))
            .where(_where(actor, pipeline_id, flt) & (Stage.kind == StageKind.OPEN)))
    Owner = User.alias()
    by_owner = []
    q = (base.select(Deal.owner, Owner.name, weighted)
         .join_from(Deal, Owner, peewee.JOIN.LEFT_OUTER, on=(Deal.owner == Owner.id))
         .group_by(Deal.owner, Owner.name).tuples())
    for owner_id, name, w in q:
        by_owner.append((owner_id, name or "", _pct(w)))
    by_owner.sort(key=lambda t: (-t[2], t[1]))
    month = _month(Deal.expected_close)
    by_month = [(m or "", _pct(w)) for m, w in base.select(month, weighted).group_by(month).tuples()]
    by_month.sort(key=lambda t: (t[0] == "", t[0]))
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
