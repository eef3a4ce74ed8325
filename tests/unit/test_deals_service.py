"""Deals: stage history (forward, back, reopen), won/lost rules, probabilities, amounts, optimistic
locking, editable loss reasons/competitors, pipeline editing — on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from tuicrm.model import Deal, StageChange
from tuicrm.services import deals
from tuicrm.services.base import Actor, Conflict, Forbidden, ValidationError


def _stages(actor):
    return {s.name: s for s in deals.stages(deals.default_pipeline().id)}


def _history(deal_id):
    q = StageChange.select().where(StageChange.deal == deal_id).order_by(StageChange.id)
    return [(c.from_stage.name if c.from_stage_id else None, c.to_stage.name, c.user_id) for c in q]


def test_moves_forward_back_and_reopen_are_all_recorded(session, actor):
    st = _stages(actor)
    deal_id = deals.create_deal(actor, "Boxes", amount_minor=100_00)
    v = Deal.get_by_id(deal_id).row_version
    v = deals.move_deal(actor, deal_id, st["Qualified"].id, v)
    v = deals.move_deal(actor, deal_id, st["Proposal"].id, v)
    v = deals.move_deal(actor, deal_id, st["Qualified"].id, v)  # back
    v = deals.mark_won(actor, deal_id, v, amount_minor=90_00)
    d = Deal.get_by_id(deal_id)
    assert d.stage_id == st["Won"].id and d.closed_at is not None and d.amount_minor == 90_00
    v = deals.move_deal(actor, deal_id, st["Negotiation"].id, v)  # reopen
    d = Deal.get_by_id(deal_id)
    assert d.closed_at is None and d.stage_id == st["Negotiation"].id
    assert _history(deal_id) == [
        (None, "New lead", actor.user_id),
        ("New lead", "Qualified", actor.user_id),
        ("Qualified", "Proposal", actor.user_id),
        ("Proposal", "Qualified", actor.user_id),
        ("Qualified", "Won", actor.user_id),
        ("Won", "Negotiation", actor.user_id),
    ]


def test_neighbour_stage_walks_the_pipeline_order(session, actor):
    st = _stages(actor)
    deal_id = deals.create_deal(actor, "Walk")
    assert deals.neighbour_stage(deal_id, -1) is None
    assert deals.neighbour_stage(deal_id, +1).id == st["Qualified"].id
    deals.move_deal(actor, deal_id, st["Lost"].id, None, loss_reason_id=deals.loss_reasons()[0].id)
    assert deals.neighbour_stage(deal_id, +1) is None


def test_lost_needs_a_reason_and_the_competitor_where_asked(session, actor):
    deal_id = deals.create_deal(actor, "Pipes")
    v = Deal.get_by_id(deal_id).row_version
    with pytest.raises(ValidationError) as err:
        deals.mark_lost(actor, deal_id, v, None)
    assert err.value.field == "loss_reason" and "reason" in str(err.value)
    rival = [r for r in deals.loss_reasons() if r.needs_competitor][0]
    with pytest.raises(ValidationError) as err:
        deals.mark_lost(actor, deal_id, v, rival.id)
    assert err.value.field == "competitor"
    price = [r for r in deals.loss_reasons() if not r.needs_competitor][0]
    with pytest.raises(ValidationError):  # the user said a competitor won, but named none
        deals.mark_lost(actor, deal_id, v, price.id, None, competitor_required=True)
    assert Deal.get_by_id(deal_id).closed_at is None and len(_history(deal_id)) == 1  # nothing written
    acme = deals.add_competitor(actor, "  Acme   Pipes ")
    assert acme.name == "Acme Pipes"
    assert deals.add_competitor(actor, "acme pipes").id == acme.id  # no duplicates
    deals.mark_lost(actor, deal_id, v, rival.id, acme.id)
    d = Deal.get_by_id(deal_id)
    assert (d.loss_reason_id, d.competitor_id) == (rival.id, acme.id) and d.closed_at is not None
    assert _history(deal_id)[-1][1] == "Lost"


def test_loss_reasons_list_is_editable(session, actor):
    new = deals.add_loss_reason(actor, "Merged with a client", needs_competitor=False)
    assert new.name in [r.name for r in deals.loss_reasons()]
    with pytest.raises(ValidationError):
        deals.add_loss_reason(actor, "   ")


def test_conflict_when_someone_else_moved_the_deal(session, actor):
    st = _stages(actor)
    deal_id = deals.create_deal(actor, "Shared")
    stale_version = Deal.get_by_id(deal_id).row_version
    deals.move_deal(actor, deal_id, st["Qualified"].id, stale_version)  # the other user
    with pytest.raises(Conflict):
        deals.move_deal(actor, deal_id, st["Proposal"].id, stale_version)
    assert Deal.get_by_id(deal_id).stage_id == st["Qualified"].id
    assert len(_history(deal_id)) == 2
    with pytest.raises(Conflict):
        deals.update_deal(actor, deal_id, stale_version, amount_minor=5)


def test_probability_defaults_to_the_stage_and_can_be_overridden(session, actor):
    st = _stages(actor)
    deal_id = deals.create_deal(actor, "Prob", stage_id=st["Proposal"].id)
    d = Deal.get_by_id(deal_id)
    assert d.probability is None and deals.effective_probability(d) == 50
    v = deals.update_deal(actor, deal_id, d.row_version, probability="35%")
    assert deals.effective_probability(Deal.get_by_id(deal_id)) == 35
    v = deals.move_deal(actor, deal_id, st["Negotiation"].id, v)
    assert deals.effective_probability(Deal.get_by_id(deal_id)) == 35  # the override stays
    deals.update_deal(actor, deal_id, v, probability="")
    assert deals.effective_probability(Deal.get_by_id(deal_id)) == 75
    with pytest.raises(ValidationError):
        deals.update_deal(actor, deal_id, None, probability="150")


@pytest.mark.parametrize("text, minor", [
    ("125000", 125_000_00), ("125 000", 125_000_00), ("125\u00a0000,50", 125_000_50), ("12,500.5", 12_500_50),
    ("1.5", 1_50), ("0", 0), ("99 ₽", 99_00),
])
def test_parse_amount_accepts_usual_spellings(text, minor):
    assert deals.parse_amount(text) == minor


@pytest.mark.parametrize("text", ["", "-5", "abc", "12a", "1,2,3,4.5.6"])
def test_parse_amount_refuses_bad_input_with_a_reason(text):
    with pytest.raises(ValidationError) as err:
        deals.parse_amount(text)
    assert err.value.field == "amount" and str(err.value)


def test_update_deal_edits_amount_and_close_date(session, actor):
    deal_id = deals.create_deal(actor, "Edit me", amount_minor=1)
    v = Deal.get_by_id(deal_id).row_version
    deals.update_deal(actor, deal_id, v, amount_minor=deals.parse_amount("2 500"), expected_close=dt.date(2026, 12, 15))
    d = Deal.get_by_id(deal_id)
    assert d.amount_minor == 2_500_00 and d.expected_close == dt.date(2026, 12, 15) and d.row_version == v + 1
    with pytest.raises(ValidationError):
        deals.update_deal(actor, deal_id, None, amount_minor=-1)


def test_manager_cannot_move_a_private_clients_deal_of_another(session, actor):
    from tuicrm.services import contacts, users

    other = users.actor_for(users.create_user("petrov", "Petrov", "manager"))
    me = users.actor_for(users.create_user("ivanov", "Ivanov", "manager"))
    pid = contacts.create_person(other, full_name="Secret Client", visibility="private")
    deal_id = deals.create_deal(other, "Hidden", person_id=pid)
    with pytest.raises((Forbidden,)):
        deals.update_deal(me, deal_id, None, amount_minor=1)


def test_pipeline_editing_is_for_admins_and_never_loses_deals(session, actor):
    from tuicrm.services import users

    pid = deals.default_pipeline().id
    st = _stages(actor)
    manager = Actor(user_id=users.create_user("mgr", "Mgr").id, role="manager")
    with pytest.raises(Forbidden):
        deals.add_stage(manager, pid, "Demo")
    demo = deals.add_stage(actor, pid, "Demo", probability="40", stale_days="7", after_stage_id=st["Qualified"].id)
    names = [s.name for s in deals.stages(pid)]
    assert names == ["New lead", "Qualified", "Demo", "Proposal", "Negotiation", "Won", "Lost"]
    info = {s.name: s for s in deals.stage_infos(pid)}
    assert (info["Demo"].probability, info["Demo"].stale_days) == (40, 7)
    deals.update_stage(actor, demo, None, name="Demo call", probability=45, stale_days="")
    deals.move_stage(actor, demo, -1)
    assert [s.name for s in deals.stages(pid)][1:3] == ["Demo call", "Qualified"]
    deal_id = deals.create_deal(actor, "In demo", stage_id=demo)
    with pytest.raises(ValidationError) as err:
        deals.remove_stage(actor, demo)
    assert "move them" in str(err.value)
    with pytest.raises(ValidationError):
        deals.remove_stage(actor, st["Won"].id)  # the only won stage
    with pytest.raises(ValidationError):
        deals.update_stage(actor, demo, None, probability="abc")
    deals.move_deal(actor, deal_id, st["Proposal"].id, None)
    deals.remove_stage(actor, demo)
    assert "Demo call" not in [s.name for s in deals.stages(pid)]
    assert Deal.get_by_id(deal_id).stage_id == st["Proposal"].id
    deals.rename_pipeline(actor, pid, "Wholesale")
    assert deals.default_pipeline().name == "Wholesale"
    with pytest.raises(Forbidden):
        deals.remove_stage(manager, st["New lead"].id)
