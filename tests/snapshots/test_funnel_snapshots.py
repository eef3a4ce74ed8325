"""The Funnel board at 80×24 and 160×45 (frozen clock, fixed data)."""

from __future__ import annotations

from tests.ui.test_funnel_ui import build_board_data, until
from tuicrm.ui.app import create_app


def _app(ui_session, frozen_clock):
    build_board_data(ui_session.actor)
    return create_app(ui_session, clock=frozen_clock)


async def _open(pilot):
    app = pilot.app
    await pilot.press("3")
    await until(pilot, lambda: app.current_mode == "funnel" and getattr(app.screen, "loaded", 0) > 0)
    await pilot.pause()


def test_board_80x24(ui_session, frozen_clock, snap_compare):
    assert snap_compare(_app(ui_session, frozen_clock), terminal_size=(80, 24), run_before=_open)


def test_board_160x45_with_won_lost_expanded(ui_session, frozen_clock, snap_compare):
    async def run_before(pilot):
        await _open(pilot)
        screen = pilot.app.screen
        before = screen.loaded
        await pilot.press("c", "l")
        await until(pilot, lambda: screen.loaded > before)
        await pilot.pause()

    assert snap_compare(_app(ui_session, frozen_clock), terminal_size=(160, 45), run_before=run_before)
