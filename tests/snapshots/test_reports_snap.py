"""Snapshots of each report at 100×30 (frozen clock, fixed data, Moscow time), plus the
empty-period chart and the pane at 80×24."""

from __future__ import annotations

import pytest

from tests.ui.test_reports_ui import seed
from tuicrm.ui.app import create_app


@pytest.fixture
def app(ui_session, frozen_clock):
    seed(ui_session)
    return create_app(ui_session, theme="crm-dark", clock=frozen_clock)


def steps(*keys):
    async def run(pilot):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.press("f4")
        for key in keys:
            await pilot.pause()
            await pilot.app.workers.wait_for_complete()
            await pilot.press(key)
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
    return run


@pytest.mark.parametrize("key", ["a", "f", "w", "o"])
def test_report_100x30(app, snap_compare, key):
    assert snap_compare(app, terminal_size=(100, 30), run_before=steps(key))


def test_empty_period_80x24(app, snap_compare):
    assert snap_compare(app, terminal_size=(80, 24), run_before=steps("right_square_bracket"))
