"""Activities (calls, emails, faxes, letters, meetings, tasks): create, complete, and keep each
client's denormalized ``last_contact_at`` / ``next_activity_at`` in step."""

from __future__ import annotations

import datetime as dt

import peewee

from tuicrm.db.connection import write_tx
from tuicrm.model import Activity, Company, Person, utcnow
from tuicrm.model.enums import ActivityKind, Entity, Outcome
from tuicrm.services.base import Actor, NotFound, ValidationError, audit, versioned_update


def touch_clients(person_id: int | None, company_id: int | None) -> None:
    """Recompute last contact / next open activity of the client(s) (two indexed queries each)."""
    for model, fk, rid in ((Person, Activity.person, person_id), (Company, Activity.company, company_id)):
        if rid is None:
            continue
        base = Activity.select().where((fk == rid) & Activity.archived_at.is_null())
        last = base.select(peewee.fn.MAX(Activity.done_at)).scalar()
        nxt = base.select(peewee.fn.MIN(Activity.due_at)).where(Activity.done_at.is_null()).scalar()
        model.update(last_contact_at=last, next_activity_at=nxt).where(model.id == rid).execute()


def _validate(kind: str, outcome: str | None) -> None:
    if kind not in set(ActivityKind):
        raise ValidationError(f"unknown activity kind {kind!r}", "kind")
    if outcome is not None and outcome not in set(Outcome):
        raise ValidationError(f"unknown outcome {outcome!r}", "outcome")


def create_activity(
    actor: Actor,
    kind: str,
    subject: str = "",
    *,
    due_at: dt.datetime | None = None,
    duration_min: int | None = None,
    person_id: int | None = None,
    company_id: int | None = None,
    deal_id: int | None = None,
    assignee_id: int | None = None,
    done_at: dt.datetime | None = None,
    outcome: str | None = None,
    result: str | None = None,
    follow_up_of: int | None = None,
    import_batch_id: int | None = None,
) -> int:
    """Plan an activity (``due_at``) or log a finished one (``done_at``). Times are naive UTC."""
    _validate(kind, outcome)
    if person_id and company_id is None:
        company_id = Person.select(Person.company).where(Person.id == person_id).scalar()
    with write_tx():
        a = Activity.create(
            kind=kind, subject=(subject or "").strip()[:500], due_at=due_at, duration_min=duration_min,
            person=person_id, company=company_id, deal=deal_id,
            assignee=assignee_id if assignee_id is not None else actor.user_id, author=actor.user_id,
            done_at=done_at, outcome=outcome, result=(result or None), follow_up_of=follow_up_of,
            import_batch=import_batch_id,
        )
        touch_clients(person_id, company_id)
        audit(actor, Entity.ACTIVITY, a.id, "create", {"kind": [None, kind], "subject": [None, subject]})
    return a.id


def log_call(
    actor: Actor, *, direction: str = ActivityKind.CALL_OUT, outcome: str, result: str = "",
    person_id: int | None = None, company_id: int | None = None, deal_id: int | None = None,
    at: dt.datetime | None = None, subject: str = "",
) -> int:
    """A call that just happened: done now with its outcome and result."""
    when = at or utcnow()
    return create_activity(
        actor, direction, subject, due_at=when, done_at=when, outcome=outcome, result=result,
        person_id=person_id, company_id=company_id, deal_id=deal_id,
    )


def complete_activity(
    actor: Actor, activity_id: int, expected_version: int | None, *, outcome: str | None, result: str = "",
    done_at: dt.datetime | None = None,
) -> int:
    a = Activity.get_or_none(Activity.id == activity_id)
    if a is None:
        raise NotFound(f"activity #{activity_id} not found")
    _validate(a.kind, outcome)
    with write_tx():
        version = versioned_update(
            Activity, activity_id, expected_version,
            {"done_at": done_at or utcnow(), "outcome": outcome, "result": result or None},
        )
        touch_clients(a.person_id, a.company_id)
        audit(actor, Entity.ACTIVITY, activity_id, "complete", {"outcome": [None, outcome], "result": [None, result]})
    return version
