"""The Plan pane's read side and scheduling rules (no Textual here).

- ``day_plan``: one local day of a user's activities — overdue open items first, then by time.
  Stored times are naive UTC; the day's bounds are converted from the user's zone to UTC, so
  every query is a range on the ``(assignee, due_at)`` index.
- Rescheduling: ``reschedule_options`` (+1 hour, later today, tomorrow same time, next working
  day), ``reschedule`` (optimistic locking; a time in the past is refused unless confirmed).
- Follow-ups: ``suggest_follow_up`` prefills the next step from a call's outcome.
- Plan tomorrow: ``candidates`` (follow-ups due, open deals with no next step, clients not
  contacted for N days, overdue items), ``next_free_slot``, ``schedule_candidate``.
- Working days are Monday–Friday; working hours come from the settings (``workday_start/end``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

import peewee

from tuicrm.db.connection import write_tx
from tuicrm.formatting import to_local, to_utc
from tuicrm.i18n import _
from tuicrm.model import Activity, Company, Deal, Person, Phone, Stage, User, utcnow
from tuicrm.model.enums import ActivityKind, Entity, Outcome, StageKind
from tuicrm.services.activities import complete_activity, create_activity, touch_clients
from tuicrm.services.base import Actor, Forbidden, NotFound, ValidationError, audit, versioned_update
from tuicrm.services.users import user_zone  # noqa: F401 - re-exported (it lives with the users)

CALL_KINDS = (ActivityKind.CALL_OUT, ActivityKind.CALL_IN)
DAY_LIMIT = 500  # rows of one day (a human day never has more; the query is capped anyway)
OVERDUE_LIMIT = 200
CANDIDATE_LIMIT = 60
SLOT_MINUTES = 15


# --- zones, days, working hours ----------------------------------------------------------------


def day_bounds(day: dt.date, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a local day as naive UTC (DST-safe: each midnight converted on its own)."""
    start = to_utc(dt.datetime.combine(day, dt.time(0)), tz)
    end = to_utc(dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0)), tz)
    return start, end


def local_today(tz: dt.tzinfo, now: dt.datetime | None = None) -> dt.date:
    return to_local(now or utcnow(), tz).date()


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5


def next_working_day(day: dt.date) -> dt.date:
    """The first Monday–Friday strictly after ``day``."""
    day += dt.timedelta(days=1)
    while not is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def working_day_on_or_after(day: dt.date) -> dt.date:
    return day if is_working_day(day) else next_working_day(day)


_HHMM = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


def parse_hhmm(text: str, default: dt.time) -> dt.time:
    m = _HHMM.match(text or "")
    if not m:
        return default
    h, mi = int(m.group(1)), int(m.group(2))
    if h > 23 or mi > 59:
        return default
    return dt.time(h, mi)


@dataclass(frozen=True)
class WorkHours:
    start: dt.time = dt.time(9, 0)
    end: dt.time = dt.time(18, 0)

    @classmethod
    def from_settings(cls, settings) -> "WorkHours":
        start = parse_hhmm(getattr(settings, "workday_start", ""), dt.time(9, 0))
        end = parse_hhmm(getattr(settings, "workday_end", ""), dt.time(18, 0))
        if end <= start:
            return cls()
        return cls(start, end)


def at_local(day: dt.date, t: dt.time, tz: dt.tzinfo) -> dt.datetime:
    """A local wall-clock time on ``day`` as naive UTC."""
    return to_utc(dt.datetime.combine(day, t), tz)


def check_can_view(actor: Actor, user_id: int) -> None:
    if user_id != actor.user_id and not actor.sees_all:
        raise Forbidden(_("only heads of sales and admins can see another user's plan"))


# --- the day view ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanRow:
    id: int
    kind: str
    subject: str
    due_at: dt.datetime | None
    done_at: dt.datetime | None
    outcome: str | None
    result: str | None
    duration_min: int | None
    person_id: int | None
    person_name: str | None
    company_id: int | None
    company_name: str | None
    deal_id: int | None
    deal_title: str | None
    phone_e164: str | None = None
    phone_raw: str | None = None
    phone_ext: str | None = None
    overdue: bool = False
    client_archived: bool = False
    row_version: int = 1
    assignee_id: int | None = None
    author_id: int | None = None

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def is_call(self) -> bool:
        return self.kind in CALL_KINDS

    @property
    def client(self) -> str:
        return " · ".join(x for x in (self.person_name, self.company_name) if x)


def _row_query():
    return (
        Activity.select(
            Activity.id, Activity.kind, Activity.subject, Activity.due_at, Activity.done_at, Activity.outcome,
            Activity.result, Activity.duration_min, Activity.person, Activity.company, Activity.deal,
            Activity.row_version, Activity.assignee, Activity.author,
            Person.full_name.alias("person_name"), Person.archived_at.alias("person_archived"),
            Company.name.alias("company_name"), Company.archived_at.alias("company_archived"),
            Deal.title.alias("deal_title"),
        )
        .join(Person, peewee.JOIN.LEFT_OUTER, on=(Activity.person == Person.id))
        .switch(Activity)
        .join(Company, peewee.JOIN.LEFT_OUTER, on=(Activity.company == Company.id))
        .switch(Activity)
        .join(Deal, peewee.JOIN.LEFT_OUTER, on=(Activity.deal == Deal.id))
    )


def _to_rows(query, overdue: bool) -> list[PlanRow]:
    out = []
    for r in query.dicts():
        out.append(PlanRow(
            id=r["id"], kind=r["kind"], subject=r["subject"] or "", due_at=r["due_at"], done_at=r["done_at"],
            outcome=r["outcome"], result=r["result"], duration_min=r["duration_min"], person_id=r["person"],
            person_name=r["person_name"], company_id=r["company"], company_name=r["company_name"],
            deal_id=r["deal"], deal_title=r["deal_title"], overdue=overdue,
            client_archived=bool(r["person_archived"] or r["company_archived"]),
            row_version=r["row_version"], assignee_id=r["assignee"], author_id=r["author"],
        ))
    return out


def _with_phones(rows: list[PlanRow]) -> list[PlanRow]:
    """The main phone of each row's client: the person's first phone, else the company's."""
    pids = {r.person_id for r in rows if r.person_id}
    cids = {r.company_id for r in rows if r.company_id}
    by_person: dict[int, Phone] = {}
    by_company: dict[int, Phone] = {}
    if pids:
        q = Phone.select().where(Phone.person.in_(list(pids))).order_by(Phone.is_primary.desc(), Phone.position, Phone.id)
        for p in q:
            by_person.setdefault(p.person_id, p)
    if cids:
        q = Phone.select().where(Phone.company.in_(list(cids))).order_by(Phone.is_primary.desc(), Phone.position, Phone.id)
        for p in q:
            by_company.setdefault(p.company_id, p)
    out = []
    for r in rows:
        p = by_person.get(r.person_id) or by_company.get(r.company_id)
        out.append(replace(r, phone_e164=p.e164, phone_raw=p.raw, phone_ext=p.extension) if p else r)
    return out


def overdue_items(user_id: int, before: dt.datetime, limit: int = OVERDUE_LIMIT, *, with_phones: bool = False) -> list[PlanRow]:
    """Open, not cancelled activities of the user due before ``before`` (oldest first)."""
    q = (
        _row_query()
        .where((Activity.assignee == user_id) & Activity.done_at.is_null() & (Activity.due_at < before)
               & Activity.archived_at.is_null())
        .order_by(Activity.due_at, Activity.id)
        .limit(limit)
    )
    rows = _to_rows(q, overdue=True)
    return _with_phones(rows) if with_phones else rows


def day_plan(
    actor: Actor, user_id: int, day: dt.date, tz: dt.tzinfo, *, now: dt.datetime | None = None,
    with_overdue: bool | None = None, limit: int = DAY_LIMIT,
) -> list[PlanRow]:
    """The user's day: overdue open items from earlier days first (on today's view), then the
    day's activities by time (done ones included)."""
    check_can_view(actor, user_id)
    now = now or utcnow()
    start, end = day_bounds(day, tz)
    today = local_today(tz, now)
    if with_overdue is None:
        with_overdue = day == today
    rows: list[PlanRow] = []
    if with_overdue:
        rows += overdue_items(user_id, start)
    # items from earlier days completed on this day stay visible (done, in the overdue block)
    late = (
        _row_query()
        .where((Activity.assignee == user_id) & (Activity.done_at >= start) & (Activity.done_at < end)
               & (Activity.due_at < start) & Activity.archived_at.is_null())
        .order_by(Activity.due_at, Activity.id)
        .limit(OVERDUE_LIMIT)
    )
    rows += _to_rows(late, overdue=True)
    rows.sort(key=lambda r: (r.due_at, r.id))
    q = (
        _row_query()
        .where((Activity.assignee == user_id) & (Activity.due_at >= start) & (Activity.due_at < end)
               & Activity.archived_at.is_null())
        .order_by(Activity.due_at, Activity.id)
        .limit(limit)
    )
    day_rows = _to_rows(q, overdue=False)
    # Open items of the day whose time has passed are overdue too (marked, kept in time order).
    day_rows = [replace(r, overdue=True) if (r.done_at is None and r.due_at < now) else r for r in day_rows]
    return _with_phones(rows + day_rows)


def get_row(actor: Actor, activity_id: int) -> PlanRow:
    q = _row_query().where(Activity.id == activity_id)
    rows = _to_rows(q, overdue=False)
    if not rows:
        raise NotFound(_("activity #{id} not found").format(id=activity_id))
    return _with_phones(rows)[0]


@dataclass(frozen=True)
class DayCounts:
    total: int
    done: int
    open: int
    overdue: int
    calls: int


def counts(rows: list[PlanRow]) -> DayCounts:
    return DayCounts(
        total=len(rows), done=sum(r.is_done for r in rows), open=sum(not r.is_done for r in rows),
        overdue=sum(r.overdue and not r.is_done for r in rows), calls=sum(r.is_call for r in rows),
    )


# --- rescheduling ------------------------------------------------------------------------------

RESCHEDULE_KEYS = ("hour", "later", "tomorrow", "workday")


def _round_up(value: dt.datetime, minutes: int = SLOT_MINUTES) -> dt.datetime:
    value = value.replace(second=0, microsecond=0)
    extra = (-value.minute) % minutes
    return value + dt.timedelta(minutes=extra)


def reschedule_options(
    due_at: dt.datetime | None, now: dt.datetime, tz: dt.tzinfo, hours: WorkHours = WorkHours(),
) -> dict[str, dt.datetime | None]:
    """New due times (naive UTC) for the quick choices; None where a choice makes no sense
    (e.g. "later today" after working hours)."""
    base = max(due_at, now) if due_at else now
    local_now = to_local(now, tz)
    today = local_now.date()
    t_local = to_local(due_at, tz).time() if due_at else local_now.time().replace(second=0, microsecond=0)
    out: dict[str, dt.datetime | None] = {}
    out["hour"] = base + dt.timedelta(hours=1)
    later = _round_up(now + dt.timedelta(hours=3))
    end_today = at_local(today, hours.end, tz)
    if later < end_today:
        out["later"] = later
    elif now + dt.timedelta(minutes=30) < end_today:
        out["later"] = end_today - dt.timedelta(minutes=30)
    else:
        out["later"] = None
    out["tomorrow"] = at_local(today + dt.timedelta(days=1), t_local, tz)
    out["workday"] = at_local(next_working_day(today), t_local, tz)
    return out


def reschedule(
    actor: Actor, activity_id: int, expected_version: int | None, new_due: dt.datetime, *,
    now: dt.datetime | None = None, allow_past: bool = False,
) -> int:
    """Move an open activity to ``new_due`` (naive UTC). A time in the past is refused unless
    ``allow_past`` (the UI asks first). Returns the new row version."""
    now = now or utcnow()
    a = Activity.get_or_none(Activity.id == activity_id)
    if a is None:
        raise NotFound(_("activity #{id} not found").format(id=activity_id))
    if a.done_at is not None:
        raise ValidationError(_("this activity is already done; plan a new one instead"), "due_at")
    if new_due < now - dt.timedelta(minutes=1) and not allow_past:
        raise ValidationError(_("that time is in the past"), "due_at")
    with write_tx():
        version = versioned_update(Activity, activity_id, expected_version, {"due_at": new_due})
        touch_clients(a.person_id, a.company_id)
        audit(actor, Entity.ACTIVITY, activity_id, "reschedule", {"due_at": [a.due_at, new_due]})
    return version


# --- typed dates and times ---------------------------------------------------------------------

def parse_when(text: str, now: dt.datetime, tz: dt.tzinfo, default_time: dt.time = dt.time(10, 0)) -> dt.datetime:
    """A typed date/time (services.when: ``tomorrow 15:30``, ``28.11 10:00``, ``+2h`` …) read in
    the user's zone → naive UTC. Raises ValidationError with the reason."""
    from tuicrm.services import when

    local_now = to_local(now, tz).replace(tzinfo=None)
    try:
        value = when.parse_when(text, local_now, default_time=default_time)
    except when.WhenError as exc:
        raise ValidationError(str(exc), "when") from None
    if value is None:
        raise ValidationError(_("type a date and/or time, e.g. tomorrow 15:30 or 28.11 10:00"), "when")
    return to_utc(value, tz)


# --- completing with a next step ---------------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    kind: str
    due_at: dt.datetime  # naive UTC
    subject: str


def suggest_follow_up(
    outcome: str, kind: str, due_at: dt.datetime | None, now: dt.datetime, tz: dt.tzinfo,
    hours: WorkHours = WorkHours(),
) -> tuple[str, dt.datetime] | None:
    """The sensible next step after an outcome → (kind, due naive UTC), or None (refused).

    - no answer / busy: call again in 2 hours if that is still within working hours today,
      else at the start of the next working day;
    - call back: tomorrow at the same time (skipping the weekend);
    - reached / other: a call in 3 working days at the same time (within working hours);
    - refused: no next step.
    """
    local_now = to_local(now, tz)
    today = local_now.date()
    call = ActivityKind.CALL_OUT if kind in CALL_KINDS else kind
    if outcome == Outcome.REFUSED:
        return None
    if outcome in (Outcome.NO_ANSWER, Outcome.BUSY):
        later = _round_up(now + dt.timedelta(hours=2))
        if is_working_day(today) and later <= at_local(today, hours.end, tz) - dt.timedelta(minutes=15):
            return call, max(later, at_local(today, hours.start, tz))
        return call, at_local(next_working_day(today), hours.start, tz)
    if outcome == Outcome.CALL_BACK:
        t = to_local(due_at, tz).time() if due_at else _round_up(local_now.replace(tzinfo=None)).time()
        if t < hours.start or t >= hours.end:
            t = hours.start
        return call, at_local(working_day_on_or_after(today + dt.timedelta(days=1)), t, tz)
    day = today
    for _step in range(3):
        day = next_working_day(day)
    t = to_local(due_at, tz).time() if due_at else hours.start
    if t < hours.start or t >= hours.end:
        t = hours.start
    return call, at_local(day, t, tz)


def complete_with_follow_up(
    actor: Actor, activity_id: int, expected_version: int | None, *, outcome: str | None, result: str = "",
    follow_up: FollowUp | None = None, done_at: dt.datetime | None = None,
) -> tuple[int, int | None]:
    """Complete the activity and plan the next step in one transaction.

    Returns (new row version, follow-up id or None). An activity changed meanwhile raises
    Conflict and nothing is written."""
    a = Activity.get_or_none(Activity.id == activity_id)
    if a is None:
        raise NotFound(_("activity #{id} not found").format(id=activity_id))
    if a.done_at is not None and (expected_version is None or a.row_version == expected_version):
        raise ValidationError(_("this activity is already done"), "done_at")
    with write_tx():
        version = complete_activity(actor, activity_id, expected_version, outcome=outcome, result=result, done_at=done_at)
        fid = None
        if follow_up is not None:
            fid = create_activity(
                actor, follow_up.kind, follow_up.subject, due_at=follow_up.due_at, person_id=a.person_id,
                company_id=a.company_id, deal_id=a.deal_id, assignee_id=a.assignee_id, follow_up_of=a.id,
            )
    return version, fid


# --- plan tomorrow -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    reason: str  # planned / overdue / deal / stale
    key: str  # stable id for the UI: "a:12", "d:5", "p:7", "c:3"
    name: str  # the client
    detail: str  # subject / deal title
    person_id: int | None = None
    company_id: int | None = None
    deal_id: int | None = None
    activity_id: int | None = None
    activity_version: int | None = None
    activity_kind: str | None = None
    due_at: dt.datetime | None = None
    last_contact_at: dt.datetime | None = None
    amount_minor: int | None = None
    currency: str | None = None
    archived: bool = False


@dataclass(frozen=True)
class TomorrowPlan:
    day: dt.date
    candidates: list[Candidate]
    planned_calls: int
    planned_total: int
    target: int


def daily_target(user_id: int, settings) -> int:
    own = User.select(User.daily_call_target).where(User.id == user_id).scalar()
    return int(own if own is not None else getattr(settings, "daily_call_target", 30))


def planned_counts(user_id: int, day: dt.date, tz: dt.tzinfo) -> tuple[int, int]:
    """(calls, all activities) planned for the user's local day (not cancelled)."""
    start, end = day_bounds(day, tz)
    base = Activity.select(Activity.kind, peewee.fn.COUNT(Activity.id).alias("n")).where(
        (Activity.assignee == user_id) & (Activity.due_at >= start) & (Activity.due_at < end) & Activity.archived_at.is_null()
    ).group_by(Activity.kind)
    calls = total = 0
    for row in base.dicts():
        total += row["n"]
        if row["kind"] in CALL_KINDS:
            calls += row["n"]
    return calls, total


def _name(person_name, company_name) -> str:
    return " · ".join(x for x in (person_name, company_name) if x) or "—"


def _nothing_next(model) -> peewee.Expression:
    """``next_activity_at IS NULL`` written so that no index is used for it: most clients have no
    next step, so that index would scan most of the table; the ``last_contact_at`` index walks the
    oldest contacts first and stops at the LIMIT (measured: 114 ms → 2.5 ms on 200k persons)."""
    return peewee.fn.COALESCE(model.next_activity_at, None).is_null()


def candidates(
    actor: Actor, user_id: int, day: dt.date, tz: dt.tzinfo, settings, *, now: dt.datetime | None = None,
    limit: int = CANDIDATE_LIMIT,
) -> TomorrowPlan:
    """Who to call on ``day``: what is already planned there, overdue items, the user's open deals
    with no open activity, and the user's clients not contacted for ``stale_contact_days`` with
    nothing planned. Every query is bounded by an index and a LIMIT."""
    check_can_view(actor, user_id)
    now = now or utcnow()
    start, end = day_bounds(day, tz)
    out: list[Candidate] = []

    planned = (
        _row_query()
        .where((Activity.assignee == user_id) & (Activity.due_at >= start) & (Activity.due_at < end)
               & Activity.done_at.is_null() & Activity.archived_at.is_null())
        .order_by(Activity.due_at, Activity.id).limit(limit)
    )
    for r in _to_rows(planned, overdue=False):
        out.append(Candidate("planned", f"a:{r.id}", _name(r.person_name, r.company_name), r.subject or r.deal_title or "",
                             r.person_id, r.company_id, r.deal_id, r.id, r.row_version, r.kind, r.due_at,
                             archived=r.client_archived))

    today_start = day_bounds(local_today(tz, now), tz)[0]
    for r in overdue_items(user_id, min(today_start, start), limit):
        out.append(Candidate("overdue", f"a:{r.id}", _name(r.person_name, r.company_name), r.subject or r.deal_title or "",
                             r.person_id, r.company_id, r.deal_id, r.id, r.row_version, r.kind, r.due_at,
                             archived=r.client_archived))

    open_next = Activity.select(Activity.id).where(
        (Activity.deal == Deal.id) & Activity.done_at.is_null() & Activity.archived_at.is_null()
    )
    deals = (
        Deal.select(Deal.id, Deal.title, Deal.person, Deal.company, Deal.amount_minor, Deal.currency,
                    Person.full_name.alias("person_name"), Company.name.alias("company_name"))
        .join(Stage, on=(Deal.stage == Stage.id))
        .switch(Deal).join(Person, peewee.JOIN.LEFT_OUTER, on=(Deal.person == Person.id))
        .switch(Deal).join(Company, peewee.JOIN.LEFT_OUTER, on=(Deal.company == Company.id))
        .where((Deal.owner == user_id) & (Stage.kind == StageKind.OPEN) & Deal.archived_at.is_null()
               & ~peewee.fn.EXISTS(open_next))
        .order_by(Deal.updated_at.desc(), Deal.id.desc())
        .limit(limit)
    )
    for d in deals.dicts():
        out.append(Candidate("deal", f"d:{d['id']}", _name(d["person_name"], d["company_name"]), d["title"],
                             d["person"], d["company"], d["id"], amount_minor=d["amount_minor"], currency=d["currency"]))

    days = int(getattr(settings, "stale_contact_days", 30) or 30)
    cutoff = now - dt.timedelta(days=days)
    persons = (
        Person.select(Person.id, Person.full_name, Person.company, Person.last_contact_at, Company.name.alias("company_name"))
        .join(Company, peewee.JOIN.LEFT_OUTER, on=(Person.company == Company.id))
        .where((Person.owner == user_id) & (Person.last_contact_at < cutoff) & _nothing_next(Person)
               & Person.archived_at.is_null() & Person.merged_into.is_null())
        .order_by(Person.last_contact_at, Person.id)
        .limit(limit)
    )
    for p in persons.dicts():
        out.append(Candidate("stale", f"p:{p['id']}", _name(p["full_name"], p["company_name"]), "",
                             p["id"], p["company"], last_contact_at=p["last_contact_at"]))
    companies = (
        Company.select(Company.id, Company.name, Company.last_contact_at)
        .where((Company.owner == user_id) & (Company.last_contact_at < cutoff) & _nothing_next(Company)
               & Company.archived_at.is_null() & Company.merged_into.is_null())
        .order_by(Company.last_contact_at, Company.id)
        .limit(limit)
    )
    seen_companies = {c.company_id for c in out if c.reason == "stale"}
    for c in companies.dicts():
        if c["id"] in seen_companies:
            continue  # one of its people is already listed
        out.append(Candidate("stale", f"c:{c['id']}", c["name"], "", None, c["id"], last_contact_at=c["last_contact_at"]))

    calls, total = planned_counts(user_id, day, tz)
    return TomorrowPlan(day, out, calls, total, daily_target(user_id, settings))


def next_free_slot(
    user_id: int, day: dt.date, tz: dt.tzinfo, hours: WorkHours = WorkHours(), *, now: dt.datetime | None = None,
    taken: set[dt.datetime] | None = None, step: int = SLOT_MINUTES,
) -> dt.datetime:
    """The first ``step``-minute slot in working hours on ``day`` with no open activity of the
    user starting in it (naive UTC); after ``now`` when the day is today. A full day gives the
    last slot."""
    now = now or utcnow()
    start, end = day_bounds(day, tz)
    busy = {
        _slot(to_local(v, tz), step)
        for (v,) in Activity.select(Activity.due_at).where(
            (Activity.assignee == user_id) & (Activity.due_at >= start) & (Activity.due_at < end)
            & Activity.archived_at.is_null() & Activity.done_at.is_null()
        ).tuples()
    }
    busy |= {_slot(to_local(v, tz), step) for v in (taken or ())}
    slot = dt.datetime.combine(day, hours.start)
    last = dt.datetime.combine(day, hours.end) - dt.timedelta(minutes=step)
    local_now = to_local(now, tz).replace(tzinfo=None)
    if slot < local_now:
        slot = _round_up(local_now, step)
    while slot <= last:
        if (slot.hour, slot.minute) not in busy:
            return to_utc(slot, tz)
        slot += dt.timedelta(minutes=step)
    return to_utc(max(last, dt.datetime.combine(day, hours.start)), tz)


def _slot(local: dt.datetime, step: int) -> tuple[int, int]:
    return local.hour, local.minute - local.minute % step


def schedule_candidate(
    actor: Actor, cand: Candidate, due_at: dt.datetime, subject: str, *, user_id: int | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Put a candidate on the plan at ``due_at``: an existing activity is moved (optimistic
    locking), a deal or a client gets a new outgoing call. Returns the activity id."""
    if cand.activity_id is not None:
        reschedule(actor, cand.activity_id, cand.activity_version, due_at, now=now)
        return cand.activity_id
    return create_activity(
        actor, ActivityKind.CALL_OUT, subject, due_at=due_at, person_id=cand.person_id, company_id=cand.company_id,
        deal_id=cand.deal_id, assignee_id=user_id if user_id is not None else actor.user_id,
    )


@dataclass(frozen=True)
class UserChoice:
    id: int
    name: str
    login: str
    role: str


def users_to_view(actor: Actor) -> list[UserChoice]:
    """Whose day the actor may open (heads/admins: every active user; managers: Forbidden)."""
    if not actor.sees_all:
        raise Forbidden(_("only heads of sales and admins can see another user's plan"))
    q = User.select(User.id, User.name, User.login, User.role).where(User.is_active == True).order_by(User.name)  # noqa: E712
    return [UserChoice(u.id, u.name, u.login, u.role) for u in q]


def user_name(user_id: int) -> str:
    return User.select(User.name).where(User.id == user_id).scalar() or "?"




# --- what the screens load in one call ---------------------------------------------------------


@dataclass(frozen=True)
class DayView:
    user_id: int
    user_name: str
    tz: dt.tzinfo
    day: dt.date
    today: dt.date
    rows: list[PlanRow]

    @property
    def counts(self) -> DayCounts:
        return counts(self.rows)


def load_day(
    actor: Actor, user_id: int | None, day: dt.date | None, fallback_tz: str | None = None, *,
    now: dt.datetime | None = None, day_offset: int = 0,
) -> DayView:
    """A user's day in their zone (``day`` None: today in that zone, shifted by ``day_offset``)."""
    now = now or utcnow()
    user_id = user_id if user_id is not None else actor.user_id
    check_can_view(actor, user_id)
    tz = user_zone(user_id, fallback_tz)
    today = local_today(tz, now)
    if day is None:
        day = today + dt.timedelta(days=day_offset)
    rows = day_plan(actor, user_id, day, tz, now=now)
    return DayView(user_id, user_name(user_id), tz, day, today, rows)


@dataclass(frozen=True)
class ClientBrief:
    """What the call session shows of the client: the card and the last results."""

    card: object | None  # services.cards.CardSummary
    recent: list  # services.cards.ActivityBrief, newest first
    row: PlanRow | None = None


def client_brief(actor: Actor, row: PlanRow, recent: int = 3) -> ClientBrief:
    from tuicrm.services import cards
    from tuicrm.services.base import ServiceError

    card = None
    try:
        if row.person_id:
            card = cards.person_card(actor, row.person_id)
        elif row.company_id:
            card = cards.company_card(actor, row.company_id)
    except ServiceError:
        card = None
    cond = None
    if row.person_id:
        cond = Activity.person == row.person_id
    elif row.company_id:
        cond = Activity.company == row.company_id
    items = []
    if cond is not None:
        q = (
            Activity.select(Activity, User.name.alias("assignee_name"))
            .join(User, peewee.JOIN.LEFT_OUTER, on=(Activity.assignee == User.id))
            .where(cond & Activity.done_at.is_null(False) & Activity.archived_at.is_null())
            .order_by(Activity.due_at.desc(), Activity.id.desc())
            .limit(recent)
        )
        items = [cards.ActivityBrief(a.id, a.kind, a.subject, a.due_at, a.done_at, a.outcome, a.result,
                                     getattr(a, "assignee_name", None)) for a in q.objects()]
    return ClientBrief(card, items, row)


def complete_and_fetch(
    actor: Actor, activity_id: int, expected_version: int | None, *, outcome: str | None, result: str = "",
    follow_up: FollowUp | None = None, done_at: dt.datetime | None = None,
) -> tuple[int, PlanRow | None]:
    """complete_with_follow_up, then the follow-up as a plan row (the call session queues it)."""
    version, fid = complete_with_follow_up(actor, activity_id, expected_version, outcome=outcome, result=result,
                                           follow_up=follow_up, done_at=done_at)
    return version, (get_row(actor, fid) if fid else None)


def roll_to_day(
    actor: Actor, activity_ids: list[int], day: dt.date, tz: dt.tzinfo, hours: WorkHours = WorkHours(), *,
    user_id: int | None = None, now: dt.datetime | None = None,
) -> list[tuple[int, dt.datetime]]:
    """Move open activities to free slots of ``day`` (the call session's unreached calls).
    Done or vanished ones are skipped; returns (id, new due) of the moved ones."""
    now = now or utcnow()
    moved: list[tuple[int, dt.datetime]] = []
    taken: set[dt.datetime] = set()
    for aid in activity_ids:
        a = Activity.get_or_none(Activity.id == aid)
        if a is None or a.done_at is not None or a.archived_at is not None:
            continue
        owner = user_id if user_id is not None else (a.assignee_id or actor.user_id)
        slot = next_free_slot(owner, day, tz, hours, now=now, taken=taken)
        reschedule(actor, aid, a.row_version, slot, now=now)
        taken.add(slot)
        moved.append((aid, slot))
    return moved
