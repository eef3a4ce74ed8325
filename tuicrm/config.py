"""User settings: a TOML file in the user config dir, validated into a dataclass.

Read with stdlib tomllib, written with tomli-w. A bad key or value is reported with its name;
the rest of the file still applies.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from pathlib import Path

from tuicrm import paths

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

    def validate(self) -> None:
        if self.language not in LANGUAGES:
            raise ConfigError(f"language must be one of {', '.join(LANGUAGES)}, not {self.language!r}")
        if self.phone_format not in PHONE_FORMATS:
            raise ConfigError(f"phone_format must be one of {', '.join(PHONE_FORMATS)}")
        for name in ("stale_contact_days", "daily_call_target", "reminder_lead_minutes"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name} must not be negative")


_PERSISTED = [f.name for f in fields(Settings) if f.name != "warnings"]


def load(path: Path | None = None) -> Settings:
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
        previous = getattr(settings, key)
        setattr(settings, key, value)
        try:
            settings.validate()
        except ConfigError as exc:
            setattr(settings, key, previous)
            settings.warnings.append(f"{path}: {exc}; default kept")
    return settings


def save(settings: Settings, path: Path | None = None) -> Path:
    import tomli_w

    path = path or paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {k: v for k, v in dataclasses.asdict(settings).items() if k in _PERSISTED}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(tomli_w.dumps(data), encoding="utf-8")
    tmp.replace(path)
    return path
