"""Reports for the head of sales: manager activity, funnel conversion, won/lost with loss reasons
and competitors, forecast against plan. Pure Python (no Textual); every number is aggregated by
the database (GROUP BY), the same SQL on SQLite and PostgreSQL.

Periods and buckets
- A period is ``[start, end)`` in local dates of the user's zone. Its UTC bounds (what the base
  stores) are computed here with zoneinfo, so DST and offsets are Python's problem, not SQL's.
- Day/week/month buckets are computed the same way (local midnights → UTC instants) and passed
  to SQL as parameters of a ``CASE WHEN ts < b1 THEN 0 WHEN ts < b2 THEN 1 …`` expression: plain
  comparisons, identical on both engines, correct across month boundaries in any zone.
- ``bucket="auto"`` picks days up to 31 days, weeks (Monday first) up to 16 weeks, else months.

Funnel conversion rule (documented in docs/notes/reports.md)
- *Entered S*: distinct deals with a stage change **to** S during the period (a new deal enters
  its first stage when created).
- *Moved on from S*: of those, the distinct deals that, after entering S and before the period
  ended, reached a stage further down the pipeline (higher position) that is not a Lost stage.
  A deal that goes back a stage and forward again is counted once per stage; a deal that skips a
  stage counts as moved on from the stage it skipped from.
- Conversion S → next = moved on / entered.
- Average days in S: over the stays in S that ended during the period (the change *from* S), the
  time since the deal's previous change (its entry to S).
- Lost at S: changes to a Lost stage during the period, by the stage the deal was lost from.

Visibility: a manager sees only his own numbers; heads and admins see everyone's.
"""

from __future__ import annotations

import calendar
import datetime as dt
import itertools
import json
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import peewee
from babel import dates as babel_dates
from peewee import JOIN, SQL, Case, fn

from tuicrm import formatting
from tuicrm.db.connection import is_postgres, write_tx
from tuicrm.i18n import N_, _
from tuicrm.model import (
    Activity,
    ActivityDay,
    Competitor,
    CompanyTag,
    Deal,
    DealTag,
    LossReason,
    PersonTag,
    Pipeline,
    SalesTarget,
    SavedReport,
    Stage,
    StageChange,
    Tag,
    User,
    utcnow,
)
from tuicrm.model.enums import ActivityKind, Outcome, StageKind
from tuicrm.services.base import Actor, Forbidden, NotFound, ValidationError, audit, search_key, versioned_update

REPORTS = ("activity", "funnel", "winloss", "forecast")
REPORT_TITLES = {
    "activity": N_("Manager activity"),
    "funnel": N_("Funnel"),
    "winloss": N_("Won and lost"),
    "forecast": N_("Forecast"),
}
BUCKETS = ("auto", "day", "week", "month")
DONE_PER = {"day": N_("Done per day"), "week": N_("Done per week"), "month": N_("Done per month")}
DONE_BY_MANAGER = {"day": N_("Done by manager and day"), "week": N_("Done by manager and week"),
                   "month": N_("Done by manager and month")}
WON_LOST_BY = {"day": N_("Won and lost by day"), "week": N_("Won and lost by week"), "month": N_("Won and lost by month")}
MAX_BUCKETS = 400
BUCKET_PARTS_MAX = 62  # up to this many buckets: one range query per bucket (UNION ALL), else CASE
PLANNED_SUMMARY_DAYS = 62  # SQLite: a longer period counts planned activities from the activity_day summary
REACHED = tuple(o.value for o in Outcome if o.reached)
CALL_KINDS = (ActivityKind.CALL_OUT.value, ActivityKind.CALL_IN.value)


# --- periods --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Local dates ``[start, end)``; ``spec`` is how it was asked for (kept relative when saved)."""

    start: dt.date
    end: dt.date
    spec: str = ""

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValidationError(_("the period ends before it starts ({start} – {end})").format(
                start=self.start.isoformat(), end=(self.end - dt.timedelta(days=1)).isoformat()), "period")

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def utc_bounds(self, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        return local_midnight_utc(self.start, tz), local_midnight_utc(self.end, tz)

    def label(self) -> str:
        last = self.end - dt.timedelta(days=1)
        if last == self.start:
            return formatting.date(self.start)
        return f"{formatting.date(self.start)} – {formatting.date(last)}"

    def shift(self, steps: int) -> "Period":
        """The previous (-1) or next (+1) period of the same kind and length."""
        kind = _unit_of(self)
        if kind == "month":
            months = _months_between(self.start, self.end)
            return Period(_add_months(self.start, steps * months), _add_months(self.end, steps * months), "")
        delta = dt.timedelta(days=self.days * steps)
        return Period(self.start + delta, self.end + delta, "")


def local_midnight_utc(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The naive-UTC instant at which ``day`` starts in ``tz``."""
    return formatting.to_utc(dt.datetime.combine(day, dt.time()), tz)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _months_between(start: dt.date, end: dt.date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def _unit_of(p: Period) -> str:
    if p.start.day == 1 and p.end.day == 1:
        return "month"
    return "days"


_PERIOD_WORDS = {
    "today": ("day", 0), "yesterday": ("day", -1), "tomorrow": ("day", 1),
}
_REL = re.compile(r"^(this|last|previous|prev|next)[-_ ]?(week|month|quarter|year)$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-?[qQ]([1-4])$")

PERIOD_CHOICES = ("this-week", "this-month", "this-quarter", "this-year")


def _unit_period(unit: str, today: dt.date, offset: int) -> tuple[dt.date, dt.date]:
    if unit == "day":
        start = today + dt.timedelta(days=offset)
        return start, start + dt.timedelta(days=1)
    if unit == "week":
        start = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=offset)
        return start, start + dt.timedelta(weeks=1)
    if unit == "month":
        start = _add_months(_month_start(today), offset)
        return start, _add_months(start, 1)
    if unit == "quarter":
        first = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
        start = _add_months(first, 3 * offset)
        return start, _add_months(start, 3)
    start = dt.date(today.year + offset, 1, 1)
    return start, dt.date(start.year + 1, 1, 1)


def _parse_point(text: str, *, is_end: bool) -> dt.date:
    """One side of ``A..B``: a day, a month, a quarter or a year; an end point is inclusive."""
    text = text.strip()
    try:
        if m := _DAY.match(text):
            day = dt.date(int(m[1]), int(m[2]), int(m[3]))
            return day + dt.timedelta(days=1) if is_end else day
        if m := _MONTH.match(text):
            start = dt.date(int(m[1]), int(m[2]), 1)
            return _add_months(start, 1) if is_end else start
        if m := _QUARTER.match(text):
            start = dt.date(int(m[1]), 3 * (int(m[2]) - 1) + 1, 1)
            return _add_months(start, 3) if is_end else start
        if m := _YEAR.match(text):
            return dt.date(int(m[1]) + (1 if is_end else 0), 1, 1)
        if m := re.match(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$", text):  # 31.12.2026
            day = dt.date(int(m[3]), int(m[2]), int(m[1]))
            return day + dt.timedelta(days=1) if is_end else day
    except ValueError as exc:
        raise ValidationError(_("not a date: {text} ({error})").format(text=text, error=exc), "period") from exc
    raise ValidationError(
        _("cannot read the period “{text}”: use this-month, last-quarter, 2026-01..2026-03 or 2026-01-05..2026-02-10").format(
            text=text), "period")


def parse_period(spec: str, today: dt.date) -> Period:
    """``this-week|this-month|this-quarter|this-year`` (also ``last-…``/``next-…``), ``today``,
    ``yesterday``, ``2026``, ``2026-03``, ``2026-Q1``, ``2026-01-05``, and ranges ``A..B`` of those
    (both ends inclusive). A range that ends before it starts is refused."""
    text = (spec or "").strip().lower()
    if not text:
        raise ValidationError(_("the period is empty"), "period")
    if text in _PERIOD_WORDS:
        unit, offset = _PERIOD_WORDS[text]
        return Period(*_unit_period(unit, today, offset), spec=text)
    if m := _REL.match(text):
        offset = {"this": 0, "last": -1, "previous": -1, "prev": -1, "next": 1}[m[1]]
        return Period(*_unit_period(m[2], today, offset), spec=text)
    if ".." in text:
        left, right = text.split("..", 1)
        start, end = _parse_point(left, is_end=False), _parse_point(right, is_end=True)
        if end <= start:
            raise ValidationError(_("the period ends before it starts: {spec}").format(spec=spec.strip()), "period")
        return Period(start, end, spec=text)
    return Period(_parse_point(text, is_end=False), _parse_point(text, is_end=True), spec=text)


def period_from_dates(start: dt.date, last: dt.date) -> Period:
    """A custom period typed as first and last day (both inclusive)."""
    if last < start:
        raise ValidationError(_("the period ends before it starts: {end} is before {start}").format(
            start=start.isoformat(), end=last.isoformat()), "period")
    return Period(start, last + dt.timedelta(days=1), spec=f"{start.isoformat()}..{last.isoformat()}")


# --- buckets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bucket:
    start: dt.date  # local date the bucket starts (clipped to the period)
    end: dt.date
    start_utc: dt.datetime
    end_utc: dt.datetime


def pick_granularity(period: Period, bucket: str = "auto") -> str:
    if bucket not in BUCKETS:
        raise ValidationError(_("bucket must be one of {choices}").format(choices=", ".join(BUCKETS)), "bucket")
    if bucket != "auto":
        return bucket
    if period.days <= 31:
        return "day"
    if period.days <= 16 * 7:
        return "week"
    return "month"


def make_buckets(period: Period, granularity: str, tz: dt.tzinfo) -> list[Bucket]:
    out: list[Bucket] = []
    day = period.start
    while day < period.end:
        if granularity == "day":
            nxt = day + dt.timedelta(days=1)
        elif granularity == "week":
            nxt = day - dt.timedelta(days=day.weekday()) + dt.timedelta(weeks=1)
        else:
            nxt = _add_months(_month_start(day), 1)
        nxt = min(nxt, period.end)
        out.append(Bucket(day, nxt, local_midnight_utc(day, tz), local_midnight_utc(nxt, tz)))
        day = nxt
        if len(out) > MAX_BUCKETS:
            raise ValidationError(_("too many buckets for this period; pick a longer bucket"), "bucket")
    return out


def bucket_case(field: peewee.Field, edges: Sequence[Any]) -> peewee.Node:
    """``CASE WHEN field < edge1 THEN 0 WHEN field < edge2 THEN 1 … END`` (rows already limited
    to the period by WHERE, so the last edge is the period end)."""
    return Case(None, [(field < edge, i) for i, edge in enumerate(edges)], None)


def bucket_label(b: Bucket, granularity: str) -> str:
    if granularity == "month":
        return babel_dates.format_skeleton("yMMM", b.start, locale=formatting.locale())
    return formatting.short_date(b.start)


# --- tables shared by the screen, the CLI and the export -----------------------------------


TEXT, INT, MONEY, PERCENT, DAYS = "text", "int", "money", "percent", "days"


@dataclass(frozen=True)
class Table:
    """Rows of plain values (int minor units for MONEY, 0..1 floats for PERCENT, None = empty)."""

    title: str
    headers: tuple[str, ...]
    kinds: tuple[str, ...]
    rows: tuple[tuple, ...]

    def formatted(self, currency: str = "RUB") -> list[list[str]]:
        return [[format_cell(v, k, currency) for v, k in zip(row, self.kinds)] for row in self.rows]

    def plain(self) -> list[list[Any]]:
        """Numbers as numbers for CSV/JSON/xlsx: money in major units, percents as fractions."""
        out = []
        for row in self.rows:
            out.append([plain_value(v, k) for v, k in zip(row, self.kinds)])
        return out


def plain_value(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == MONEY:
        return round(value / 100, 2)
    if kind == PERCENT:
        return round(value, 4)
    if kind == DAYS:
        return round(value, 1)
    return value


def format_cell(value: Any, kind: str, currency: str = "RUB") -> str:
    if value is None:
        return "—" if kind != TEXT else ""
    if kind == MONEY:
        return formatting.money(int(value), currency)
    if kind == PERCENT:
        return formatting.percent(value)
    if kind == DAYS:
        return formatting.number(value, 1)
    if kind == INT:
        return formatting.number(value)
    return str(value)


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Chart:
    """What the chart shows: x labels, one or more series (stacked or grouped), the unit."""

    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    style: str = "stacked"  # stacked | grouped | bar (one series) | hbar
    unit: str = INT  # INT or MONEY (values of MONEY series are in major units)
    x_title: str = ""  # heading of the label column in the chart-data table (default: Period)

    @property
    def empty(self) -> bool:
        return not self.labels or all(not any(s.values) for s in self.series)

    def table(self) -> Table:
        kind = self.unit
        rows = []
        for i, label in enumerate(self.labels):
            values = [s.values[i] for s in self.series]
            if kind == MONEY:
                values = [int(round(v * 100)) for v in values]
            rows.append((label, *values))
        return Table(_("Chart data"), (self.x_title or _("Period"), *(s.name for s in self.series)),
                     (TEXT, *([kind] * len(self.series))), tuple(rows))


@dataclass(frozen=True)
class ReportResult:
    report: str
    title: str
    period: Period
    granularity: str
    chart: Chart
    tables: tuple[Table, ...]  # main table first
    totals: dict = field(default_factory=dict)
    callout: str = ""  # a sentence the screen shows above the table (e.g. where most deals die)
    currency: str = "RUB"

    @property
    def empty(self) -> bool:
        return self.chart.empty and all(not t.rows for t in self.tables)


# --- filters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    managers: tuple[int, ...] = ()  # user ids; empty = everyone the actor may see
    pipeline_id: int | None = None
    tags: tuple[str, ...] = ()  # tag names


def _visible_users(actor: Actor, managers: Iterable[int]) -> tuple[int, ...] | None:
    """User ids to restrict to, or None for everyone. A manager sees only himself."""
    wanted = tuple(sorted({int(m) for m in managers}))
    if not actor.sees_all:
        if wanted and wanted != (actor.user_id,):
            raise Forbidden(_("a manager sees only his own reports"))
        return (actor.user_id,) if actor.user_id is not None else ()
    return wanted or None


def _tag_ids(tags: Iterable[str]) -> tuple[int, ...] | None:
    keys = [search_key(t) for t in tags if t and t.strip()]
    if not keys:
        return None
    ids = [t.id for t in Tag.select(Tag.id, Tag.name_key).where(Tag.name_key.in_(keys))]
    if len(ids) < len(set(keys)):
        found = {t.name_key for t in Tag.select(Tag.name_key).where(Tag.name_key.in_(keys))}
        missing = [t for t in tags if search_key(t) not in found]
        raise ValidationError(_("no such tag: {tags}").format(tags=", ".join(missing)), "tags")
    return tuple(ids)


def _user_names(ids: Iterable[int | None]) -> dict[int | None, str]:
    ids = [i for i in set(ids) if i is not None]
    names: dict[int | None, str] = {None: _("(nobody)")}
    if ids:
        for u in User.select(User.id, User.name).where(User.id.in_(ids)):
            names[u.id] = u.name
    return names


def _report_users(restrict: tuple[int, ...] | None, seen: Iterable[int | None]) -> list[int | None]:
    """Rows of a per-manager table: the chosen managers (or every active user) plus anyone seen."""
    if restrict is not None:
        base = list(restrict)
    else:
        base = [u.id for u in User.select(User.id).where(User.is_active == True)]  # noqa: E712
    ids = list(dict.fromkeys([*base, *[s for s in seen if restrict is None or s in restrict]]))
    names = _user_names(ids)
    return sorted(ids, key=lambda i: (i is None, search_key(names.get(i, "")), i or 0))


def _pipeline(pipeline_id: int | None) -> Pipeline:
    if pipeline_id:
        p = Pipeline.get_or_none(Pipeline.id == pipeline_id)
        if p is None:
            raise NotFound(_("pipeline #{id} not found").format(id=pipeline_id))
        return p
    p = (Pipeline.select().where(Pipeline.archived_at.is_null())
         .order_by(Pipeline.is_default.desc(), Pipeline.position, Pipeline.id).first())
    if p is None:
        raise NotFound(_("there is no pipeline"))
    return p


def _deal_filters(query, restrict, tag_ids, *, pipeline_id: int | None = None, deal=Deal):
    if restrict is not None:
        query = query.where(deal.owner.in_(restrict) if restrict else SQL("1 = 0"))
    if pipeline_id is not None:
        query = query.where(deal.pipeline == pipeline_id)
    if tag_ids:
        query = query.where(fn.EXISTS(DealTag.select(SQL("1")).where((DealTag.deal == deal.id) & DealTag.tag.in_(tag_ids))))
    return query


# --- a. manager activity --------------------------------------------------------------------

KIND_GROUPS = (
    ("calls", N_("Calls"), CALL_KINDS),
    ("meetings", N_("Meetings"), (ActivityKind.MEETING.value,)),
    ("emails", N_("Emails"), (ActivityKind.EMAIL.value,)),
    ("tasks", N_("Tasks"), (ActivityKind.TASK.value,)),
    ("other", N_("Fax/letters"), (ActivityKind.FAX.value, ActivityKind.LETTER.value)),
)


def _whole_days(lo: dt.datetime, hi: dt.datetime) -> tuple[dt.date, dt.date] | None:
    """The UTC days ``[first, last)`` that lie wholly inside ``[lo, hi)`` (naive UTC), or None."""
    first = lo.date() if lo.time() == dt.time() else lo.date() + dt.timedelta(days=1)
    last = hi.date()
    return (first, last) if first < last else None


def _split_days(parts: Sequence[tuple[int, dt.datetime, dt.datetime]]):
    """Split ``(bucket, lo, hi)`` ranges into the whole UTC days the summary answers,
    ``(bucket, first_day, end_day)``, and the partial days left for ``activity`` itself,
    ``(bucket, lo, hi)`` (at most one before and one after the whole days of each range)."""
    days, raw = [], []
    for i, lo, hi in parts:
        whole = _whole_days(lo, hi)
        if whole is None:
            raw.append((i, lo, hi))
            continue
        d0, d1 = whole
        days.append((i, d0, d1))
        t0, t1 = dt.datetime.combine(d0, dt.time()), dt.datetime.combine(d1, dt.time())
        if lo < t0:
            raw.append((i, lo, t0))
        if t1 < hi:
            raw.append((i, t1, hi))
    raw.sort(key=lambda p: p[1])
    return days, raw


def _parts_case(column, parts: Sequence[tuple[int, Any, Any]]) -> peewee.Node:
    """The part index of ``column`` for ordered, disjoint ``(i, lo, hi)`` ranges: ``CASE WHEN
    column < lo1 THEN NULL WHEN column < hi1 THEN i1 …`` (the NULL branch only where a range does
    not start where the previous one ended; contiguous ranges give bucket_case's plain form)."""
    whens = []
    prev_hi = None
    for i, lo, hi in parts:
        if prev_hi is None or lo != prev_hi:
            whens.append((column < lo, None))
        whens.append((column < hi, i))
        prev_hi = hi
    return Case(None, whens, None)


def _in_ranges(column, parts: Sequence[tuple[int, Any, Any]]) -> peewee.Node:
    """``column`` in any of the ranges, as one range when they are contiguous."""
    cond = None
    for _i, lo, hi in _merge_ranges(parts):
        c = (column >= lo) & (column < hi)
        cond = c if cond is None else cond | c
    return cond if cond is not None else SQL("1 = 0")


def _raw_runs(parts: Sequence[tuple[int, dt.datetime, dt.datetime]]) -> list[list[tuple]]:
    """Group ordered ranges into the runs one query reads: the two partial days around a bucket
    edge (together at most a day) go in one run, bucketed by a CASE; other ranges are a run each
    (one index range per bucket), unless there are more than BUCKET_PARTS_MAX: then each stretch
    of adjacent ranges is one run (one read of its rows, a CASE per row, as for many buckets)."""
    runs: list[list[tuple]] = []
    for part in parts:
        if runs and runs[-1][-1][2] == part[1] and part[2] - runs[-1][0][1] <= dt.timedelta(days=1):
            runs[-1].append(part)
        else:
            runs.append([part])
    if len(runs) > BUCKET_PARTS_MAX:
        runs = []
        for part in parts:
            if runs and runs[-1][-1][2] == part[1]:
                runs[-1].append(part)
            else:
                runs.append([part])
    return runs


def _merge_ranges(parts):
    out: list[list] = []
    for i, lo, hi in sorted(parts, key=lambda p: p[1]):
        if out and out[-1][2] == lo:
            out[-1][2] = hi
        else:
            out.append([i, lo, hi])
    return [tuple(p) for p in out]


def manager_activity(actor: Actor, period: Period, *, tz: dt.tzinfo, now: dt.datetime | None = None,
                     filters: Filters = Filters(), bucket: str = "auto", summary: bool = True) -> ReportResult:
    """Done activities per bucket per manager; planned vs done; overdue now; reached calls.

    The whole UTC days of the period are read from the ``activity_day`` summary (kept by triggers,
    tuicrm/db/activity_summary.py), the partial days at the edges of the buckets from ``activity``;
    ``summary=False`` (and any tag filter, which the summary cannot answer) counts everything from
    ``activity``. Both give the same numbers in any zone (tests/unit/test_activity_summary.py)."""
    now = now or utcnow()
    restrict = _visible_users(actor, filters.managers)
    tag_ids = _tag_ids(filters.tags)
    granularity = pick_granularity(period, bucket)
    buckets = make_buckets(period, granularity, tz)
    start, end = period.utc_bounds(tz)
    use_summary = summary and not tag_ids
    bucket_parts = [(i, b.start_utc, b.end_utc) for i, b in enumerate(buckets)]
    day_parts, raw_parts = _split_days(bucket_parts) if use_summary else ([], bucket_parts)
    # planned from the summary reads each manager's rows of every kind and day (exact for any
    # kind): on SQLite that pays for a long period only (up to two months the covering index of
    # activity is quicker, ~2.7k entries a day on the large base); PostgreSQL hashes it always
    planned_from_summary = use_summary and (is_postgres() or period.days > PLANNED_SUMMARY_DAYS)
    planned_days, planned_raw = _split_days([(0, start, end)]) if planned_from_summary else ([], [(0, start, end)])

    def scoped(q):
        q = q.where(Activity.archived_at.is_null())
        if restrict is not None:
            q = q.where(Activity.assignee.in_(restrict) if restrict else SQL("1 = 0"))
        if tag_ids:
            q = q.where(
                fn.EXISTS(PersonTag.select(SQL("1")).where((PersonTag.person == Activity.person) & PersonTag.tag.in_(tag_ids)))
                | fn.EXISTS(CompanyTag.select(SQL("1")).where((CompanyTag.company == Activity.company) & CompanyTag.tag.in_(tag_ids)))
            )
        return q

    AD = ActivityDay

    user_ids: list[int] = []

    def summary_users() -> list[int]:
        """The managers' keys in the summary (0 = nobody): the chosen ones, or every user and nobody."""
        if restrict is not None:
            return list(restrict)
        if not user_ids:
            user_ids.extend([0, *(u for (u,) in User.select(User.id).tuples())])
        return user_ids

    def summary_user(uid: int) -> int | None:
        return None if uid == 0 else uid

    # The done activities of the period feed three views (per manager, per bucket, manager ×
    # bucket) from one set of counts per (bucket, manager, kind), plus reached calls.
    all_kinds = [k.value for k in ActivityKind]
    reached_if = fn.COUNT(SQL("*")).filter(Activity.outcome.in_(REACHED))
    done_rows: Iterable[tuple] = ()
    summary_rows: Iterable[tuple] = ()
    if day_parts:
        # whole UTC days from the summary, keyed (assignee, kind, day). SQLite: one seek per manager
        # × kind × bucket (IN lists, UNION ALL of a part per bucket) meets the groups in key order;
        # PostgreSQL (and SQLite past BUCKET_PARTS_MAX buckets): one query, a CASE on the day
        summary_reached = fn.SUM(Case(None, [(AD.kind.in_(CALL_KINDS), AD.reached)], 0))

        def summary_part(bucket, cond):
            return (AD.select(bucket, AD.assignee_id, AD.kind, fn.SUM(AD.done), summary_reached)
                    .where(AD.assignee_id.in_(summary_users()) & AD.kind.in_(all_kinds) & cond & (AD.done > 0)))

        if len(day_parts) <= BUCKET_PARTS_MAX and not is_postgres():
            summary_q = None
            for i, d0, d1 in day_parts:
                part = summary_part(peewee.Value(i), (AD.day >= d0) & (AD.day < d1)).group_by(AD.assignee_id, AD.kind)
                summary_q = part if summary_q is None else summary_q + part  # UNION ALL
        else:  # PostgreSQL hashes the groups
            summary_q = summary_part(_parts_case(AD.day, day_parts), (AD.day >= day_parts[0][1]) & (AD.day < day_parts[-1][2])
                                     ).group_by(SQL("1"), AD.assignee_id, AD.kind)
        summary_rows = ((b, summary_user(uid), kind, int(n or 0), int(r or 0))
                        for b, uid, kind, n, r in summary_q.tuples())
    # the rest from activity itself: each bucket's partial first and last UTC day (or the whole
    # buckets without the summary), one query per run of ranges (UNION ALL)
    runs = [(peewee.Value(r[0][0]) if len(r) == 1 else _parts_case(Activity.done_at, r), r[0][1], r[-1][2])
            for r in _raw_runs(raw_parts)]

    def union_all(queries):
        # SQLite allows 500 terms in a compound SELECT: a query per BUCKET_PARTS_MAX of them
        for k in range(0, len(queries), BUCKET_PARTS_MAX):
            chunk = queries[k:k + BUCKET_PARTS_MAX]
            q = chunk[0]
            for part in chunk[1:]:
                q = q + part  # UNION ALL
            yield from q.tuples()

    if raw_parts and not is_postgres():
        # SQLite has no hash aggregation: a GROUP BY must meet its rows in index order, and
        # every FILTER costs on each of ~1M rows a year. So seek the index (assignee, kind,
        # done_at, outcome, archived_at) once per manager × kind × range (IN lists: the plan
        # does not depend on ANALYZE statistics) and count; groups arrive in index order.
        # (Measured: for the partial days at bucket edges too, these seeks beat one done_at range
        # of the (done_at, assignee, kind, …) index and a sort: 42–51 against 78–124 ms a year.)
        users = list(restrict) if restrict is not None else User.select(User.id)
        parts = [
            scoped(Activity.select(bucket_expr, Activity.assignee, Activity.kind, fn.COUNT(SQL("*")), reached_if)
                   .where(Activity.assignee.in_(users) & Activity.kind.in_(all_kinds)
                          & (Activity.done_at >= lo) & (Activity.done_at < hi)))
            .group_by(*([] if isinstance(bucket_expr, peewee.Value) else [SQL("1")]), Activity.assignee, Activity.kind)
            for bucket_expr, lo, hi in runs
        ]
        if restrict is None:  # activities nobody is assigned to: one more query
            parts.append(scoped(
                Activity.select(_parts_case(Activity.done_at, raw_parts), Activity.assignee,
                                Activity.kind, fn.COUNT(SQL("*")), reached_if)
                .where(Activity.assignee.is_null() & Activity.kind.in_(all_kinds)
                       & _in_ranges(Activity.done_at, raw_parts))
            ).group_by(SQL("1"), Activity.assignee, Activity.kind))
        done_rows = ((b, uid, kind, int(n or 0), int(r or 0) if kind in CALL_KINDS else 0)
                     for b, uid, kind, n, r in union_all(parts))
    elif raw_parts:
        # PostgreSQL hashes groups cheaply but a wider key costs more than a few FILTERs: per
        # range, one range scan of the covering index on done_at grouped by manager, a count
        # per kind (COUNT … FILTER).
        def count_if(cond):
            return fn.COUNT(SQL("*")).filter(cond)

        counts = [*(count_if(Activity.kind == k) for k in all_kinds),
                  count_if(Activity.kind.in_(CALL_KINDS) & Activity.outcome.in_(REACHED))]
        parts = [
            scoped(Activity.select(bucket_expr, Activity.assignee, *counts)
                   .where((Activity.done_at >= lo) & (Activity.done_at < hi)))
            .group_by(*([] if isinstance(bucket_expr, peewee.Value) else [SQL("1")]), Activity.assignee)
            for bucket_expr, lo, hi in runs
        ]

        def pg_rows():
            for b, uid, *rest in union_all(parts):
                for kind, n in zip(all_kinds, rest[:-1]):
                    if n:
                        yield b, uid, kind, int(n), 0
                yield b, uid, None, 0, int(rest[-1] or 0)

        done_rows = pg_rows()
    per_user: dict[int | None, dict[str, int]] = {}
    calls_reached: dict[int | None, int] = {}
    per_bucket: dict[int, dict[str, int]] = {}
    per_user_bucket: dict[tuple[int | None, int], int] = {}
    group_of = {k: g for g, _label, kinds in KIND_GROUPS for k in kinds}
    for b, uid, kind, n, n_reached in itertools.chain(summary_rows, done_rows):  # (bucket, manager, kind, done, reached calls)
        if b is None:
            continue
        b = int(b)
        if n_reached:
            calls_reached[uid] = calls_reached.get(uid, 0) + n_reached
        if not n:
            continue
        mine = per_user.setdefault(uid, {})
        mine[kind] = mine.get(kind, 0) + n
        groups = per_bucket.setdefault(b, {g: 0 for g, _label, _kinds in KIND_GROUPS})
        groups[group_of[kind]] += n
        per_user_bucket[(uid, b)] = per_user_bucket.get((uid, b), 0) + n
    per_user = {uid: kinds for uid, kinds in per_user.items() if kinds}

    planned: dict[int | None, tuple[int, int]] = {}

    def add_planned(uid, n, d):
        p_n, p_d = planned.get(uid, (0, 0))
        planned[uid] = (p_n + int(n or 0), p_d + int(d or 0))

    # per manager in the order of the covering index (assignee, due_at, done_at, archived_at), one
    # query per range (an OR of ranges would read the whole index)
    planned_q = None
    for _i, lo, hi in _merge_ranges(planned_raw):
        part = scoped(
            Activity.select(Activity.assignee, fn.COUNT(SQL("*")), fn.COUNT(Activity.done_at))
            .where((Activity.due_at >= lo) & (Activity.due_at < hi))
        ).group_by(Activity.assignee)
        planned_q = part if planned_q is None else planned_q + part  # UNION ALL
    if planned_q is not None:
        for uid, n, d in planned_q.tuples():
            add_planned(uid, n, d)
    if planned_days:  # the whole UTC days of the period from the summary: every kind, as above
        (_i, first, last), = planned_days
        planned_sq = (
            AD.select(AD.assignee_id, fn.SUM(AD.planned), fn.SUM(AD.planned_done))
            .where(AD.assignee_id.in_(summary_users()) & (AD.day >= first) & (AD.day < last) & (AD.planned > 0))
        ).group_by(AD.assignee_id)
        for uid, n, d in planned_sq.tuples():
            add_planned(summary_user(uid), n, d)

    overdue_q = scoped(
        Activity.select(Activity.assignee, fn.COUNT(SQL("*")))
        .where(Activity.done_at.is_null() & (Activity.due_at < now))
    ).group_by(SQL("1"))
    overdue = {uid: int(n) for uid, n in overdue_q.tuples()}

    users = _report_users(restrict, [*per_user, *planned, *overdue])
    names = _user_names(users)
    rows = []
    tot = [0] * 11
    for uid in users:
        k = per_user.get(uid, {})
        calls_out, calls_in = k.get(ActivityKind.CALL_OUT, 0), k.get(ActivityKind.CALL_IN, 0)
        n_reached = calls_reached.get(uid, 0)
        p_n, p_done = planned.get(uid, (0, 0))
        done_total = sum(k.values())
        values = [calls_out, calls_in, k.get(ActivityKind.MEETING, 0), k.get(ActivityKind.EMAIL, 0),
                  k.get(ActivityKind.TASK, 0), done_total, p_n, p_done, overdue.get(uid, 0),
                  n_reached, calls_out + calls_in - n_reached]
        tot = [a + b for a, b in zip(tot, values)]
        rows.append((names.get(uid, f"#{uid}"), *values))
    headers = (_("Manager"), _("Calls out"), _("Calls in"), _("Meetings"), _("Emails"), _("Tasks done"),
               _("Done, all"), _("Planned"), _("Planned, done"), _("Overdue now"), _("Reached"), _("Not reached"))
    kinds = (TEXT,) + (INT,) * 11
    if rows and len(rows) > 1:
        rows.append((_("Total"), *tot))
    table = Table(_("Activity by manager"), headers, kinds, tuple(rows))
    labels = tuple(bucket_label(b, granularity) for b in buckets)
    series = tuple(
        Series(_(label), tuple(float(per_bucket.get(i, {}).get(grp, 0)) for i in range(len(buckets))))
        for grp, label, _kinds in KIND_GROUPS
        if grp != "other" or any(per_bucket.get(i, {}).get("other") for i in range(len(buckets)))
    )
    chart = Chart(_(DONE_PER[granularity]), labels, series, "stacked", INT)
    matrix_rows = []
    for uid in users:
        counts = [per_user_bucket.get((uid, i), 0) for i in range(len(buckets))]
        matrix_rows.append((names.get(uid, f"#{uid}"), *counts, sum(counts)))
    matrix = Table(_(DONE_BY_MANAGER[granularity]), (_("Manager"), *labels, _("Total")),
                   (TEXT,) + (INT,) * (len(buckets) + 1), tuple(matrix_rows))
    totals = dict(zip(("calls_out", "calls_in", "meetings", "emails", "tasks_done", "done", "planned",
                       "planned_done", "overdue", "reached", "not_reached"), tot))
    return ReportResult("activity", _(REPORT_TITLES["activity"]), period, granularity, chart,
                        (table, matrix, chart.table()), totals)


# --- b. funnel ------------------------------------------------------------------------------


def _epoch(expr) -> peewee.Node:
    """Whole seconds since the epoch of a naive-UTC column or subquery, per engine (integers:
    exact on both)."""
    if is_postgres():
        return peewee.Cast(peewee.NodeList((SQL("EXTRACT(EPOCH FROM"), expr, SQL(")"))), "BIGINT")
    return peewee.Cast(fn.strftime("%s", expr), "INTEGER")


# unixepoch() (SQLite 3.38+) reads a stored time into whole seconds about a third faster than
# julianday() plus the rounding; older SQLite libraries get the julianday() form (same results)
SQLITE_HAS_UNIXEPOCH = sqlite3.sqlite_version_info >= (3, 38, 0)


def _seconds_between(earlier, later) -> peewee.Node:
    """Whole seconds from ``earlier`` to ``later`` (naive-UTC, stored to the second). SQLite: the
    unixepoch() difference where the library has it, else one julianday() difference, rounded (a
    third of the cost of two strftime('%s') per row); both exact for whole-second values.
    PostgreSQL: the EXTRACT(EPOCH) difference."""
    if is_postgres():
        return _epoch(later) - _epoch(earlier)
    if SQLITE_HAS_UNIXEPOCH:
        return fn.unixepoch(later) - fn.unixepoch(earlier)
    return peewee.Cast(fn.ROUND((fn.julianday(later) - fn.julianday(earlier)) * 86400), "INTEGER")


def _period_column(column, start: dt.datetime, end: dt.datetime):
    """``column`` as the funnel's per-deal pass should compare it. SQLite: over a long period (more
    than a sixth of the stage history's time span) ``+column``, which keeps SQLite from seeking
    the (changed_at, …) index and then sorting most of the history by deal: it reads the
    (deal_id, changed_at, to_stage_id) index in deal order instead (measured on 175k changes, a year:
    0.27 s against 0.39 s). A short period keeps the seek."""
    if is_postgres():
        return column
    # two queries: SQLite answers a lone MIN() or MAX() with one index seek, both together with a scan
    first = StageChange.select(fn.MIN(StageChange.changed_at)).scalar()
    last = StageChange.select(fn.MAX(StageChange.changed_at)).scalar()
    if first is None or last is None:
        return column
    first, last = (v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(str(v)) for v in (first, last))
    span = (last - first).total_seconds()
    covered = (min(end, last) - max(start, first)).total_seconds()
    if span > 0 and covered * 6 > span:
        return peewee.NodeList((SQL("+"), column), glue="")
    return column


def _stage_in(column, ids: list[int], all_ids: set[int]) -> peewee.Node:
    """``column IN ids``, as ``BETWEEN`` when no other stage id lies in that range (SQLite: two
    comparisons instead of a list probe, per change and per stage in the funnel's per-deal pass)."""
    lo, hi = min(ids), max(ids)
    if not any(lo <= other <= hi for other in all_ids - set(ids)):
        return column.between(lo, hi)
    return column.in_(ids)


def _same_second_fix(moved: dict[int, int], deal_ids: list[int], higher: dict[int, list[int]],
                     start: dt.datetime, end: dt.datetime, stage_ids: list[int]) -> None:
    """Correct ``moved`` for deals with two changes in one second: the SQL counted a deal as moved on
    from s when its first entry into s came in an earlier second than its last reach further down;
    the rule orders changes by (changed_at, id), so recount those deals with the ids."""
    history: dict[int, list[tuple]] = {}
    for chunk in range(0, len(deal_ids), 500):
        q = (StageChange.select(StageChange.deal, StageChange.changed_at, StageChange.id, StageChange.to_stage)
             .where(StageChange.deal.in_(deal_ids[chunk:chunk + 500]) & (StageChange.changed_at >= start)
                    & (StageChange.changed_at < end) & StageChange.to_stage.in_(stage_ids)))
        for deal_id, changed_at, sc_id, to_stage in q.tuples():
            history.setdefault(deal_id, []).append((changed_at, sc_id, to_stage))
    for changes in history.values():
        for sid, ids in higher.items():
            if sid not in moved:
                continue
            firsts = [(t, i) for t, i, to in changes if to == sid]
            lasts = [(t, i) for t, i, to in changes if to in ids]
            if not firsts or not lasts:
                continue
            first, last = min(firsts), max(lasts)
            counted = first[0] < last[0]  # what the SQL did: seconds only
            moved[sid] += int(first < last) - int(counted)


def funnel(actor: Actor, period: Period, *, tz: dt.tzinfo, now: dt.datetime | None = None,
           filters: Filters = Filters(), bucket: str = "auto") -> ReportResult:
    restrict = _visible_users(actor, filters.managers)
    tag_ids = _tag_ids(filters.tags)
    pipeline = _pipeline(filters.pipeline_id)
    stage_list = list(Stage.select().where((Stage.pipeline == pipeline.id) & Stage.archived_at.is_null())
                      .order_by(Stage.position, Stage.id))
    start, end = period.utc_bounds(tz)

    # deals and amounts per stage now (open deals are not archived)
    now_q = _deal_filters(
        Deal.select(Deal.stage, fn.COUNT(Deal.id), fn.COALESCE(fn.SUM(Deal.amount_minor), 0))
        .where(Deal.archived_at.is_null()), restrict, tag_ids, pipeline_id=pipeline.id,
    ).group_by(SQL("1"))
    now_counts = {sid: (int(n), int(s)) for sid, n, s in now_q.tuples()}

    SC1 = StageChange.alias("sc1")
    D = Deal.alias("d")

    all_stages = list(Stage.select(Stage.id, Stage.pipeline).tuples())
    pipeline_stage_ids = [sid for sid, pid in all_stages if pid == pipeline.id]
    other_stage_ids = {sid for sid, pid in all_stages if pid != pipeline.id}

    def sc_scope(q, sc):
        # every change of a deal goes to a stage of the deal's pipeline: no need to read the deal
        # (and with a single pipeline in the base, no need to filter at all: one test less per row)
        if other_stage_ids:
            q = q.where(sc.to_stage.in_(pipeline_stage_ids))
        if restrict is None and not tag_ids:
            return q
        q = q.join(D, on=(D.id == sc.deal))
        return _deal_filters(q, restrict, tag_ids, deal=D)

    # entered and moved on, in one pass: per deal, over its changes in the period, the first entry
    # into each stage and the last time a stage further down that is not Lost was reached (plain
    # conditional aggregates, no window); then per stage: entered = deals with an entry, moved on =
    # deals whose first entry comes before that last later reach. Changes are ordered by
    # (changed_at, id): the SQL compares the seconds only, and the deals that have two changes in
    # one second in the period (a change whose entered_at equals its changed_at — rare) are
    # recounted in Python with the ids (_same_second_fix).
    stage_meta = list(Stage.select(Stage.id, Stage.position, Stage.kind).where(Stage.pipeline == pipeline.id).tuples())
    shown_ids = [s.id for s in stage_list]
    position = {sid: pos for sid, pos, _kind in stage_meta}
    higher = {s.id: [t for t, pos, kind in stage_meta if kind != StageKind.LOST and pos > position[s.id]]
              for s in stage_list if s.kind == StageKind.OPEN}
    moved_ids = [sid for sid, ids in higher.items() if ids]
    entered: dict[int, int] = {}
    moved: dict[int, int] = {}
    if shown_ids:
        at = _period_column(SC1.changed_at, start, end)
        cols = [SC1.deal.alias("deal_id")]
        # aggregate FILTERs, not MIN(CASE …): a row that does not match skips the aggregate
        # instead of feeding it a NULL (≈ 15 % less for this pass on SQLite, same values)
        cols += [fn.MIN(SC1.changed_at).filter(SC1.to_stage == sid).alias(f"e{sid}") for sid in shown_ids]
        all_ids = {sid for sid, _pid in all_stages}
        cols += [fn.MAX(SC1.changed_at).filter(_stage_in(SC1.to_stage, higher[sid], all_ids)).alias(f"h{sid}")
                 for sid in moved_ids]
        # the bounds as the column stores them (a NodeList gets no field converter of its own)
        lo, hi = (peewee.Value(v, converter=StageChange.changed_at.db_value) for v in (start, end))
        per_deal = sc_scope(SC1.select(*cols).where((at >= lo) & (at < hi)), SC1).group_by(SC1.deal).alias("g")
        outer = [fn.COUNT(per_deal.c[f"e{sid}"]) for sid in shown_ids]
        outer += [fn.COALESCE(fn.SUM(Case(None, [(per_deal.c[f"e{sid}"] < per_deal.c[f"h{sid}"], 1)], 0)), 0)
                  for sid in moved_ids]
        counts = StageChange.select(*outer).from_(per_deal).tuples().get()
        entered = {sid: int(n or 0) for sid, n in zip(shown_ids, counts)}
        moved = {sid: int(n or 0) for sid, n in zip(moved_ids, counts[len(shown_ids):])}

    # time in stage (stays that ended in the period: from the deal's previous change, stored on the
    # change as entered_at since schema version 3, to this one) and lost at each stage (changes to a
    # Lost stage by the stage they came from), in one scan of the period's changes
    lost_stage_ids = [s.id for s in stage_list if s.kind == StageKind.LOST]
    is_lost = Case(None, [(SC1.to_stage.in_(lost_stage_ids), 1)], 0) if lost_stage_ids else SQL("0")
    if is_postgres():  # a sum of intervals (exact), one EXTRACT per stage instead of two per change
        stay_secs = _epoch(fn.SUM(SC1.changed_at - SC1.entered_at))
    else:
        stay_secs = fn.SUM(_seconds_between(SC1.entered_at, SC1.changed_at))
    # … and counts the changes made in the same second as the deal's previous one (entered_at =
    # changed_at), so the deals with such ties are looked for only when there are any
    is_tie = Case(None, [(SC1.entered_at == SC1.changed_at, 1)], 0)
    stay_q = sc_scope(
        SC1.select(SC1.from_stage, fn.COUNT(SC1.entered_at), stay_secs, fn.SUM(is_lost), fn.SUM(is_tie))
        .where((SC1.changed_at >= start) & (SC1.changed_at < end)), SC1,
    ).group_by(SQL("1"))
    stays: dict[int, tuple[int, int]] = {}
    lost_at: dict[int | None, int] = {}
    ties = 0
    for sid, n, secs, n_lost, n_ties in stay_q.tuples():
        if sid is not None and n:
            stays[sid] = (int(n), int(secs or 0))
        if n_lost:
            lost_at[sid] = int(n_lost)
        ties += int(n_ties or 0)
    if shown_ids and ties:
        tied_q = sc_scope(
            SC1.select(SC1.deal).distinct()
            .where((SC1.changed_at >= start) & (SC1.changed_at < end) & (SC1.entered_at == SC1.changed_at)), SC1)
        tied = [d for (d,) in tied_q.tuples()]
        if tied:
            _same_second_fix(moved, tied, higher, start, end, pipeline_stage_ids)

    rows = []
    open_stages = [s for s in stage_list if s.kind == StageKind.OPEN]
    won_stages = [s for s in stage_list if s.kind == StageKind.WON]
    worst_id, worst_n = None, 0
    for s in stage_list:
        n_now, amount_now = now_counts.get(s.id, (0, 0))
        n_in = entered.get(s.id, 0)
        conv = None
        nxt_name = ""
        if s.kind == StageKind.OPEN:
            later_stages = [t for t in stage_list if t.position > s.position and t.kind != StageKind.LOST]
            nxt_name = later_stages[0].name if later_stages else ""
            conv = (moved.get(s.id, 0) / n_in) if n_in else None
        n_stays, secs = stays.get(s.id, (0, 0))
        avg_days = (secs / n_stays / 86400) if n_stays else None
        n_lost = lost_at.get(s.id, 0)
        if n_lost > worst_n:
            worst_id, worst_n = s.id, n_lost
        rows.append((s.name, n_now, amount_now, n_in, moved.get(s.id, 0) if s.kind == StageKind.OPEN else None,
                     nxt_name, conv, avg_days, n_lost if s.kind == StageKind.OPEN else None))
    headers = (_("Stage"), _("Deals now"), _("Amount now"), _("Entered"), _("Moved on"), _("Next stage"),
               _("Conversion"), _("Avg days in stage"), _("Lost here"))
    kinds = (TEXT, INT, MONEY, INT, INT, TEXT, PERCENT, DAYS, INT)
    table = Table(_("Funnel: {pipeline}").format(pipeline=pipeline.name), headers, kinds, tuple(rows))
    callout = ""
    if worst_id is not None:
        name = next(s.name for s in stage_list if s.id == worst_id)
        callout = _("Most deals are lost at “{stage}”: {n}").format(stage=name, n=formatting.number(worst_n))
    chart_stages = open_stages + won_stages
    chart = Chart(
        _("Deals entering each stage in the period"),
        tuple(s.name for s in chart_stages),
        (Series(_("Entered"), tuple(float(entered.get(s.id, 0)) for s in chart_stages)),),
        "bar", INT, _("Stage"),
    )
    totals = {
        "deals_now": sum(n for n, _a in now_counts.values()),
        "lost_in_period": sum(lost_at.values()),
        "worst_stage_id": worst_id,
        "worst_stage_lost": worst_n,
    }
    return ReportResult("funnel", _(REPORT_TITLES["funnel"]), period, "stage", chart, (table, chart.table()), totals, callout)


# --- c. won and lost ------------------------------------------------------------------------


def won_lost(actor: Actor, period: Period, *, tz: dt.tzinfo, now: dt.datetime | None = None,
             filters: Filters = Filters(), bucket: str = "month") -> ReportResult:
    restrict = _visible_users(actor, filters.managers)
    tag_ids = _tag_ids(filters.tags)
    granularity = pick_granularity(period, bucket) if bucket != "auto" else "month"
    buckets = make_buckets(period, granularity, tz)
    start, end = period.utc_bounds(tz)

    def closed(q):
        q = q.join(Stage, on=(Stage.id == Deal.stage)).where(
            Deal.archived_at.is_null() & (Deal.closed_at >= start) & (Deal.closed_at < end)
            & Stage.kind.in_([StageKind.WON.value, StageKind.LOST.value]))
        return _deal_filters(q, restrict, tag_ids, pipeline_id=filters.pipeline_id)

    b_expr = bucket_case(Deal.closed_at, [b.end_utc for b in buckets])
    by_month_q = closed(Deal.select(b_expr, Stage.kind, fn.COUNT(Deal.id), fn.SUM(Deal.amount_minor))).group_by(SQL("1"), SQL("2"))
    won = {i: (0, 0) for i in range(len(buckets))}
    lost = {i: (0, 0) for i in range(len(buckets))}
    for b, kind, n, s in by_month_q.tuples():
        target = won if kind == StageKind.WON else lost
        target[int(b)] = (int(n), int(s or 0))
    rows = []
    for i, b in enumerate(buckets):
        wn, wa = won[i]
        ln, la = lost[i]
        rate = wn / (wn + ln) if wn + ln else None
        rows.append((bucket_label(b, granularity), wn, wa, ln, la, rate))
    tw, twa = sum(v[0] for v in won.values()), sum(v[1] for v in won.values())
    tl, tla = sum(v[0] for v in lost.values()), sum(v[1] for v in lost.values())
    rows.append((_("Total"), tw, twa, tl, tla, tw / (tw + tl) if tw + tl else None))
    main = Table(_(WON_LOST_BY[granularity]),
                 (_("Period"), _("Won"), _("Won amount"), _("Lost"), _("Lost amount"), _("Win rate")),
                 (TEXT, INT, MONEY, INT, MONEY, PERCENT), tuple(rows))

    reason_q = closed(
        Deal.select(LossReason.name, fn.COUNT(Deal.id), fn.SUM(Deal.amount_minor))
        .join(LossReason, JOIN.LEFT_OUTER, on=(LossReason.id == Deal.loss_reason), src=Deal)
    ).where(Stage.kind == StageKind.LOST.value).group_by(SQL("1"))
    reasons = [(name or _("(no reason)"), int(n), int(s or 0), (int(n) / tl) if tl else None) for name, n, s in reason_q.tuples()]
    reasons.sort(key=lambda r: (-r[1], search_key(r[0])))
    reason_table = Table(_("Loss reasons"), (_("Reason"), _("Deals"), _("Amount"), _("Share of losses")),
                         (TEXT, INT, MONEY, PERCENT), tuple(reasons))

    comp_q = closed(
        Deal.select(Competitor.name, fn.COUNT(Deal.id), fn.SUM(Deal.amount_minor), fn.MAX(Deal.amount_minor))
        .join(Competitor, on=(Competitor.id == Deal.competitor), src=Deal)
    ).where(Stage.kind == StageKind.LOST.value).group_by(SQL("1"))
    comps = []
    for name, n, s, mx in comp_q.tuples():
        n, s = int(n), int(s or 0)
        comps.append((name, n, s, s // n if n else 0, int(mx or 0), n / tl if tl else None))
    comps.sort(key=lambda r: (-r[1], -r[2], search_key(r[0])))
    comp_table = Table(_("Competitors who won against us"),
                       (_("Competitor"), _("Deals won from us"), _("Amount"), _("Average amount"), _("Largest"), _("Share of losses")),
                       (TEXT, INT, MONEY, MONEY, MONEY, PERCENT), tuple(comps))
    labels = tuple(bucket_label(b, granularity) for b in buckets)
    chart = Chart(_("Won and lost deals"), labels,
                  (Series(_("Won"), tuple(float(won[i][0]) for i in range(len(buckets)))),
                   Series(_("Lost"), tuple(float(lost[i][0]) for i in range(len(buckets))))),
                  "grouped", INT)
    totals = {"won": tw, "won_amount": twa, "lost": tl, "lost_amount": tla}
    callout = ""
    if comps:
        callout = _("Wins most often against us: {name} ({n})").format(name=comps[0][0], n=formatting.number(comps[0][1]))
    return ReportResult("winloss", _(REPORT_TITLES["winloss"]), period, granularity, chart,
                        (main, reason_table, comp_table, chart.table()), totals, callout)


# --- d. forecast ----------------------------------------------------------------------------


def _div100(value: int) -> int:
    """Σ amount × percent / 100, rounded half up, in minor units (exact integers on both engines)."""
    return (int(value) + 50) // 100


def forecast(actor: Actor, period: Period, *, tz: dt.tzinfo, now: dt.datetime | None = None,
             filters: Filters = Filters(), bucket: str = "month") -> ReportResult:
    """Open deals by month of expected close: weighted (Σ amount × probability) and best case
    (Σ amount); won in each month against the SalesTarget plan of each manager."""
    now = now or utcnow()
    restrict = _visible_users(actor, filters.managers)
    tag_ids = _tag_ids(filters.tags)
    months = make_buckets(Period(_month_start(period.start), period.end if period.end.day == 1 else _add_months(_month_start(period.end), 1)), "month", tz)
    # forecast buckets use the period's own dates (expected close is a local date)
    d_edges = [m.end for m in months]
    prob = fn.COALESCE(Deal.probability, Stage.probability)
    b_exp = bucket_case(Deal.expected_close, d_edges)
    open_q = _deal_filters(
        Deal.select(Deal.owner, b_exp, fn.COUNT(Deal.id), fn.SUM(Deal.amount_minor), fn.SUM(Deal.amount_minor * prob))
        .join(Stage, on=(Stage.id == Deal.stage))
        .where(Deal.archived_at.is_null() & (Stage.kind == StageKind.OPEN.value)
               & (Deal.expected_close >= period.start) & (Deal.expected_close < period.end)),
        restrict, tag_ids, pipeline_id=filters.pipeline_id,
    ).group_by(SQL("1"), SQL("2"))
    per_user: dict[int | None, list[int]] = {}  # [deals, best, weighted×100]
    per_month: dict[int, list[int]] = {}
    for uid, b, n, best, weighted in open_q.tuples():
        for acc, key in ((per_user, uid), (per_month, int(b))):
            cur = acc.setdefault(key, [0, 0, 0])
            cur[0] += int(n)
            cur[1] += int(best or 0)
            cur[2] += int(weighted or 0)

    # won per owner per month (closed in a Won stage), months in the user's zone
    start_utc, end_utc = months[0].start_utc, months[-1].end_utc
    won_b = bucket_case(Deal.closed_at, [m.end_utc for m in months])
    won_q = _deal_filters(
        Deal.select(Deal.owner, won_b, fn.SUM(Deal.amount_minor))
        .join(Stage, on=(Stage.id == Deal.stage))
        .where(Deal.archived_at.is_null() & (Stage.kind == StageKind.WON.value)
               & (Deal.closed_at >= start_utc) & (Deal.closed_at < end_utc)),
        restrict, tag_ids, pipeline_id=filters.pipeline_id,
    ).group_by(SQL("1"), SQL("2"))
    won_user: dict[int | None, int] = {}
    won_month: dict[int, int] = {}
    for uid, b, s in won_q.tuples():
        won_user[uid] = won_user.get(uid, 0) + int(s or 0)
        won_month[int(b)] = won_month.get(int(b), 0) + int(s or 0)

    plan_q = SalesTarget.select(SalesTarget.user, SalesTarget.month, SalesTarget.amount_minor).where(
        (SalesTarget.month >= months[0].start) & (SalesTarget.month < months[-1].end))
    if restrict is not None:
        plan_q = plan_q.where(SalesTarget.user.in_(restrict) if restrict else SQL("1 = 0"))
    plan_user: dict[int | None, int] = {}
    plan_month: dict[int, int] = {}
    month_index = {m.start: i for i, m in enumerate(months)}
    for uid, month, amount in plan_q.tuples():
        if isinstance(month, str):
            month = dt.date.fromisoformat(month[:10])
        plan_user[uid] = plan_user.get(uid, 0) + int(amount)
        i = month_index.get(month)
        if i is not None:
            plan_month[i] = plan_month.get(i, 0) + int(amount)

    users = _report_users(restrict, [*per_user, *won_user, *plan_user])
    names = _user_names(users)
    rows = []
    tot = [0, 0, 0, 0, 0]
    for uid in users:
        n, best, w100 = per_user.get(uid, [0, 0, 0])
        won_amt, plan_amt = won_user.get(uid, 0), plan_user.get(uid, 0)
        values = [n, _div100(w100), best, won_amt, plan_amt]
        tot = [a + b for a, b in zip(tot, values)]
        rows.append((names.get(uid, f"#{uid}"), *values, (won_amt / plan_amt) if plan_amt else None))
    if len(rows) > 1:
        rows.append((_("Total"), *tot, (tot[3] / tot[4]) if tot[4] else None))
    main = Table(_("Forecast by manager"),
                 (_("Manager"), _("Open deals"), _("Weighted"), _("Best case"), _("Won to date"), _("Plan"), _("Of plan")),
                 (TEXT, INT, MONEY, MONEY, MONEY, MONEY, PERCENT), tuple(rows))
    month_rows = []
    for i, m in enumerate(months):
        n, best, w100 = per_month.get(i, [0, 0, 0])
        plan_amt = plan_month.get(i, 0)
        won_amt = won_month.get(i, 0)
        month_rows.append((bucket_label(m, "month"), n, _div100(w100), best, won_amt, plan_amt,
                           (won_amt / plan_amt) if plan_amt else None))
    by_month = Table(_("Forecast by month of expected close"),
                     (_("Month"), _("Open deals"), _("Weighted"), _("Best case"), _("Won"), _("Plan"), _("Of plan")),
                     (TEXT, INT, MONEY, MONEY, MONEY, MONEY, PERCENT), tuple(month_rows))
    labels = tuple(r[0] for r in month_rows)
    chart = Chart(_("Forecast by month"), labels,
                  (Series(_("Weighted"), tuple(r[2] / 100 for r in month_rows)),
                   Series(_("Best case"), tuple(r[3] / 100 for r in month_rows)),
                   Series(_("Won"), tuple(r[4] / 100 for r in month_rows)),
                   Series(_("Plan"), tuple(r[5] / 100 for r in month_rows))),
                  "grouped", MONEY)
    totals = {"deals": tot[0], "weighted": tot[1], "best": tot[2], "won": tot[3], "plan": tot[4]}
    return ReportResult("forecast", _(REPORT_TITLES["forecast"]), period, "month", chart,
                        (main, by_month, chart.table()), totals)


def set_target(actor: Actor, user_id: int, month: dt.date, amount_minor: int) -> None:
    """A head sets a manager's plan for a month (upsert; audited)."""
    if not actor.sees_all:
        raise Forbidden(_("only a head or an admin sets plans"))
    if amount_minor < 0:
        raise ValidationError(_("the plan cannot be negative"), "amount")
    if User.get_or_none(User.id == user_id) is None:
        raise NotFound(_("user #{id} not found").format(id=user_id))
    month = _month_start(month)
    with write_tx():
        row = SalesTarget.get_or_none((SalesTarget.user == user_id) & (SalesTarget.month == month))
        if row is None:
            row = SalesTarget.create(user=user_id, month=month, amount_minor=amount_minor)
            audit(actor, "target", row.id, "create", {"amount_minor": [None, amount_minor]})
        else:
            versioned_update(SalesTarget, row.id, None, {"amount_minor": amount_minor})
            audit(actor, "target", row.id, "update", {"amount_minor": [row.amount_minor, amount_minor]})


def get_target(user_id: int, month: dt.date) -> int | None:
    return SalesTarget.select(SalesTarget.amount_minor).where(
        (SalesTarget.user == user_id) & (SalesTarget.month == _month_start(month))).scalar()


# --- running by name, saved reports --------------------------------------------------------

_RUNNERS = {"activity": manager_activity, "funnel": funnel, "winloss": won_lost, "forecast": forecast}
REPORT_ALIASES = {"activity": "activity", "managers": "activity", "funnel": "funnel", "winloss": "winloss",
                  "won-lost": "winloss", "wonlost": "winloss", "losses": "winloss", "forecast": "forecast"}


@dataclass(frozen=True)
class ReportParams:
    report: str = "activity"
    period: str = "this-month"  # a spec: relative ones stay relative when saved
    managers: tuple[int, ...] = ()
    pipeline_id: int | None = None
    tags: tuple[str, ...] = ()
    bucket: str = "auto"

    def to_json(self) -> str:
        return json.dumps({"report": self.report, "period": self.period, "managers": list(self.managers),
                           "pipeline_id": self.pipeline_id, "tags": list(self.tags), "bucket": self.bucket},
                          ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "ReportParams":
        data = json.loads(text or "{}")
        return cls(report=data.get("report", "activity"), period=data.get("period", "this-month"),
                   managers=tuple(int(m) for m in data.get("managers", ())), pipeline_id=data.get("pipeline_id"),
                   tags=tuple(data.get("tags", ())), bucket=data.get("bucket", "auto"))

    @property
    def filters(self) -> Filters:
        return Filters(self.managers, self.pipeline_id, self.tags)


def run(actor: Actor, params: ReportParams, *, tz: dt.tzinfo, today: dt.date | None = None,
        now: dt.datetime | None = None, period: Period | None = None) -> ReportResult:
    report = REPORT_ALIASES.get(params.report)
    if report is None:
        raise ValidationError(_("unknown report “{name}”: use activity, funnel, winloss or forecast").format(name=params.report), "report")
    now = now or utcnow()
    today = today or formatting.to_local(now, tz).date()
    period = period or parse_period(params.period, today)
    return _RUNNERS[report](actor, period, tz=tz, now=now, filters=params.filters, bucket=params.bucket)


@dataclass(frozen=True)
class SavedInfo:
    id: int
    name: str
    params: ReportParams
    slot: int | None
    row_version: int


def _saved_info(r: SavedReport) -> SavedInfo:
    return SavedInfo(r.id, r.name, ReportParams.from_json(r.params), r.slot, r.row_version)


def save_report(actor: Actor, name: str, params: ReportParams, slot: int | None = None) -> SavedInfo:
    """Save (or overwrite by name) the filters of a report under a name, optionally on slot 1–9."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("a saved report needs a name"), "name")
    if name.lower() in REPORT_ALIASES:
        raise ValidationError(_("“{name}” is the name of a built-in report; pick another").format(name=name), "name")
    if params.report not in REPORTS:
        raise ValidationError(_("unknown report “{name}”: use activity, funnel, winloss or forecast").format(name=params.report), "report")
    if slot is not None and not 1 <= slot <= 9:
        raise ValidationError(_("a slot is a number from 1 to 9"), "slot")
    parse_period(params.period, dt.date(2000, 1, 1))  # validates the spec
    with write_tx():
        if slot is not None:  # a slot holds one report
            SavedReport.update(slot=None).where((SavedReport.owner == actor.user_id) & (SavedReport.slot == slot) & (SavedReport.name != name)).execute()
        row = SavedReport.get_or_none((SavedReport.owner == actor.user_id) & (SavedReport.name == name))
        if row is None:
            row = SavedReport.create(name=name[:200], owner=actor.user_id, report=params.report, params=params.to_json(), slot=slot)
        else:
            versioned_update(SavedReport, row.id, None, {"report": params.report, "params": params.to_json(), "slot": slot})
            row = SavedReport.get_by_id(row.id)
    return _saved_info(row)


def list_saved(actor: Actor) -> list[SavedInfo]:
    q = SavedReport.select().where(SavedReport.owner == actor.user_id).order_by(
        SavedReport.slot.is_null(), SavedReport.slot, SavedReport.name)
    return [_saved_info(r) for r in q]


def get_saved(actor: Actor, name: str) -> SavedInfo | None:
    r = SavedReport.get_or_none((SavedReport.owner == actor.user_id) & (SavedReport.name == name.strip()))
    if r is None:  # case-insensitive second chance
        key = search_key(name)
        for cand in SavedReport.select().where(SavedReport.owner == actor.user_id):
            if search_key(cand.name) == key:
                return _saved_info(cand)
        return None
    return _saved_info(r)


def saved_in_slot(actor: Actor, slot: int) -> SavedInfo | None:
    r = SavedReport.get_or_none((SavedReport.owner == actor.user_id) & (SavedReport.slot == slot))
    return _saved_info(r) if r else None


def delete_saved(actor: Actor, saved_id: int) -> None:
    with write_tx():
        n = SavedReport.delete().where((SavedReport.id == saved_id) & (SavedReport.owner == actor.user_id)).execute()
    if not n:
        raise NotFound(_("saved report #{id} not found").format(id=saved_id))


# --- choices for the filters ---------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    id: int
    name: str


def manager_choices(actor: Actor) -> list[Choice]:
    q = User.select(User.id, User.name).where(User.is_active == True).order_by(User.name)  # noqa: E712
    if not actor.sees_all:
        q = q.where(User.id == actor.user_id)
    return [Choice(u.id, u.name) for u in q]


def pipeline_choices() -> list[Choice]:
    return [Choice(p.id, p.name) for p in Pipeline.select(Pipeline.id, Pipeline.name)
            .where(Pipeline.archived_at.is_null()).order_by(Pipeline.is_default.desc(), Pipeline.position, Pipeline.id)]


def tag_choices(limit: int = 200) -> list[str]:
    return [t.name for t in Tag.select(Tag.name).order_by(Tag.name_key).limit(limit)]
