"""Deals and the funnel: default pipeline, create, move between stages (every move recorded)."""

from __future__ import annotations

import datetime as dt

from tuicrm.db.connection import write_tx
from tuicrm.model import Deal, LossReason, Competitor, Pipeline, Stage, StageChange, utcnow
from tuicrm.model.enums import Entity, StageKind
from tuicrm.services.base import Actor, NotFound, ValidationError, audit, search_key, versioned_update

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
        StageChange.create(deal=deal.id, from_stage=None, to_stage=stage.id, user=actor.user_id, changed_at=now)
        audit(actor, Entity.DEAL, deal.id, "create", {"title": [None, title]})
    return deal.id


def move_deal(
    actor: Actor, deal_id: int, to_stage_id: int, expected_version: int | None, *,
    loss_reason_id: int | None = None, competitor_id: int | None = None, won_amount_minor: int | None = None,
    at: dt.datetime | None = None, note: str | None = None,
) -> int:
    """Move a deal to a stage; Lost needs a reason (and a competitor where the reason says so)."""
    deal = Deal.get_or_none(Deal.id == deal_id)
    if deal is None:
        raise NotFound(f"deal #{deal_id} not found")
    target = Stage.get_or_none(Stage.id == to_stage_id)
    if target is None or target.pipeline_id != deal.pipeline_id:
        raise ValidationError("that stage is not in this deal's pipeline", "stage")
    changes: dict = {"stage": target.id, "stage_entered_at": at or utcnow()}
    if target.kind == StageKind.LOST:
        reason = LossReason.get_or_none(LossReason.id == loss_reason_id) if loss_reason_id else None
        if reason is None:
            raise ValidationError("a lost deal needs a reason: say why it was lost", "loss_reason")
        if reason.needs_competitor and not (competitor_id and Competitor.get_or_none(Competitor.id == competitor_id)):
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
        StageChange.create(deal=deal_id, from_stage=deal.stage_id, to_stage=target.id, user=actor.user_id, changed_at=at or utcnow(), note=note)
        audit(actor, Entity.DEAL, deal_id, "move", {"stage": [deal.stage_id, target.id]})
    return version
