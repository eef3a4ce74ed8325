"""The Textual app: four panes (modes), global keys, help, palette, themes, settings."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Iterable

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.command import Hit, Hits, Provider
from textual.screen import Screen

from tuicrm import config as config_mod
from tuicrm import formatting, i18n
from tuicrm.i18n import _
from tuicrm.model import utcnow
from tuicrm.session import Session
from tuicrm.ui import phone_cache, themes
from tuicrm.ui.bindings import translate_bindings
from tuicrm.ui.screens.base import CrmScreen
from tuicrm.ui.screens.contacts import ContactsScreen
from tuicrm.ui.screens.too_small import MIN_HEIGHT, MIN_WIDTH, TooSmallScreen

PANES = ("contacts", "plan", "funnel", "reports")


def _lazy_pane(module: str, name: str):
    """A MODES factory that imports a pane's module on first use (charts, plan services…)."""

    def make() -> Screen:
        import importlib

        return getattr(importlib.import_module(module), name)()

    return make


class PaneCommands(Provider):
    """The palette: switching panes, the current pane's own commands, themes, language."""

    def _commands(self) -> list[tuple[str, str, object]]:
        app: CrmApp = self.app  # type: ignore[assignment]
        out: list[tuple[str, str, object]] = []
        for i, pane in enumerate(PANES, 1):
            out.append((_("Go to {pane}").format(pane=_(pane.capitalize())), f"{i} / F{i}", partial(app.switch_pane, pane)))
        out.append((_("Search"), "/", app.action_search))
        out.append((_("Keys (help)"), "?", app.action_help))
        if app.session.actor.sees_all:
            out.append((_("Hand over all clients of a manager…"),
                        _("Clients, open activities and open deals go to another manager"), app.action_handover_all))
        out.append((_("Import a file (.xlsx/.csv)…"), "f6", app.action_import))
        screen = app.screen
        if isinstance(screen, CrmScreen):
            out.extend(screen.commands())
        for name in themes.available(app):
            out.append((_("Theme: {name}").format(name=name), _("Switch the colour theme"), partial(app.set_theme, name)))
        for lang, label in (("en", "English"), ("ru", "Русский")):
            out.append((_("Language: {name}").format(name=label), _("Saved in settings; applies on restart"), partial(app.set_language, lang)))
        return out

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield Hit(1.0, title, callback, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), callback, help=help_text)  # type: ignore[arg-type]


class CrmApp(App):
    TITLE = "tuicrm"
    CSS_PATH = themes.css_paths(themes.START_STYLESHEETS)
    COMMANDS = App.COMMANDS | {PaneCommands}
    # Contacts is the first screen (get_default_screen) and the default mode: it is composed with
    # the app, so the stylesheet is parsed once at start; a first switch_mode() reparses it all.
    DEFAULT_MODE = "contacts"
    MODES = {
        # the other panes are imported when first shown: start-up pays only for Contacts
        "plan": _lazy_pane("tuicrm.ui.screens.plan", "PlanScreen"),
        "funnel": _lazy_pane("tuicrm.ui.screens.funnel", "FunnelScreen"),
        "reports": _lazy_pane("tuicrm.ui.screens.reports", "ReportsScreen"),
    }
    BINDINGS = [
        Binding("1", "pane('contacts')", "Contacts", id="app.contacts", show=False),
        Binding("2", "pane('plan')", "Plan", id="app.plan", show=False),
        Binding("3", "pane('funnel')", "Funnel", id="app.funnel", show=False),
        Binding("4", "pane('reports')", "Reports", id="app.reports", show=False),
        Binding("f1", "pane('contacts')", "Contacts", id="app.f1", show=False),
        Binding("f2", "pane('plan')", "Plan", id="app.f2", show=False),
        Binding("f3", "pane('funnel')", "Funnel", id="app.f3", show=False),
        Binding("f4", "pane('reports')", "Reports", id="app.f4", show=False),
        Binding("slash", "search", "Search", id="app.search"),
        Binding("question_mark", "help", "Keys", id="app.help"),
        Binding("f6", "import", "Import", id="app.import", show=False),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]

    def __init__(self, session: Session, *, theme: str | None = None, clock=None) -> None:
        self.session = session
        self.clock = clock or utcnow
        self._unsaved: set[str] = set()
        super().__init__()
        translate_bindings(self)
        self._too_small_shown = False
        self._zone = None
        self._crm_ready = False
        self._first_page_shown = False
        self._reminders = None
        self._all_stylesheets = False
        self._theme_problems: list[str] = []
        self._wanted_theme = None  # watch_theme saves nothing while the start theme is applied
        wanted = theme or session.settings.theme
        self._theme_problems = themes.register_all(self)
        # set before the stylesheet is first parsed (a theme set later reparses all of it)
        themes.apply_at_start(self, wanted if wanted in self.available_themes else themes.DEFAULT)
        self._wanted_theme = wanted

    def get_default_screen(self) -> Screen:
        return ContactsScreen()

    # --- start ---------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.add_mode("contacts", ContactsScreen)  # already running as the default screen
        if self.session.settings.theme != self.theme:  # `--theme` is remembered, as a palette choice is
            self.watch_theme(self.theme)
        self.title = f"tuicrm — {self.session.label}"
        self.sub_title = f"{self.session.actor.name} · {formatting.date(self.today_local())}"
        for problem in self._theme_problems:
            self.notify(problem, severity="warning")
        if self.session.upgrade.backup:
            self.notify(_("The base was upgraded; a backup copy is at {path}").format(path=self.session.upgrade.backup), timeout=8)
        for warning in self.session.settings.warnings:
            self.notify(warning, severity="warning", timeout=8)
        self._crm_ready = True
        self.check_size()
        # what the first screen does not need waits until it is shown (first_page_shown), or a
        # few seconds anyway
        self.set_timer(3.0, self._after_first_page)

    def first_page_shown(self) -> None:
        """Told by the Contacts pane when its list has rows. (Not a bubbled ContactsTable.Loaded:
        the first page is read as the default screen is mounted, before the screen is attached
        to the app, and a message from a screen not yet attached does not reach the app — the
        collector stayed paused until the 3 s fallback.)"""
        if not self._first_page_shown:
            self._first_page_shown = True
            # the frame with the rows is out and drawn by then: this work (a collection, five
            # stylesheets and a restyle, ≈ 50–100 ms of CPU) does not compete with the terminal
            self.set_timer(1.0, self._after_first_page)

    def _after_first_page(self) -> None:
        from tuicrm.startup import resume_gc

        resume_gc(freeze=True)  # paused by tuicrm.cli.main for the start (tuicrm.startup)
        phone_cache.save_start()  # the first page's phone numbers, for the next start (tuicrm.ui.phone_cache)
        self.load_all_stylesheets()
        self._start_reminders()  # due/lead-time/assigned notifications, whatever pane is shown

    def load_all_stylesheets(self) -> None:
        """Read the stylesheets the first screen does not use (the other panes', the dialogs'):
        at start only app.tcss and contacts.tcss are parsed and matched against every widget.
        Called after the first page is shown, and before any other screen is shown. The sheets
        come after the first two, in the order of themes.STYLESHEETS, as they did when all were
        read at start, so the cascade is the same."""
        if self._all_stylesheets:
            return
        self._all_stylesheets = True
        later = [path for path in themes.css_paths() if path not in self.css_path]
        for path in later:
            self.stylesheet.read(path)
        self.css_path = [*self.css_path, *later]  # `textual run --dev` reloads them too
        if self.css_monitor is not None:
            self.css_monitor.add_paths(later)
        if self.is_running:
            self.refresh_css(animate=False)

    def push_screen(self, *args, **kwargs):
        self.load_all_stylesheets()
        return super().push_screen(*args, **kwargs)

    def switch_screen(self, *args, **kwargs):
        self.load_all_stylesheets()
        return super().switch_screen(*args, **kwargs)

    def switch_mode(self, *args, **kwargs):
        self.load_all_stylesheets()
        return super().switch_mode(*args, **kwargs)

    def _start_reminders(self) -> None:
        if self._reminders is None:
            from tuicrm.ui.widgets.plan_reminders import install as install_reminders

            install_reminders(self)

    @property
    def reminders(self):
        """The reminders poller (tuicrm.ui.widgets.plan_reminders), started on first use at the latest."""
        if self._reminders is None:
            self._start_reminders()
        return self._reminders

    @reminders.setter
    def reminders(self, value) -> None:
        self._reminders = value

    def today_local(self) -> dt.date:
        return formatting.to_local(self.clock(), self.user_zone()).date()

    def user_zone(self):
        """The current user's zone (User.timezone, else settings, else the machine's), read once."""
        if self._zone is None:
            from tuicrm.services.users import user_zone

            self._zone = user_zone(self.session.actor.user_id, self.session.settings.timezone or None)
        return self._zone

    # --- panes ---------------------------------------------------------------------------
    def switch_pane(self, pane: str) -> None:
        if pane in PANES and self.current_mode != pane and not self._too_small_shown:
            self.switch_mode(pane)

    def action_pane(self, pane: str) -> None:
        self.switch_pane(pane)

    def action_search(self) -> None:
        """`/` from anywhere: the Contacts pane's search (the pane decides how to show it)."""
        self.switch_pane("contacts")
        screen = self.screen
        focus_search = getattr(screen, "focus_search", None)
        if callable(focus_search):
            focus_search()

    def action_handover_all(self) -> None:
        """A head's action (palette): every client of one manager to another (tuicrm.ui.modals.handover)."""
        from tuicrm.ui.modals.handover import HandoverAllModal

        self.push_screen(HandoverAllModal())

    def action_help(self) -> None:
        from tuicrm.ui.screens.help import HelpScreen  # on first use, not at start

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def action_import(self) -> None:
        """F6 / palette: the Import screen (issue 6) over the current pane."""
        from tuicrm.ui.screens.import_screen import ImportScreen

        if not isinstance(self.screen, ImportScreen):
            self.push_screen(ImportScreen())

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)

    # --- settings ------------------------------------------------------------------------
    def set_theme(self, name: str) -> None:
        self.theme = name

    def watch_theme(self, theme: str) -> None:
        if getattr(self, "_wanted_theme", None) is None:
            return
        if self.session.settings.theme != theme:
            self.session.settings.theme = theme
            self.save_settings()

    def set_language(self, lang: str) -> None:
        self.session.settings.language = lang
        self.save_settings()
        self.notify(_("Language saved; it applies when tuicrm starts again."))

    def save_settings(self) -> None:
        try:
            config_mod.save(self.session.settings)
        except (OSError, config_mod.ConfigError) as exc:  # ConfigError: a bad value is never written
            self.notify(_("Could not save settings: {error}").format(error=getattr(exc, "strerror", None) or exc), severity="error")

    # --- unsaved input guard for quit ------------------------------------------------------
    def mark_unsaved(self, key: str, unsaved: bool = True) -> None:
        (self._unsaved.add if unsaved else self._unsaved.discard)(key)

    async def action_quit(self) -> None:
        if not self._unsaved:
            self.exit()
            return
        from tuicrm.ui.modals.confirm import ConfirmScreen

        def answer(ok: bool | None) -> None:
            if ok:
                self.exit()

        self.push_screen(ConfirmScreen(_("There are unsaved changes. Quit anyway?")), answer)

    # --- terminal size -------------------------------------------------------------------
    def on_resize(self) -> None:
        self.check_size()

    def check_size(self) -> None:
        if not self._crm_ready:
            return
        w, h = self.size
        small = w < MIN_WIDTH or h < MIN_HEIGHT
        if small and not self._too_small_shown:
            self._too_small_shown = True
            self.push_screen(TooSmallScreen())
        elif not small and self._too_small_shown:
            self._too_small_shown = False
            if isinstance(self.screen, TooSmallScreen):
                self.pop_screen()


def create_app(session: Session, *, theme: str | None = None, clock=None) -> CrmApp:
    """The factory shared by the CLI and the tests."""
    if session.settings.language not in ("", "auto"):
        i18n.set_language(session.settings.language)
    return CrmApp(session, theme=theme, clock=clock)
