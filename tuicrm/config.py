"""User settings: a TOML file in the user config dir, validated into a dataclass.

Read with stdlib tomllib, written with tomli-w. A bad key or value is reported with its name;
the rest of the file still applies.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field, fields

from tuicrm import paths

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing
if TYPE_CHECKING:
    from pathlib import Path  # annotations only: pathlib is imported when a file is read/written

LANGUAGES = ("auto", "en", "ru")
PHONE_FORMATS = ("national", "international")


class ConfigError(ValueError):
    pass


@dataclass
class Settings:
    db: str = ""  # empty: the default SQLite file in the user data dir
    user: str = ""  # login of the current user; empty: the OS login
    language: str = "auto"
    theme: str = "crm-dark"
    phone_region: str = "RU"
    phone_format: str = "national"
    timezone: str = ""  # IANA name; empty: the user's zone in the base, else the machine's
    stale_contact_days: int = 30
    daily_call_target: int = 30
    reminder_lead_minutes: int = 10
    workday_start: str = "09:00"
    workday_end: str = "18:00"
    keymap: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list, repr=False)

    @classmethod
    def defaults(cls) -> "Settings":
        return cls()

    def validate(self, *, cross: bool = True) -> None:
        """Raise ConfigError naming the first bad value. ``cross=False`` skips the checks that
        compare two keys (used while a file is read key by key)."""
        if self.language not in LANGUAGES:
            raise ConfigError(f"language must be one of {', '.join(LANGUAGES)}, not {self.language!r}")
        if self.phone_format not in PHONE_FORMATS:
            raise ConfigError(f"phone_format must be one of {', '.join(PHONE_FORMATS)}")
        for name in ("stale_contact_days", "daily_call_target", "reminder_lead_minutes"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative")
        for name in ("workday_start", "workday_end"):
            if not _HHMM.match(getattr(self, name)):
                raise ConfigError(f"{name} must be a time like 09:00, not {getattr(self, name)!r}")
        if cross and self.workday_start >= self.workday_end:
            raise ConfigError("workday_start must be before workday_end")
        if self.phone_region != "RU":  # RU needs no look-up (and `tuicrm lookup` no extra import)
            import phonenumbers

            if self.phone_region not in phonenumbers.SUPPORTED_REGIONS:
                raise ConfigError(f"phone_region must be a two-letter country code such as RU, not {self.phone_region!r}")
        if self.timezone:
            _check_zone(self.timezone)
        bad = [k for k, v in self.keymap.items() if not isinstance(v, str)]
        if bad:
            raise ConfigError(f"keymap values must be key names (text): {', '.join(map(str, bad))}")


_HHMM = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")


def _check_zone(name: str) -> None:
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"timezone must be an IANA zone such as Europe/Moscow, not {name!r}") from exc


_PERSISTED = [f.name for f in fields(Settings) if f.name != "warnings"]


def load(path: Path | None = None) -> Settings:
    if path is None:
        name = paths.config_file_name()
        if name is not None and not paths.exists(name):  # the usual case, without pathlib
            return Settings()
    path = path or paths.config_file()
    settings = Settings()
    if not path.exists():
        return settings
    import tomllib

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        settings.warnings.append(f"{path}: {exc}; using defaults")
        return settings
    except OSError as exc:  # a directory, no permission…
        settings.warnings.append(f"{path}: cannot be read ({exc.strerror or exc}); using defaults")
        return settings
    for key, value in data.items():
        if key not in _PERSISTED:
            settings.warnings.append(f"{path}: unknown setting {key!r} ignored")
            continue
        default = getattr(settings, key)
        if not isinstance(value, type(default)) or (isinstance(default, int) and isinstance(value, bool)):
            settings.warnings.append(
                f"{path}: {key} should be {type(default).__name__}, got {value!r}; default kept"
            )
            continue
        if key == "phone_region":
            value = value.strip().upper()
        previous = getattr(settings, key)
        setattr(settings, key, value)
        try:
            settings.validate(cross=False)
        except ConfigError as exc:
            setattr(settings, key, previous)
            settings.warnings.append(f"{path}: {exc}; default kept")
    try:
        settings.validate()
    except ConfigError as exc:  # two keys that do not fit together: both back to the defaults
        settings.workday_start, settings.workday_end = Settings.workday_start, Settings.workday_end
        settings.warnings.append(f"{path}: {exc}; default kept for both")
    return settings


def save(settings: Settings, path: Path | None = None) -> Path:
    import tomli_w

    settings.validate()  # a bad value is refused here, never written
    path = path or paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {k: v for k, v in dataclasses.asdict(settings).items() if k in _PERSISTED}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(tomli_w.dumps(data), encoding="utf-8")
    tmp.replace(path)
    return path
