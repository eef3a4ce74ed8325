"""Reminders while the app is open (no Textual here; the app polls ``ReminderTracker.poll``).

Every poll runs two small indexed queries:
- the user's open activities due between the last poll and ``now + lead`` (``(assignee, due_at)``);
- activities assigned to the user by someone else since the last poll (``created_at``), so a
  colleague's task on a shared base is announced too.
The tracker remembers what it announced (activity id, due time, kind of notice), so nothing is
announced twice, and a moved activity is announced again for its new time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import peewee

from tuicrm.model import Activity, Company, Person, User

LEAD, DUE, ASSIGNED = "lead", "due", "assigned"
POLL_SECONDS = 30
MAX_PER_POLL = 20


@dataclass(frozen=True)
class Reminder:
    notice: str  # lead / due / assigned
    activity_id: int
    kind: str
    subject: str
    due_at: dt.datetime | None
    client: str
    author: str | None = None


def _query(cond):
    return (
        Activity.select(Activity.id, Activity.kind, Activity.subject, Activity.due_at, Activity.author,
                        Person.full_name.alias("person_name"), Company.name.alias("company_name"),
                        User.name.alias("author_name"))
        .join(Person, peewee.JOIN.LEFT_OUTER, on=(Activity.person == Person.id))
        .switch(Activity).join(Company, peewee.JOIN.LEFT_OUTER, on=(Activity.company == Company.id))
        .switch(Activity).join(User, peewee.JOIN.LEFT_OUTER, on=(Activity.author == User.id))
        .where(cond & Activity.done_at.is_null() & Activity.archived_at.is_null())
    )


def _client(r: dict) -> str:
    return " · ".join(x for x in (r["person_name"], r["company_name"]) if x)


def due_between(user_id: int, start: dt.datetime, end: dt.datetime, limit: int = MAX_PER_POLL) -> list[dict]:
    q = _query((Activity.assignee == user_id) & (Activity.due_at > start) & (Activity.due_at <= end))
    return list(q.order_by(Activity.due_at, Activity.id).limit(limit).dicts())


def assigned_since(user_id: int, since: dt.datetime, limit: int = MAX_PER_POLL) -> list[dict]:
    q = _query((Activity.created_at >= since) & (Activity.assignee == user_id)
               & ((Activity.author != user_id) | Activity.author.is_null()))
    return list(q.order_by(Activity.created_at, Activity.id).limit(limit).dicts())


@dataclass
class ReminderTracker:
    """Remembers what was announced. ``poll(now)`` returns only new notices."""

    user_id: int
    lead_minutes: int = 10
    started: dt.datetime | None = None
    catch_up: dt.timedelta = dt.timedelta(minutes=2)  # on start, announce what fell due just now
    announced: set[tuple[int, dt.datetime | None, str]] = field(default_factory=set)
    last_poll: dt.datetime | None = None

    def poll(self, now: dt.datetime) -> list[Reminder]:
        """New notices at ``now`` (naive UTC): due ones, ones due within the lead time, and ones
        a colleague assigned since the last poll."""
        lead = dt.timedelta(minutes=max(0, self.lead_minutes))
        window_start = (self.last_poll or self.started or now) - self.catch_up
        # created_at comes from the writer's clock: look back a little, the set removes repeats
        created_since = (self.last_poll or self.started or now) - self.catch_up
        out: list[Reminder] = []
        for r in due_between(self.user_id, window_start, now + lead):
            self._add(out, DUE if r["due_at"] <= now else LEAD, r)
        for r in assigned_since(self.user_id, created_since):
            self._add(out, ASSIGNED, r)
        self.last_poll = now
        return out

    def _add(self, out: list[Reminder], notice: str, r: dict) -> None:
        key = (r["id"], r["due_at"], notice)
        if key in self.announced:
            return
        if notice == LEAD and (r["id"], r["due_at"], DUE) in self.announced:
            return
        self.announced.add(key)
        out.append(Reminder(notice, r["id"], r["kind"], r["subject"] or "", r["due_at"], _client(r), r["author_name"]))
