"""Themes are .tcss files in ``themes/``: ``crm-*.tcss`` hold a palette as ``$variable: value;``
lines, turned into Textual themes; the other .tcss files are the stylesheets, which use only
theme variables. Users may add palettes in ``<config dir>/themes/*.tcss``."""

from __future__ import annotations

import re
from pathlib import Path

from textual.app import App
from textual.theme import Theme

from tuicrm import paths

DEFAULT = "crm-dark"
_VAR = re.compile(r"^\s*\$([a-z0-9-]+)\s*:\s*([^;]+);", re.MULTILINE)
_THEME_FIELDS = {"primary", "secondary", "warning", "error", "success", "accent", "foreground", "background", "surface", "panel", "boost"}
STYLESHEETS = ("app.tcss", "contacts.tcss", "plan.tcss", "funnel.tcss", "reports.tcss", "import.tcss", "forms.tcss")
# what the first screen (the Contacts list) needs; the app reads the others right after it is
# shown, or before any other screen is shown (CrmApp.load_all_stylesheets), in this same order
START_STYLESHEETS = STYLESHEETS[:2]


def css_paths(names: tuple[str, ...] = STYLESHEETS) -> list[Path]:
    folder = paths.themes_dir()
    return [folder / name for name in names if (folder / name).exists()]


def palette_files() -> list[Path]:
    files = sorted(paths.themes_dir().glob("crm-*.tcss"))
    user = paths.config_file().parent / "themes"
    if user.is_dir():
        files += sorted(user.glob("*.tcss"))
    return files


def parse_palette(path: Path) -> Theme:
    values = {m.group(1): m.group(2).strip() for m in _VAR.finditer(path.read_text(encoding="utf-8"))}
    dark = values.pop("dark", "true").lower() != "false"
    kwargs = {k: values.pop(k) for k in list(values) if k in _THEME_FIELDS}
    if "primary" not in kwargs:
        raise ValueError(f"{path}: a palette needs at least $primary")
    return Theme(name=path.stem, dark=dark, variables=values, **kwargs)


def register_all(app: App) -> list[str]:
    """Register every palette; returns the problems (a file that is not a palette), to be shown."""
    problems = []
    for path in palette_files():
        try:
            theme = parse_palette(path)
        except (ValueError, OSError) as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        app.register_theme(theme)
    return problems


def apply_at_start(app: App, name: str) -> None:
    """Make ``name`` the app's theme before it runs, without the reparse of every stylesheet that
    setting ``app.theme`` schedules (that costs ≈ 40 ms at start on the project machine; the
    stylesheet is parsed once, with these variables). Does what ``App._watch_theme`` does for a
    theme set before the first frame: the theme classes, the CSS variables, the ANSI colour map.
    Later changes (palette, ``set_theme``) go through ``app.theme`` as usual."""
    app.set_reactive(App.theme, name)
    theme = app.current_theme
    app.set_class(True, f"-theme-{name}", update=False)
    app.set_class(theme.dark, "-dark-mode", update=False)
    app.set_class(not theme.dark, "-light-mode", update=False)
    app.stylesheet.set_variables(app.get_css_variables())
    refresh_filter = getattr(app, "_refresh_truecolor_filter", None)  # Textual ≥ 0.86; absent: default map
    if callable(refresh_filter):
        refresh_filter(app.ansi_theme)


def available(app: App) -> list[str]:
    ours = [p.stem for p in palette_files()]
    return ours + [name for name in ("textual-dark", "textual-light", "nord", "gruvbox") if name in app.available_themes]
