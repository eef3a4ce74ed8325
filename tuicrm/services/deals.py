"""Deals and the funnel: default pipeline, create, move between stages (every move recorded)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import peewee

from tuicrm.db.connection import write_tx
from tuicrm.model import Deal, LossReason, Competitor, Pipeline, Stage, StageChange, utcnow
from tuicrm.model.enums import Entity, StageKind
from tuicrm.services.base import Actor, Conflict, Forbidden, NotFound, ValidationError, audit, search_key, versioned_update

DEFAULT_STAGES = {
    "en": [("New lead", 10, "open", 14), ("Qualified", 25, "open", 14), ("Proposal", 50, "open", 21),
           ("Negotiation", 75, "open", 21), ("Won", 100, "won", None), ("Lost", 0, "lost", None)],
    "ru": [("Новый лид", 10, "open", 14), ("Квалификация", 25, "open", 14), ("Предложение", 50, "open", 21),
           ("Переговоры", 75, "open", 21), ("Успешно", 100, "won", None), ("Проиграна", 0, "lost", None)],
}
DEFAULT_PIPELINE = {"en": "Sales", "ru": "Продажи"}
DEFAULT_LOSS_REASONS = {
    "en": [("Price", False), ("Timing", False), ("Went silent", False), ("Chose a competitor", True), ("No budget", False)],
    "ru": [("Цена", False), ("Сроки", False), ("Пропал", False), ("Выбрал конкурента", True), ("Нет бюджета", False)],
}


def seed_defaults(lang: str = "ru") -> None:
    """A fresh base gets the default pipeline and loss reasons in the user's language."""
    lang = lang if lang in DEFAULT_STAGES else "en"
    with write_tx():
        if not Pipeline.select().exists():
            p = Pipeline.create(name=DEFAULT_PIPELINE[lang], is_default=True)
            for i, (name, prob, kind, stale) in enumerate(DEFAULT_STAGES[lang]):
                Stage.create(pipeline=p, name=name, position=i, probability=prob, kind=kind, stale_days=stale)
        if not LossReason.select().exists():
            for i, (name, needs) in enumerate(DEFAULT_LOSS_REASONS[lang]):
                LossReason.create(name=name, needs_competitor=needs, position=i)


def default_pipeline() -> Pipeline:
    p = Pipeline.select().where(Pipeline.archived_at.is_null()).order_by(Pipeline.is_default.desc(), Pipeline.position, Pipeline.id).first()
    if p is None:
        raise NotFound("there is no pipeline; run `tuicrm db upgrade`")
    return p


def stages(pipeline_id: int) -> list[Stage]:
    return list(Stage.select().where((Stage.pipeline == pipeline_id) & Stage.archived_at.is_null()).order_by(Stage.position, Stage.id))


def create_deal(
    actor: Actor, title: str, *, amount_minor: int = 0, currency: str = "RUB", person_id: int | None = None,
    company_id: int | None = None, stage_id: int | None = None, owner_id: int | None = None,
    expected_close: dt.date | None = None, probability: int | None = None, import_batch_id: int | None = None,
    created_at: dt.datetime | None = None,
) -> int:
    title = (title or "").strip()
    if not title:
        raise ValidationError("a deal needs a title", "title")
    if amount_minor < 0:
        raise ValidationError("the amount cannot be negative", "amount")
    if probability is not None and not 0 <= probability <= 100:
        raise ValidationError("probability is a percent from 0 to 100", "probability")
    stage = Stage.get_or_none(Stage.id == stage_id) if stage_id else stages(default_pipeline().id)[0]
    if stage is None:
        raise NotFound(f"stage #{stage_id} not found")
    now = created_at or utcnow()
    with write_tx():
        deal = Deal.create(
            title=title[:300], title_key=search_key(title), pipeline=stage.pipeline_id, stage=stage.id,
            person=person_id, company=company_id, amount_minor=amount_minor, currency=currency,
            probability=probability, owner=owner_id if owner_id is not None else actor.user_id,
            expected_close=expected_close, stage_entered_at=now, created_at=now, updated_at=now,
            closed_at=now if stage.kind != StageKind.OPEN else None, import_batch=import_batch_id,
        )
        StageChange.create(deal=deal.id, from_stage=None, to_stage=stage.id, user=actor.user_id, changed_at=now,
                           entered_at=None)
        audit(actor, Entity.DEAL, deal.id, "create", {"title": [None, title]})
    return deal.id


def record_stage_change(deal_id: int, from_stage_id: int | None, to_stage_id: int, user_id: int | None,
                        changed_at: dt.datetime, note: str | None = None) -> int:
    """Write a StageChange with its ``entered_at`` (the changed_at of the deal's previous change in
    (changed_at, id) order: one seek of the (deal_id, changed_at) index). A back-dated change that
    lands before later ones also becomes the ``entered_at`` of the change right after it, so the
    stored values always equal a LAG over the history. Call inside the write transaction."""
    prev = (StageChange.select(StageChange.changed_at)
            .where((StageChange.deal == deal_id) & (StageChange.changed_at <= changed_at))
            .order_by(StageChange.changed_at.desc(), StageChange.id.desc()).limit(1).scalar())
    sc_id = StageChange.insert(deal=deal_id, from_stage=from_stage_id, to_stage=to_stage_id, user=user_id,
                               changed_at=changed_at, note=note, entered_at=prev).execute()
    nxt = (StageChange.select(StageChange.id)
           .where((StageChange.deal == deal_id) & (StageChange.changed_at > changed_at))
           .order_by(StageChange.changed_at, StageChange.id).limit(1).scalar())
    if nxt is not None:
        StageChange.update(entered_at=changed_at).where(StageChange.id == nxt).execute()
    return sc_id


def move_deal(
    actor: Actor, deal_id: int, to_stage_id: int, expected_version: int | None, *,
    loss_reason_id: int | None = None, competitor_id: int | None = None, won_amount_minor: int | None = None,
    at: dt.datetime | None = None, note: str | None = None,
) -> int:
    """Move a deal to a stage; Lost needs a reason (and a competitor where the reason says so)."""
    deal = Deal.get_or_none(Deal.id == deal_id)
    if deal is None or deal.archived_at is not None:
        raise NotFound(f"deal #{deal_id} not found")
    _check_can_edit(actor, deal)
    target = Stage.get_or_none(Stage.id == to_stage_id)
    if target is None or target.pipeline_id != deal.pipeline_id or target.archived_at is not None:
        raise ValidationError("that stage is not in this deal's pipeline", "stage")
    if expected_version is not None and deal.row_version != expected_version:
        raise Conflict(f"deal #{deal_id} was changed by someone else meanwhile; reload it and apply your change again",
                       current_version=deal.row_version)
    if target.id == deal.stage_id:
        raise ValidationError(f"the deal is already in “{target.name}”", "stage")
    changes: dict = {"stage": target.id, "stage_entered_at": at or utcnow(), "position": 0}
    if target.kind == StageKind.LOST:
        reason = LossReason.get_or_none(LossReason.id == loss_reason_id) if loss_reason_id else None
        if reason is None:
            raise ValidationError("a lost deal needs a reason: say why it was lost", "loss_reason")
        if competitor_id and Competitor.get_or_none(Competitor.id == competitor_id) is None:
            raise ValidationError(f"competitor #{competitor_id} not found", "competitor")
        if reason.needs_competitor and not competitor_id:
            raise ValidationError(f"the reason “{reason.name}” needs the competitor who won", "competitor")
        changes.update(loss_reason=reason.id, competitor=competitor_id, closed_at=at or utcnow())
    elif target.kind == StageKind.WON:
        if won_amount_minor is not None:
            if won_amount_minor < 0:
                raise ValidationError("the amount cannot be negative", "amount")
            changes["amount_minor"] = won_amount_minor
        changes.update(closed_at=at or utcnow(), loss_reason=None, competitor=None)
    else:
        changes.update(closed_at=None, loss_reason=None, competitor=None)
    with write_tx():
        version = versioned_update(Deal, deal_id, expected_version, changes)
        record_stage_change(deal_id, deal.stage_id, target.id, actor.user_id, changes["stage_entered_at"], note)
        reopened = deal.closed_at is not None and target.kind == StageKind.OPEN
        audit(actor, Entity.DEAL, deal_id, "reopen" if reopened else "move", {"stage": [deal.stage_id, target.id]})
    return version


# --- amounts, probabilities ----------------------------------------------------------------------

_AMOUNT_CLEAN = re.compile(r"[\s\u00a0\u202f'_]")


def parse_amount(text: str | int | None) -> int:
    """A typed amount → minor units. '12 500', '12500,50', '12,500.50', '1.5' … Raises ValidationError
    (field 'amount') for empty, non-numeric or negative input."""
    if isinstance(text, int):
        value = text * 100
    else:
        raw = _AMOUNT_CLEAN.sub("", str(text or "")).replace("₽", "").replace("$", "").replace("€", "")
        if raw.lower().endswith(("rub", "руб", "р")):
            raw = re.sub(r"(?i)(rub|руб|р)\.?$", "", raw)
        if not raw:
            raise ValidationError("enter an amount (a number, e.g. 125000)", "amount")
        if raw.startswith("-"):
            raise ValidationError("the amount cannot be negative", "amount")
        # one separator followed by 1-2 digits at the end is the decimal mark; others group thousands
        m = re.fullmatch(r"(\d+(?:[.,]\d{3})*)(?:[.,](\d{1,2}))?", raw)
        if not m:
            raise ValidationError(f"“{text}” is not an amount: use digits, e.g. 125000 or 125 000,50", "amount")
        whole = int(re.sub(r"[.,]", "", m.group(1)))
        cents = int((m.group(2) or "0").ljust(2, "0"))
        value = whole * 100 + cents
    if value < 0:
        raise ValidationError("the amount cannot be negative", "amount")
    if value > 10**17:
        raise ValidationError("the amount is too large", "amount")
    return value


def parse_probability(text: str | int | None) -> int | None:
    """'' → None (use the stage's default); '40' or '40%' → 40; anything else → ValidationError."""
    if text is None:
        return None
    if isinstance(text, int):
        value = text
    else:
        raw = str(text).strip().rstrip("%").strip()
        if not raw:
            return None
        if not raw.isdigit():
            raise ValidationError("probability is a percent from 0 to 100", "probability")
        value = int(raw)
    if not 0 <= value <= 100:
        raise ValidationError("probability is a percent from 0 to 100", "probability")
    return value


def effective_probability(deal: Deal, stage: Stage | None = None) -> int:
    stage = stage or Stage.get_by_id(deal.stage_id)
    return deal.probability if deal.probability is not None else stage.probability


def update_deal(actor: Actor, deal_id: int, expected_version: int | None, **changes) -> int:
    """Edit a deal's fields: title, amount_minor, expected_close, probability (None = the stage's
    default), person_id, company_id, owner_id. Optimistic locking through ``expected_version``."""
    deal = _get_deal(deal_id)
    _check_can_edit(actor, deal)
    allowed = {"title", "amount_minor", "expected_close", "probability", "person_id", "company_id", "owner_id", "currency"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(f"unknown deal field(s): {', '.join(sorted(unknown))}")
    values: dict = {}
    if "title" in changes:
        title = (changes["title"] or "").strip()
        if not title:
            raise ValidationError("a deal needs a title", "title")
        values.update(title=title[:300], title_key=search_key(title))
    if "amount_minor" in changes:
        amount = changes["amount_minor"]
        if amount is None or amount < 0:
            raise ValidationError("the amount cannot be negative", "amount")
        values["amount_minor"] = int(amount)
    if "expected_close" in changes:
        values["expected_close"] = changes["expected_close"]
    if "probability" in changes:
        values["probability"] = parse_probability(changes["probability"])
    for key in ("person_id", "company_id", "owner_id"):
        if key in changes:
            values[key[:-3]] = changes[key]
    if "currency" in changes:
        values["currency"] = (changes["currency"] or "RUB").upper()[:3]
    before = {k: getattr(deal, f"{k}_id" if k in ("person", "company", "owner") else k) for k in values if k != "title_key"}
    with write_tx():
        version = versioned_update(Deal, deal_id, expected_version, values)
        audit(actor, Entity.DEAL, deal_id, "update",
              {k: [before[k], values[k]] for k in before if before[k] != values[k]})
    return version


def _get_deal(deal_id: int) -> Deal:
    deal = Deal.get_or_none(Deal.id == deal_id)
    if deal is None or deal.archived_at is not None:
        raise NotFound(f"deal #{deal_id} not found")
    return deal


def _check_can_edit(actor: Actor, deal: Deal) -> None:
    """Heads/admins edit any deal; a manager edits own deals and deals of clients he may see."""
    if actor.sees_all or actor.user_id is None or deal.owner_id in (None, actor.user_id):
        return
    from tuicrm.services.funnel import deal_visible  # no cycle at import time

    if not Deal.select().where((Deal.id == deal.id) & deal_visible(actor)).exists():
        raise Forbidden("this deal belongs to another manager's private client")


# --- won / lost / next & previous stage ----------------------------------------------------------

def stage_of_kind(pipeline_id: int, kind: str) -> Stage:
    stage = (Stage.select().where((Stage.pipeline == pipeline_id) & (Stage.kind == kind) & Stage.archived_at.is_null())
             .order_by(Stage.position, Stage.id).first())
    if stage is None:
        raise NotFound(f"this pipeline has no “{kind}” stage")
    return stage


def neighbour_stage(deal_id: int, step: int) -> Stage | None:
    """The stage before (step=-1) or after (step=+1) the deal's stage in pipeline order; None at an end."""
    deal = _get_deal(deal_id)
    order = stages(deal.pipeline_id)
    ids = [s.id for s in order]
    if deal.stage_id not in ids:
        return order[0] if order else None
    i = ids.index(deal.stage_id) + step
    return order[i] if 0 <= i < len(order) else None


def mark_won(actor: Actor, deal_id: int, expected_version: int | None, amount_minor: int | None = None) -> int:
    deal = _get_deal(deal_id)
    return move_deal(actor, deal_id, stage_of_kind(deal.pipeline_id, StageKind.WON).id, expected_version,
                     won_amount_minor=amount_minor)


def mark_lost(actor: Actor, deal_id: int, expected_version: int | None, loss_reason_id: int | None,
              competitor_id: int | None = None, *, competitor_required: bool = False) -> int:
    """Close as lost. A reason is always required; a competitor where the reason needs one or the user
    said a competitor won (``competitor_required``)."""
    deal = _get_deal(deal_id)
    if competitor_required and not competitor_id:
        raise ValidationError("say which competitor won the deal", "competitor")
    return move_deal(actor, deal_id, stage_of_kind(deal.pipeline_id, StageKind.LOST).id, expected_version,
                     loss_reason_id=loss_reason_id, competitor_id=competitor_id)


# --- loss reasons and competitors: editable lists ------------------------------------------------

@dataclass(frozen=True)
class Choice:
    id: int
    name: str
    needs_competitor: bool = False


def loss_reasons() -> list[Choice]:
    q = LossReason.select().where(LossReason.archived_at.is_null()).order_by(LossReason.position, LossReason.id)
    return [Choice(r.id, r.name, r.needs_competitor) for r in q]


def competitors() -> list[Choice]:
    q = Competitor.select().where(Competitor.archived_at.is_null()).order_by(Competitor.name, Competitor.id)
    return [Choice(c.id, c.name) for c in q]


def add_loss_reason(actor: Actor, name: str, needs_competitor: bool = False) -> Choice:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("a loss reason needs a name", "loss_reason")
    existing = next((r for r in LossReason.select() if search_key(r.name) == search_key(name)), None)
    if existing is not None:
        if existing.archived_at is not None:
            LossReason.update(archived_at=None).where(LossReason.id == existing.id).execute()
        return Choice(existing.id, existing.name, existing.needs_competitor)
    with write_tx():
        pos = (LossReason.select(peewee.fn.MAX(LossReason.position)).scalar() or 0) + 1
        r = LossReason.create(name=name[:200], needs_competitor=needs_competitor, position=pos)
    return Choice(r.id, r.name, r.needs_competitor)


def add_competitor(actor: Actor, name: str) -> Choice:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("a competitor needs a name", "competitor")
    existing = next((c for c in Competitor.select() if search_key(c.name) == search_key(name)), None)
    if existing is not None:
        if existing.archived_at is not None:
            Competitor.update(archived_at=None).where(Competitor.id == existing.id).execute()
        return Choice(existing.id, existing.name)
    with write_tx():
        c = Competitor.create(name=name[:200])
    return Choice(c.id, c.name)


# --- pipelines and stages: an admin edits them ---------------------------------------------------

@dataclass(frozen=True)
class StageInfo:
    id: int
    pipeline_id: int
    name: str
    position: int
    probability: int
    kind: str
    stale_days: int | None
    deals: int
    row_version: int


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden("only an admin may edit pipelines and stages")


def stage_infos(pipeline_id: int) -> list[StageInfo]:
    counts = dict(Deal.select(Deal.stage, peewee.fn.COUNT(Deal.id)).where(Deal.pipeline == pipeline_id)
                  .group_by(Deal.stage).tuples())
    return [StageInfo(s.id, s.pipeline_id, s.name, s.position, s.probability, s.kind, s.stale_days,
                      counts.get(s.id, 0), s.row_version) for s in stages(pipeline_id)]


def rename_pipeline(actor: Actor, pipeline_id: int, name: str) -> None:
    _require_admin(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationError("a pipeline needs a name", "name")
    with write_tx():
        versioned_update(Pipeline, pipeline_id, None, {"name": name[:200]})
        audit(actor, Entity.PIPELINE, pipeline_id, "update", {"name": [None, name]})


def _check_stage_values(name: str | None, probability, stale_days) -> dict:
    out: dict = {}
    if name is not None:
        name = name.strip()
        if not name:
            raise ValidationError("a stage needs a name", "name")
        out["name"] = name[:200]
    if probability is not None:
        p = parse_probability(probability)
        out["probability"] = 0 if p is None else p
    if stale_days is not None:
        if isinstance(stale_days, str):
            raw = stale_days.strip()
            if raw and not raw.isdigit():
                raise ValidationError("days before a deal goes stale: a whole number, or empty for never", "stale_days")
            stale_days = int(raw) if raw else 0
        if stale_days < 0:
            raise ValidationError("days before a deal goes stale cannot be negative", "stale_days")
        out["stale_days"] = stale_days or None
    return out


def add_stage(actor: Actor, pipeline_id: int, name: str, probability=0, stale_days=None, *, after_stage_id: int | None = None) -> int:
    """A new open stage, placed after ``after_stage_id`` (default: before the first closed stage)."""
    _require_admin(actor)
    values = _check_stage_values(name, probability if probability is not None else 0, stale_days if stale_days is not None else 0)
    order = stages(pipeline_id)
    if after_stage_id is not None and after_stage_id in [s.id for s in order]:
        index = [s.id for s in order].index(after_stage_id) + 1
    else:
        index = next((i for i, s in enumerate(order) if s.kind != StageKind.OPEN), len(order))
    with write_tx():
        stage = Stage.create(pipeline=pipeline_id, kind=StageKind.OPEN, position=index, **values)
        ids = [s.id for s in order]
        ids.insert(index, stage.id)
        _renumber(ids)
        audit(actor, Entity.STAGE, stage.id, "create", {"name": [None, values["name"]]})
    return stage.id


def update_stage(actor: Actor, stage_id: int, expected_version: int | None, *, name: str | None = None,
                 probability=None, stale_days=None) -> int:
    _require_admin(actor)
    stage = Stage.get_or_none(Stage.id == stage_id)
    if stage is None or stage.archived_at is not None:
        raise NotFound(f"stage #{stage_id} not found")
    values = _check_stage_values(name, probability, stale_days)
    with write_tx():
        version = versioned_update(Stage, stage_id, expected_version, values)
        audit(actor, Entity.STAGE, stage_id, "update", {k: [getattr(stage, k), v] for k, v in values.items()})
    return version


def move_stage(actor: Actor, stage_id: int, step: int) -> None:
    """Move a stage one place up (step=-1) or down (+1) in its pipeline's order."""
    _require_admin(actor)
    stage = Stage.get_or_none(Stage.id == stage_id)
    if stage is None:
        raise NotFound(f"stage #{stage_id} not found")
    ids = [s.id for s in stages(stage.pipeline_id)]
    i = ids.index(stage_id)
    j = i + step
    if not 0 <= j < len(ids):
        return
    ids[i], ids[j] = ids[j], ids[i]
    with write_tx():
        _renumber(ids)
        audit(actor, Entity.STAGE, stage_id, "reorder", {"position": [i, j]})


def _renumber(ids: list[int]) -> None:
    for pos, sid in enumerate(ids):
        Stage.update(position=pos).where(Stage.id == sid).execute()


def remove_stage(actor: Actor, stage_id: int) -> None:
    """Remove (archive) a stage. Refused while deals sit in it, or when it is the pipeline's only
    won / lost stage — no deal is ever lost by removing a stage."""
    _require_admin(actor)
    stage = Stage.get_or_none(Stage.id == stage_id)
    if stage is None or stage.archived_at is not None:
        raise NotFound(f"stage #{stage_id} not found")
    n = Deal.select().where(Deal.stage == stage_id).count()
    if n:
        raise ValidationError(
            f"the stage “{stage.name}” still holds {n} deal(s): move them to another stage first", "stage")
    if stage.kind != StageKind.OPEN:
        same = Stage.select().where((Stage.pipeline == stage.pipeline_id) & (Stage.kind == stage.kind)
                                    & Stage.archived_at.is_null()).count()
        if same <= 1:
            raise ValidationError(f"the stage “{stage.name}” is the pipeline's only {stage.kind} stage; it cannot be removed", "stage")
    if stage.kind == StageKind.OPEN:
        opens = Stage.select().where((Stage.pipeline == stage.pipeline_id) & (Stage.kind == StageKind.OPEN)
                                     & Stage.archived_at.is_null()).count()
        if opens <= 1:
            raise ValidationError("a pipeline needs at least one open stage", "stage")
    with write_tx():
        versioned_update(Stage, stage_id, None, {"archived_at": utcnow()})
        _renumber([s.id for s in stages(stage.pipeline_id)])
        audit(actor, Entity.STAGE, stage_id, "archive", {"name": [stage.name, None]})


def parse_close_date(text: str | None) -> dt.date | None:
    """'' → None; '2026-12-31', '31.12.2026', '31.12.26', '31/12/2026' → a date; else ValidationError."""
    raw = (text or "").strip()
    if not raw:
        return None
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%d.%m.%y", "%d/%m/%Y", "%d/%m/%y"):
        try:
            return dt.datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValidationError(f"“{raw}” is not a date: use 31.12.2026 or 2026-12-31", "expected_close")


def amount_text(amount_minor: int) -> str:
    """Minor units → what the amount field shows for editing ('125000' or '125000.50')."""
    whole, cents = divmod(int(amount_minor or 0), 100)
    return f"{whole}.{cents:02d}" if cents else str(whole)
