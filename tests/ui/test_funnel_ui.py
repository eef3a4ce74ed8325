"""The Funnel with real keys (Pilot): move forward/back, won with the amount, lost with reason and
competitor, filter by owner, conflict, bad amount inline, new deal, deal card, pipeline editor —
asserting the base AND the screen."""

from __future__ import annotations

import datetime as dt

from tuicrm.model import Activity, Competitor, Deal, LossReason, Stage, StageChange
from tuicrm.services import contacts, deals, users
from tuicrm.ui.app import create_app

NOW = dt.datetime(2026, 11, 27, 7, 0, 0)


def build_board_data(actor) -> dict:
    """Small fixed data: two managers, a client, five deals over the stages (deterministic)."""
    ann = users.actor_for(users.create_user("ann", "Ann Smith", "manager"))
    bob = users.actor_for(users.create_user("bob", "Bob Jones", "manager"))
    st = {s.name: s.id for s in deals.stages(deals.default_pipeline().id)}
    cid = contacts.create_company(actor, name="Romashka LLC")
    pid = contacts.create_person(actor, full_name="Ivan Petrov", company_id=cid)
    ids = {
        "pallets": deals.create_deal(ann, "Pallets for Q1", amount_minor=120_000_00, person_id=pid, company_id=cid,
                                     expected_close=dt.date(2026, 12, 20), created_at=NOW - dt.timedelta(days=20)),
        "racks": deals.create_deal(bob, "Racks", amount_minor=45_500_00, company_id=cid,
                                   expected_close=dt.date(2027, 1, 15), created_at=NOW - dt.timedelta(days=3)),
        "cable": deals.create_deal(ann, "Cable 3 km", amount_minor=300_000_00, stage_id=st["Proposal"],
                                   probability=60, expected_close=dt.date(2026, 12, 5), created_at=NOW - dt.timedelta(days=9)),
        "forklift": deals.create_deal(bob, "Forklift", amount_minor=2_400_000_00, stage_id=st["Negotiation"],
                                      expected_close=dt.date(2026, 12, 28), created_at=NOW - dt.timedelta(days=30)),
        "done": deals.create_deal(ann, "Old order", amount_minor=10_000_00, created_at=NOW - dt.timedelta(days=40)),
    }
    deals.mark_won(ann, ids["done"], None)
    from tuicrm.services import activities

    activities.create_activity(ann, "call_out", "Call Ivan", due_at=NOW + dt.timedelta(days=1), deal_id=ids["pallets"],
                               person_id=pid)
    return {"ann": ann, "bob": bob, "stages": st, "ids": ids}


def plain(widget) -> str:
    """What a Static shows, as plain text (tables included)."""
    from rich.console import Console

    console = Console(width=200, record=True, file=open("/dev/null", "w"))  # noqa: SIM115
    console.print(widget.content)
    return console.export_text()


async def until(pilot, cond, timeout: float = 10.0) -> None:
    loop_time = 0.0
    while not cond():
        await pilot.pause(0.02)
        loop_time += 0.02
        if loop_time > timeout:
            raise AssertionError("condition not reached in time")


async def open_funnel(pilot, app):
    await pilot.press("3")
    await until(pilot, lambda: app.current_mode == "funnel" and getattr(app.screen, "loaded", 0) > 0)
    return app.screen


def titles(screen, col: int) -> list[str]:
    return [c.info.title for c in screen.view.columns[col].cards]


def history(deal_id: int) -> list[str]:
    q = StageChange.select().where(StageChange.deal == deal_id).order_by(StageChange.id)
    return [Stage.get_by_id(c.to_stage_id).name for c in q]


async def test_move_forward_and_back_by_keys(ui_session, frozen_clock):
    data = build_board_data(ui_session.actor)
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_funnel(pilot, app)
        assert titles(screen, 0) == ["Racks", "Pallets for Q1"]  # newest first
        assert screen.selected().title == "Racks"
        await pilot.press("j")
        assert screen.selected().title == "Pallets for Q1"
        before = screen.loaded
        await pilot.press("L")
        await until(pilot, lambda: screen.loaded > before)
        deal = Deal.get_by_id(data["ids"]["pallets"])
        assert deal.stage_id == data["stages"]["Qualified"]
        assert titles(screen, 1) == ["Pallets for Q1"] and screen.selected().title == "Pallets for Q1"
        assert screen.col_index == 1
        before = screen.loaded
        await pilot.press("shift+left")
        await until(pilot, lambda: screen.loaded > before)
        assert Deal.get_by_id(deal.id).stage_id == data["stages"]["New lead"]
        assert history(deal.id) == ["New lead", "Qualified", "New lead"]
        assert "Pallets for Q1" in titles(screen, 0)
        header = str(screen.view.columns[0].query_one(".column-header").render())
        assert "2 · " in header

        # someone else moves "Racks" meanwhile; our L on the stale card is refused, the board refreshes
        assert titles(screen, 0) == ["Pallets for Q1", "Racks"]  # the moved deal is on top
        await pilot.press("j")
        assert screen.selected().title == "Racks"
        racks = Deal.get_by_id(data["ids"]["racks"])
        deals.move_deal(data["bob"], racks.id, data["stages"]["Proposal"], racks.row_version)
        before = screen.loaded
        await pilot.press("L")
        await until(pilot, lambda: screen.loaded > before)
        assert Deal.get_by_id(racks.id).stage_id == data["stages"]["Proposal"]  # not overwritten
        assert history(racks.id) == ["New lead", "Proposal"]
        assert "Racks" in titles(screen, 2) and "Racks" not in titles(screen, 0)
        assert any("someone else" in n.message for n in app._notifications)

        # a long column: a page of cards and a "+N more" row that loads the next page
        for i in range(13):
            deals.create_deal(data["bob"], f"Bulk {i:02d}", stage_id=data["stages"]["Negotiation"], created_at=NOW)
        before = screen.loaded
        await pilot.press("r")
        await until(pilot, lambda: screen.loaded > before)
        await pilot.press(*["h"] * 5, "l", "l", "l")
        column = screen.view.columns[screen.col_index]
        assert column.column.name == "Negotiation" and (len(column.cards), column.column.more) == (12, 2)
        assert "+2 more" in str(column.more_row.render())
        await pilot.press(*["j"] * 12)
        assert screen.selected() is None and screen.row_index == 12  # on the "+2 more" row
        before = screen.loaded
        await pilot.press("enter")
        await until(pilot, lambda: screen.loaded > before)
        assert (len(column.cards), column.column.more, column.more_row) == (14, 0, None)


async def test_won_with_amount_then_lost_with_reason_and_competitor(ui_session, frozen_clock):
    data = build_board_data(ui_session.actor)
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_funnel(pilot, app)
        await pilot.press("l", "l", "l")  # Negotiation: Forklift
        assert screen.selected().title == "Forklift"
        await pilot.press("w")
        await until(pilot, lambda: app.screen.__class__.__name__ == "WonModal")
        field = app.screen.query_one("#won-amount")
        assert field.value == "2400000"
        field.value = ""
        await pilot.press(*"abc", "enter")
        await pilot.pause()
        assert "amount must be a number" in str(app.screen.query_one("#won-error").render())
        field.value = ""
        await pilot.press(*"2 350 000", "enter")
        await until(pilot, lambda: app.screen is screen and screen.view.columns[4].column.count == 2)
        deal = Deal.get_by_id(data["ids"]["forklift"])
        assert deal.stage_id == data["stages"]["Won"] and deal.amount_minor == 2_350_000_00 and deal.closed_at
        assert "Forklift" not in titles(screen, 3)
        assert "2 · " not in str(screen.view.columns[4].query_one(".column-header").render())  # collapsed: count on its own line
        assert "2\n" in str(screen.view.columns[4].query_one(".column-header").render())

        # Lost: reason and competitor (both lists editable right there)
        await pilot.press("h")  # Proposal: Cable 3 km
        assert screen.selected().title == "Cable 3 km"
        await pilot.press("x")
        await until(pilot, lambda: app.screen.__class__.__name__ == "LostModal" and app.screen.reasons)
        modal = app.screen
        await pilot.press("down", "down", "down")  # "Chose a competitor": needs one
        assert modal.chosen_reason().name == "Chose a competitor"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "needs the competitor" in str(modal.query_one("#lost-error").render())
        assert Deal.get_by_id(data["ids"]["cable"]).closed_at is None  # refused: nothing written
        modal.query_one("#lost-new-rival").focus()
        await pilot.press(*"Acme Cables", "enter")
        await until(pilot, lambda: modal.chosen_rival() is not None)
        assert modal.chosen_rival().name == "Acme Cables"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen and "Cable 3 km" not in titles(screen, 2))
        deal = Deal.get_by_id(data["ids"]["cable"])
        assert deal.stage_id == data["stages"]["Lost"]
        assert LossReason.get_by_id(deal.loss_reason_id).name == "Chose a competitor"
        assert Competitor.get_by_id(deal.competitor_id).name == "Acme Cables"
        assert history(deal.id)[-1] == "Lost"

        # reopen: show Won/Lost, go to the won Forklift, one stage back → Negotiation, recorded
        before = screen.loaded
        await pilot.press("c")
        await until(pilot, lambda: screen.loaded > before and not screen.view.columns[4].column.collapsed)
        await pilot.press("l", "l", "k", "k", "j")  # Won: Old order, Forklift (same time, newer id first)
        assert screen.selected().title == "Forklift"
        before = screen.loaded
        await pilot.press("H")
        await until(pilot, lambda: screen.loaded > before and "Forklift" in titles(screen, 3))
        forklift = Deal.get_by_id(data["ids"]["forklift"])
        assert forklift.stage_id == data["stages"]["Negotiation"] and forklift.closed_at is None
        assert history(forklift.id)[-2:] == ["Won", "Negotiation"]
        assert screen.selected().title == "Forklift" and screen.col_index == 3


async def test_filter_by_owner_then_edit_with_bad_amount(ui_session, frozen_clock):
    data = build_board_data(ui_session.actor)
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_funnel(pilot, app)
        await pilot.press("f")
        await until(pilot, lambda: app.screen.__class__.__name__ == "FilterModal" and app.screen.owner_opts)
        # All deals, My deals, Ann Smith, Bob Jones, tester
        await pilot.press("down", "down")
        assert app.screen.owner_opts[2][2] == "Ann Smith"
        before = screen.loaded
        await pilot.press("enter")
        await until(pilot, lambda: screen.loaded > before)
        shown = {c.info.title for col in screen.view.columns for c in col.cards}
        assert shown == {"Pallets for Q1", "Cable 3 km"}
        assert screen.flt.scope == "user" and screen.flt.owner_id == data["ann"].user_id
        bar = str(screen.query_one("#funnel-bar").render())
        assert "Ann Smith" in bar
        forecast = str(screen.query_one("#forecast").render())
        # Ann: 120,000 × 10% + 300,000 × 60% = 192,000
        assert "£" not in forecast and "192,000" in forecast

        # back to all deals, then edit "Racks": a bad amount is said inline, nothing saved
        await pilot.press("f")
        await until(pilot, lambda: app.screen.__class__.__name__ == "FilterModal" and app.screen.owner_opts)
        await pilot.press("up", "up")
        before = screen.loaded
        await pilot.press("enter")
        await until(pilot, lambda: screen.loaded > before and screen.flt.scope == "all")
        assert screen.selected().title == "Pallets for Q1"  # the cursor stayed on its deal
        await pilot.press("h", "h", "h", "h", "k")
        assert screen.selected().title == "Racks"
        await pilot.press("e")
        await until(pilot, lambda: app.screen.__class__.__name__ == "DealForm")
        form = app.screen
        form.query_one("#deal-amount").value = ""
        await pilot.press(*"-5", "ctrl+s")
        await pilot.pause()
        assert "amount must be a number" in str(form.query_one("#deal-error").render())
        assert app.screen is form and Deal.get_by_id(data["ids"]["racks"]).amount_minor == 45_500_00
        form.query_one("#deal-amount").value = ""
        form.query_one("#deal-amount").focus()
        await pilot.press(*"50000", "tab", *"31.01.2027", "tab", *"40", "ctrl+s")
        await until(pilot, lambda: app.screen is screen)
        deal = Deal.get_by_id(data["ids"]["racks"])
        assert (deal.amount_minor, deal.expected_close, deal.probability) == (50_000_00, dt.date(2027, 1, 31), 40)
        await until(pilot, lambda: screen.selected() is not None and screen.selected().probability == 40)


async def test_new_deal_then_a_deal_card(ui_session, frozen_clock):
    data = build_board_data(ui_session.actor)
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_funnel(pilot, app)
        await pilot.press("n")
        await until(pilot, lambda: app.screen.__class__.__name__ == "ClientPicker")
        await pilot.press(*"Petrov")
        await until(pilot, lambda: app.screen.ready and app.screen.hits)
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.__class__.__name__ == "DealForm")
        form = app.screen
        assert "Ivan Petrov" in str(form.query_one("#deal-client-chosen").render())
        form.query_one("#deal-title").value = ""
        await pilot.press(*"Shelving", "tab", *"75000", "tab", *"15.12.2026", "tab", "ctrl+s")
        await until(pilot, lambda: app.screen is screen and screen.selected() and screen.selected().title == "Shelving")
        deal = Deal.get(Deal.title == "Shelving")
        assert deal.amount_minor == 75_000_00 and deal.person_id and deal.company_id
        assert deal.expected_close == dt.date(2026, 12, 15) and deal.owner_id == ui_session.actor.user_id

        # the deal card of "Pallets for Q1"
        await pilot.press("j", "j", "enter")  # Shelving, Racks, Pallets
        await until(pilot, lambda: app.screen.__class__.__name__ == "DealCardScreen" and app.screen.detail)
        card = app.screen
        assert card.detail.card.id == data["ids"]["pallets"]
        text = plain(card.query_one("#deal-fields"))
        assert "Romashka LLC" in text and "120,000" in text
        assert "Call Ivan" in text  # next step
        assert "New lead" in plain(card.query_one("#deal-history"))
        assert "Call Ivan" in plain(card.query_one("#deal-activities"))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)

        # "Racks" has no next step: the card says so; schedule one from the card (the shared ActivityForm)
        await pilot.press("k", "enter")
        await until(pilot, lambda: app.screen.__class__.__name__ == "DealCardScreen" and app.screen.detail)
        card = app.screen
        assert card.detail.card.id == data["ids"]["racks"] and "press t" in plain(card.query_one("#deal-fields"))
        await pilot.press("t")
        await until(pilot, lambda: app.screen.__class__.__name__ == "ActivityForm")
        await pilot.press(*"Send the offer", "tab", *"+1d")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is card and "Send the offer" in plain(card.query_one("#deal-fields")))
        a = Activity.get(Activity.subject == "Send the offer")
        assert a.deal_id == data["ids"]["racks"] and a.company_id is not None and a.done_at is None
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen and screen.selected().next_subject == "Send the offer")


async def test_pipeline_editor_add_and_refuse_removal(ui_session, frozen_clock):
    data = build_board_data(ui_session.actor)
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_funnel(pilot, app)
        await pilot.press("P")
        await until(pilot, lambda: app.screen.__class__.__name__ == "PipelineEditor" and app.screen.stages)
        editor = app.screen
        await pilot.press("d")  # New lead holds deals: refused with the reason, nothing asked
        await until(pilot, lambda: any("move them" in n.message for n in app._notifications))
        assert app.screen is editor
        assert len(deals.stages(deals.default_pipeline().id)) == 6
        await pilot.press("a")
        await until(pilot, lambda: app.screen.__class__.__name__ == "StageForm")
        await pilot.press(*"Demo", "tab", *"30", "tab", *"5", "enter")
        await until(pilot, lambda: app.screen is editor and len(editor.stages) == 7)
        assert [s.name for s in editor.stages][1] == "Demo"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen and len(screen.view.columns) == 7)
        assert screen.view.columns[1].column.name == "Demo"
        _ = data


async def test_a_deal_card_shows_brackets_as_written(ui_session, frozen_clock):
    """Names, titles and subjects are the user's text: "[/x]" in a client's name made the deal card's
    tables raise (Rich reads a str cell as markup) and the app crash."""
    from tuicrm.services import activities

    actor = ui_session.actor
    cid = contacts.create_company(actor, name="ООО [/] Рога")
    pid = contacts.create_person(actor, full_name="Иван [/x] Петров", company_id=cid)
    did = deals.create_deal(actor, "Сделка [b]", amount_minor=1_000_00, person_id=pid, company_id=cid,
                            created_at=NOW - dt.timedelta(days=2))
    activities.create_activity(actor, "call_out", "Звонок [/y]", due_at=NOW + dt.timedelta(hours=3), deal_id=did, person_id=pid)
    from tuicrm.model import DealTag, Tag
    from tuicrm.services import users

    users.create_user("maria", "Мария [/x]", "manager")
    DealTag.create(deal=did, tag=Tag.create(name="[/t] тег", name_key="[/t] тег"))
    app = create_app(ui_session, clock=frozen_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_funnel(pilot, app)
        await until(pilot, lambda: screen.selected() is not None and screen.selected().id == did)
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.__class__.__name__ == "DealCardScreen" and app.screen.detail)
        await pilot.pause()
        card = app.screen
        fields = plain(card.query_one("#deal-fields"))
        assert "ООО [/] Рога · Иван [/x] Петров" in fields and "Звонок [/y]" in fields
        assert "Сделка [b]" in plain(card.query_one("#deal-title"))
        assert "Звонок [/y]" in plain(card.query_one("#deal-activities"))

        # the board's filter lists owners and tags as written too ("Мария [/x]" crashed it as it opened)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        await pilot.press("f")
        await until(pilot, lambda: app.screen.__class__.__name__ == "FilterModal" and app.screen.owner_opts)
        owners = app.screen.query_one("#filter-owner")
        tags = app.screen.query_one("#filter-tag")
        assert "Мария [/x]" in [str(owners.get_option_at_index(i).prompt) for i in range(owners.option_count)]
        assert "#[/t] тег" in [str(tags.get_option_at_index(i).prompt) for i in range(tags.option_count)]
