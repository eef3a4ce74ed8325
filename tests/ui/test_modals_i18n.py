"""Every string the dialogs and their services show has a Russian translation (message ids read
from the source: _(), N_(), the services' _t() and Binding descriptions), placeholders intact."""

from __future__ import annotations


from tuicrm import i18n

# shown through a variable: phone check reasons (services.phones), kinds and labels
async def test_a_form_in_russian(ui_session):
    from tuicrm.ui.app import create_app
    from tuicrm.ui.modals.person_form import PersonForm

    ui_session.settings.language = "ru"
    app = create_app(ui_session)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            app.push_screen(PersonForm())
            await pilot.pause()
            await pilot.press(*"Петров")
            app.screen.query_one("#phones").focus()
            await pilot.press(*"8 916 12", "ctrl+s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "Новый контакт" in str(app.screen.query_one("#form-title").render())
            assert "слишком короткий" in str(app.screen.query_one("#phones-msg").render())
            assert "исправьте или удалите номер" in str(app.screen.query_one("#phones-msg").render())
    finally:
        i18n.set_language("en")
