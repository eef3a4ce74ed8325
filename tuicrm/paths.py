"""Where tuicrm keeps its files. Nothing here creates a directory at import time."""

from __future__ import annotations

import os
import sys

APP = "tuicrm"

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path

# pathlib (with urllib.parse and ipaddress, which it imports) costs `tuicrm lookup` ~4 ms to
# import: the functions import it when called, and the start-up path uses the *_name() forms.


def _xdg_name(var: str, fallback: str) -> str | None:
    """The XDG base dir on Linux (what platformdirs returns there), without importing platformdirs:
    `tuicrm lookup` must start fast. None on other systems (platformdirs knows them)."""
    if not sys.platform.startswith("linux"):
        return None
    value = os.environ.get(var, "").strip()
    return os.path.join(value if value else os.path.expanduser(fallback), APP)


def _xdg(var: str, fallback: str) -> Path | None:
    from pathlib import Path

    name = _xdg_name(var, fallback)
    return None if name is None else Path(name)


def config_file_name() -> str | None:
    """``str(config_file())`` without importing pathlib, on Linux or with TUICRM_CONFIG; None
    where platformdirs has to say."""
    override = os.environ.get("TUICRM_CONFIG")
    if override:
        return os.path.expanduser(override)
    base = _xdg_name("XDG_CONFIG_HOME", "~/.config")
    return None if base is None else os.path.join(base, "config.toml")


def config_file() -> Path:
    from pathlib import Path

    name = config_file_name()
    if name is not None:
        return Path(name)
    import platformdirs

    return platformdirs.user_config_path(APP) / "config.toml"


def exists(name: str, *, is_dir: bool = False) -> bool:
    """``Path(name).exists()`` (or ``.is_dir()``) without importing pathlib: the same errors are
    "not there", any other is raised (POSIX; elsewhere it asks pathlib)."""
    if os.name != "posix":
        from pathlib import Path

        return Path(name).is_dir() if is_dir else Path(name).exists()
    import errno
    import stat

    try:
        st = os.stat(name or ".")  # Path("") is "."
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP):  # as pathlib
            return False
        raise
    except ValueError:  # an embedded NUL: pathlib says False
        return False
    return stat.S_ISDIR(st.st_mode) if is_dir else True


def data_dir() -> Path:
    from pathlib import Path

    override = os.environ.get("TUICRM_DATA_DIR")
    if override:
        return Path(override).expanduser()
    base = _xdg("XDG_DATA_HOME", "~/.local/share")
    if base is None:
        import platformdirs

        base = platformdirs.user_data_path(APP)
    return base


def cache_dir_name() -> str | None:
    """Where tuicrm keeps what it can always rebuild (``TUICRM_CACHE_DIR``, else the XDG cache
    dir), without importing pathlib; None where platformdirs has to say."""
    override = os.environ.get("TUICRM_CACHE_DIR")
    if override:
        return os.path.expanduser(override)
    return _xdg_name("XDG_CACHE_HOME", "~/.cache")


def cache_dir() -> Path:
    from pathlib import Path

    name = cache_dir_name()
    if name is not None:
        return Path(name)
    import platformdirs

    return platformdirs.user_cache_path(APP)


def default_db_path() -> Path:
    return data_dir() / "tuicrm.db"


def demo_db_path() -> Path:
    return data_dir() / "demo.db"


def themes_dir() -> Path:
    """The .tcss themes: `themes/` in a checkout, `tuicrm/_themes` in a wheel."""
    from pathlib import Path

    here = Path(__file__).resolve().parent
    packaged = here / "_themes"
    if packaged.is_dir():
        return packaged
    return here.parent / "themes"


def locale_dir() -> Path:
    from pathlib import Path

    return Path(__file__).resolve().parent / "locale"


# --- small caches of derived data (tuicrm.formatting's dates, tuicrm.ui.phone_cache) ------------


def cache_file(name: str) -> str:
    """A file in the cache dir, without importing pathlib where it can be helped."""
    folder = cache_dir_name()
    if folder is None:
        folder = str(cache_dir())
    return os.path.join(folder, name)


def files_stamp(package: str, names: tuple[str, ...] | list[str], extra: tuple[str, ...] = ()) -> list | None:
    """[[name, size, mtime_ns], …] of files of an installed package (found without importing it)
    and of ``extra`` paths (by base name): what a cache of data derived from them is keyed by, as
    Python checks its .pyc files. None if any of them cannot be read."""
    from importlib.machinery import PathFinder  # loaded at start anyway; importlib.util is not

    try:
        spec = PathFinder.find_spec(package)
        folder = os.path.dirname(spec.origin)
        paths = [(name, os.path.join(folder, name)) for name in names] + [(os.path.basename(p), p) for p in extra]
        stamp = []
        for name, path in paths:
            st = os.stat(path)
            stamp.append([name, st.st_size, st.st_mtime_ns])
        return stamp
    except (ImportError, AttributeError, TypeError, ValueError, OSError):
        return None


def write_json_atomic(path: str, data) -> bool:
    """Write ``data`` as JSON through a temporary file and a rename (a reader never sees half a
    file); False where it cannot be written (a read-only home: the caller does without the cache)."""
    import json

    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f"{path}.{os.getpid()}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump(data, fh, ensure_ascii=False)
        os.replace(tmp, path)
        return True
    except OSError:
        return False
