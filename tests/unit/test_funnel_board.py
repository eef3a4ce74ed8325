"""The board query and the forecast on SQLite and PostgreSQL: counts, sums, stale deals, pages,
filters, visibility, and forecast figures computed by hand."""

from __future__ import annotations

import datetime as dt

from tuicrm.model import Deal, DealTag, Tag, set_clock
from tuicrm.services import activities, contacts, deals, funnel, users
from tuicrm.services.base import Actor

NOW = dt.datetime(2026, 11, 27, 7, 0, 0)


def _st():
    return {s.name: s for s in deals.stages(deals.default_pipeline().id)}


def _team():
    ann = users.actor_for(users.create_user("ann", "Ann", "manager"))
    bob = users.actor_for(users.create_user("bob", "Bob", "manager"))
    return ann, bob


def test_columns_count_sum_and_stale(session, actor):
    st = _st()
    ann, bob = _team()
    old = NOW - dt.timedelta(days=20)  # New lead goes stale after 14 days
    a = deals.create_deal(ann, "Old lead", amount_minor=1000_00, created_at=old)
    deals.create_deal(ann, "Fresh lead", amount_minor=500_00, created_at=NOW - dt.timedelta(days=3))
    deals.create_deal(bob, "Proposal one", amount_minor=200_00, stage_id=st["Proposal"].id, created_at=old)
    won = deals.create_deal(bob, "Closed", amount_minor=50_00)
    deals.mark_won(bob, won, None, 70_00)
    b = funnel.board(actor, now=NOW)
    cols = {c.name: c for c in b.columns}
    assert [c.name for c in b.columns] == ["New lead", "Qualified", "Proposal", "Negotiation", "Won", "Lost"]
    assert (cols["New lead"].count, cols["New lead"].amount_minor, cols["New lead"].stale_count) == (2, 1500_00, 1)
    assert (cols["Proposal"].count, cols["Proposal"].stale_count) == (1, 0)  # 20 days < 21
    assert (cols["Won"].count, cols["Won"].amount_minor, cols["Won"].cards, cols["Won"].collapsed) == (1, 70_00, (), True)
    cards = {c.title: c for c in cols["New lead"].cards}
    assert cards["Old lead"].stale and cards["Old lead"].days_in_stage == 20 and cards["Old lead"].owner == "Ann"
    assert not cards["Fresh lead"].stale and cards["Old lead"].next_at is None
    expanded = funnel.board(actor, collapsed=set(), now=NOW)
    assert [c.title for c in expanded.columns[4].cards] == ["Closed"]
    assert a in [c.id for c in cols["New lead"].cards]


def test_cards_show_client_and_next_activity(session, actor):
    cid = contacts.create_company(actor, name="Romashka LLC")
    pid = contacts.create_person(actor, full_name="Ivan Petrov", company_id=cid)
    deal_id = deals.create_deal(actor, "Pallets", person_id=pid, company_id=cid)
    activities.create_activity(actor, "call_out", "Call about pallets", due_at=NOW + dt.timedelta(days=2), deal_id=deal_id)
    activities.create_activity(actor, "task", "Later", due_at=NOW + dt.timedelta(days=5), deal_id=deal_id)
    card = funnel.board(actor, now=NOW).columns[0].cards[0]
    assert card.client == "Romashka LLC · Ivan Petrov"
    assert card.next_at == NOW + dt.timedelta(days=2) and card.next_subject == "Call about pallets"


def test_pages_and_more(session, actor):
    for i in range(7):
        deals.create_deal(actor, f"Deal {i}", amount_minor=i)
    b = funnel.board(actor, page=3, now=NOW)
    col = b.columns[0]
    assert (col.count, len(col.cards), col.more) == (7, 3, 4)
    nxt = funnel.column_cards(actor, col.stage_id, offset=3, limit=3, now=NOW)
    assert len(nxt) == 3 and not {c.id for c in nxt} & {c.id for c in col.cards}
    b = funnel.board(actor, page=3, limits={col.stage_id: 6}, now=NOW)
    assert (len(b.columns[0].cards), b.columns[0].more) == (6, 1)


def test_filters_mine_owner_tag_and_close_period(session, actor):
    ann, bob = _team()
    d1 = deals.create_deal(ann, "Ann Dec", amount_minor=100, expected_close=dt.date(2026, 12, 10))
    deals.create_deal(bob, "Bob Jan", amount_minor=200, expected_close=dt.date(2027, 1, 5))
    deals.create_deal(bob, "Bob Nov", amount_minor=400, expected_close=dt.date(2026, 11, 30))
    tag = Tag.create(name="Wholesale", name_key="wholesale")
    DealTag.create(deal=d1, tag=tag)

    def titles(who, flt):
        return sorted(c.title for col in funnel.board(who, flt=flt, now=NOW).columns for c in col.cards)

    assert titles(actor, funnel.BoardFilter()) == ["Ann Dec", "Bob Jan", "Bob Nov"]
    assert titles(ann, funnel.BoardFilter(scope="mine")) == ["Ann Dec"]
    assert titles(actor, funnel.BoardFilter(scope="user", owner_id=bob.user_id)) == ["Bob Jan", "Bob Nov"]
    assert titles(actor, funnel.BoardFilter(tag_id=tag.id)) == ["Ann Dec"]
    lo, hi = funnel.period("this_month", NOW.date())
    assert (lo, hi) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert titles(actor, funnel.BoardFilter(close_from=lo, close_to=hi)) == ["Bob Nov"]
    assert funnel.period("next_month", NOW.date()) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert funnel.period("this_quarter", NOW.date()) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert [o.name for o in funnel.deal_tags()] == ["Wholesale"]
    assert [o.name for o in funnel.owners(ann)] == ["Ann"]


def test_manager_sees_own_and_shared_clients_deals_only(session, actor):
    ann, bob = _team()
    private = contacts.create_person(bob, full_name="Private Client", visibility="private", owner_id=bob.user_id)
    shared = contacts.create_person(bob, full_name="Shared Client", owner_id=bob.user_id)
    deals.create_deal(bob, "Bob private", person_id=private)
    deals.create_deal(bob, "Bob shared", person_id=shared)
    deals.create_deal(ann, "Ann own", person_id=private)  # Ann owns the deal: she sees it
    seen = sorted(c.title for col in funnel.board(ann, now=NOW).columns for c in col.cards)
    assert seen == ["Ann own", "Bob shared"]
    head = funnel.board(actor, now=NOW)
    assert sum(c.count for c in head.columns) == 3


def test_forecast_by_owner_and_month_hand_computed(session, actor):
    st = _st()
    ann, bob = _team()
    # Ann: 1000.00 in Proposal (50%) Dec; 333.33 in Qualified (25%) with an override of 30% Dec
    deals.create_deal(ann, "A1", amount_minor=1000_00, stage_id=st["Proposal"].id, expected_close=dt.date(2026, 12, 1))
    deals.create_deal(ann, "A2", amount_minor=333_33, stage_id=st["Qualified"].id, probability=30,
                      expected_close=dt.date(2026, 12, 20))
    # Bob: 200.00 in Negotiation (75%) Jan; 80.00 in New lead (10%) without a date
    deals.create_deal(bob, "B1", amount_minor=200_00, stage_id=st["Negotiation"].id, expected_close=dt.date(2027, 1, 3))
    deals.create_deal(bob, "B2", amount_minor=80_00)
    # closed deals never count
    w = deals.create_deal(bob, "Won", amount_minor=9999_00, expected_close=dt.date(2026, 12, 1))
    deals.mark_won(bob, w, None)
    f = funnel.forecast(actor)
    ann_w = 1000_00 * 50 / 100 + 333_33 * 30 / 100  # 500.00 + 99.999 → 599.999
    assert dict((n, v) for _, n, v in f.by_owner) == {"Ann": round(ann_w), "Bob": 150_00 + 8_00}
    assert dict(f.by_month) == {"2026-12": round(ann_w), "2027-01": 150_00, "": 8_00}
    assert [m for m, _ in f.by_month] == ["2026-12", "2027-01", ""]
    assert f.total_minor == round(ann_w) + 158_00
    only_bob = funnel.forecast(actor, flt=funnel.BoardFilter(scope="user", owner_id=bob.user_id))
    assert only_bob.total_minor == 158_00
    # moving a deal changes the forecast: B2 to Proposal → 80.00 × 50%
    b2 = Deal.get(Deal.title == "B2")
    deals.move_deal(bob, b2.id, st["Proposal"].id, b2.row_version)
    assert funnel.forecast(actor, flt=funnel.BoardFilter(scope="user", owner_id=bob.user_id)).total_minor == 150_00 + 40_00


def test_deal_detail_has_history_activities_notes(session, actor):
    from tuicrm.model import Note

    set_clock(lambda: NOW - dt.timedelta(days=2))
    try:
        deal_id = deals.create_deal(actor, "Detail", amount_minor=10_00)
    finally:
        set_clock(None)
    st = _st()
    deals.move_deal(actor, deal_id, st["Qualified"].id, None, at=NOW)
    activities.create_activity(actor, "meeting", "Demo", due_at=NOW + dt.timedelta(days=1), deal_id=deal_id)
    Note.create(text="Wants a discount", deal=deal_id, author=actor.user_id)
    d = funnel.deal_detail(actor, deal_id, now=NOW)
    assert [(h.from_stage, h.to_stage) for h in d.history] == [("New lead", "Qualified"), (None, "New lead")]
    assert [a.subject for a in d.activities] == ["Demo"] and [n.text for n in d.notes] == ["Wants a discount"]
    assert d.stage == "Qualified" and d.card.probability == 25


def test_visibility_hides_detail_too(session, actor):
    ann, bob = _team()
    private = contacts.create_person(bob, full_name="Hidden", visibility="private", owner_id=bob.user_id)
    deal_id = deals.create_deal(bob, "Hidden deal", person_id=private)
    import pytest

    from tuicrm.services.base import NotFound

    with pytest.raises(NotFound):
        funnel.deal_detail(ann, deal_id)
    assert funnel.deal_detail(Actor(user_id=None, role="head"), deal_id).card.title == "Hidden deal"


def test_partial_refresh_after_a_move_equals_a_full_board(session, actor):
    st = _st()
    ann, bob = _team()
    for i in range(4):
        deals.create_deal(ann if i % 2 else bob, f"D{i}", amount_minor=(i + 1) * 100_00, created_at=NOW - dt.timedelta(days=i * 10))
    w = deals.create_deal(bob, "Closed", amount_minor=5_00)
    deals.mark_won(bob, w, None)
    before = funnel.board(actor, now=NOW, collapsed=set())
    moving = before.columns[0].cards[-1]
    deals.move_deal(actor, moving.id, st["Proposal"].id, moving.row_version, at=NOW)
    partial = funnel.board(actor, now=NOW, collapsed=set(), reuse=before, changed={st["New lead"].id, st["Proposal"].id})
    full = funnel.board(actor, now=NOW, collapsed=set())
    assert partial == full
    assert partial.columns[4] is before.columns[4]  # Won was not queried again
    assert [c.count for c in full.columns] == [3, 0, 1, 0, 1, 0]
