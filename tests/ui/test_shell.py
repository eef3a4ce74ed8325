"""The shell: four panes by number and F-keys, help, palette, too-small terminal."""

from tuicrm.ui.app import create_app
from tuicrm.ui.screens.help import HelpScreen
from tuicrm.ui.screens.too_small import TooSmallScreen


async def test_number_and_f_keys_switch_panes(session):
    app = create_app(session)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.current_mode == "contacts"
        for key, mode in (("2", "plan"), ("3", "funnel"), ("4", "reports"), ("1", "contacts"), ("f3", "funnel"), ("f2", "plan")):
            await pilot.press(key)
            await pilot.pause()
            assert app.current_mode == mode


async def test_question_mark_lists_bindings(session):
    app = create_app(session)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        assert "Search" in text and "Quit" in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_small_terminal_says_the_minimum(session):
    app = create_app(session)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TooSmallScreen)
        assert "80×24" in str(app.screen.query_one("#too-small-text").render())
