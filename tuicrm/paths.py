"""Where tuicrm keeps its files. Nothing here creates a directory at import time."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = "tuicrm"


def _xdg(var: str, fallback: str) -> Path | None:
    """The XDG base dir on Linux (what platformdirs returns there), without importing platformdirs:
    `tuicrm lookup` must start fast. None on other systems (platformdirs knows them)."""
    if not sys.platform.startswith("linux"):
        return None
    value = os.environ.get(var, "").strip()
    return Path(value if value else os.path.expanduser(fallback)) / APP


def config_file() -> Path:
    override = os.environ.get("TUICRM_CONFIG")
    if override:
        return Path(override).expanduser()
    base = _xdg("XDG_CONFIG_HOME", "~/.config")
    if base is None:
        import platformdirs

        base = platformdirs.user_config_path(APP)
    return base / "config.toml"


def data_dir() -> Path:
    override = os.environ.get("TUICRM_DATA_DIR")
    if override:
        return Path(override).expanduser()
    base = _xdg("XDG_DATA_HOME", "~/.local/share")
    if base is None:
        import platformdirs

        base = platformdirs.user_data_path(APP)
    return base


def default_db_path() -> Path:
    return data_dir() / "tuicrm.db"


def demo_db_path() -> Path:
    return data_dir() / "demo.db"


def themes_dir() -> Path:
    """The .tcss themes: `themes/` in a checkout, `tuicrm/_themes` in a wheel."""
    here = Path(__file__).resolve().parent
    packaged = here / "_themes"
    if packaged.is_dir():
        return packaged
    return here.parent / "themes"


def locale_dir() -> Path:
    return Path(__file__).resolve().parent / "locale"
