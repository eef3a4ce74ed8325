"""Where tuicrm keeps its files. Nothing here creates a directory at import time."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "tuicrm"


def config_file() -> Path:
    override = os.environ.get("TUICRM_CONFIG")
    if override:
        return Path(override).expanduser()
    return platformdirs.user_config_path(APP) / "config.toml"


def data_dir() -> Path:
    override = os.environ.get("TUICRM_DATA_DIR")
    if override:
        return Path(override).expanduser()
    return platformdirs.user_data_path(APP)


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
