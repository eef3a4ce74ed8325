"""Settings: TOML round trip, bad keys and values reported with their name (defaults kept, the
rest of the file still applies), TUICRM_CONFIG / --config overrides."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from tuicrm import config, paths
from tuicrm.config import ConfigError, Settings


def same_values(a: Settings, b: Settings) -> bool:
    return dataclasses.replace(a, warnings=[]) == dataclasses.replace(b, warnings=[])


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_defaults(tmp_path):
    s = config.load(tmp_path / "none.toml")
    assert s == Settings()
    assert (s.language, s.phone_region, s.phone_format, s.theme) == ("auto", "RU", "national", "crm-dark")
    assert s.warnings == []


def test_save_and_load_round_trip(tmp_path):
    s = Settings(db="postgresql://crm@db.office/crm", user="anna", language="ru", theme="crm-light", phone_region="KZ",
                 phone_format="international", timezone="Asia/Almaty", stale_contact_days=14, daily_call_target=45,
                 reminder_lead_minutes=5, workday_start="08:30", workday_end="17:30", keymap={"contacts.new": "ctrl+n"})
    s.warnings.append("not saved")
    path = config.save(s, tmp_path / "sub" / "config.toml")
    assert path.exists() and not path.with_suffix(".tmp").exists()
    assert "warnings" not in path.read_text(encoding="utf-8")
    loaded = config.load(path)
    assert loaded == Settings(**{k: v for k, v in vars(s).items() if k != "warnings"})
    assert loaded.warnings == []


def test_unknown_keys_and_wrong_types_are_reported_and_the_rest_applies(tmp_path):
    path = write(tmp_path / "c.toml", """
language = "ru"
colour = "blue"
daily_call_target = "many"
stale_contact_days = true
reminder_lead_minutes = 15
theme = 42
""")
    s = config.load(path)
    assert (s.language, s.reminder_lead_minutes) == ("ru", 15)  # the good keys apply
    assert (s.daily_call_target, s.stale_contact_days, s.theme) == (30, 30, "crm-dark")  # defaults kept
    assert len(s.warnings) == 4
    text = "\n".join(s.warnings)
    assert "unknown setting 'colour' ignored" in text
    assert "daily_call_target should be int, got 'many'" in text
    assert "stale_contact_days should be int, got True" in text
    assert "theme should be str, got 42" in text
    assert all(w.startswith(str(path)) for w in s.warnings)


@pytest.mark.parametrize(
    "line, key, message",
    [
        ('language = "de"', "language", "language must be one of auto, en, ru"),
        ('phone_format = "e164"', "phone_format", "phone_format must be one of national, international"),
        ("stale_contact_days = -1", "stale_contact_days", "must not be negative"),
        ('phone_region = "XX"', "phone_region", "two-letter country code"),
        ('timezone = "Mars/Olympus"', "timezone", "IANA zone"),
        ('workday_start = "9am"', "workday_start", "a time like 09:00"),
        ('workday_end = "07:00"', "workday_end", "workday_start must be before workday_end"),
        ('workday_start = "19:00"', "workday_start", "workday_start must be before workday_end"),
        ('keymap = { "contacts.new" = 5 }', "keymap", "keymap values must be key names"),
    ],
)
def test_bad_values_are_reported_and_defaults_kept(tmp_path, line, key, message):
    s = config.load(write(tmp_path / "c.toml", f'user = "anna"\n{line}\n'))
    assert getattr(s, key) == getattr(Settings(), key)
    assert s.user == "anna"
    assert len(s.warnings) == 1 and message in s.warnings[0] and "default kept" in s.warnings[0]


def test_keys_that_depend_on_each_other_apply_in_any_order(tmp_path):
    s = config.load(write(tmp_path / "c.toml", 'workday_start = "19:00"\nworkday_end = "23:30"\n'))
    assert (s.workday_start, s.workday_end, s.warnings) == ("19:00", "23:30", [])
    s = config.load(write(tmp_path / "c.toml", 'workday_end = "06:00"\nworkday_start = "05:00"\n'))
    assert (s.workday_start, s.workday_end, s.warnings) == ("05:00", "06:00", [])


def test_region_is_case_insensitive(tmp_path):
    assert config.load(write(tmp_path / "c.toml", 'phone_region = " by "\n')).phone_region == "BY"


@pytest.mark.parametrize("content", [b"language = \n", b"[[[", b"\xff\xfe garbage", b'language = "ru"\nlanguage = "en"\n'])
def test_a_broken_file_gives_defaults_and_one_warning(tmp_path, content):
    path = tmp_path / "c.toml"
    path.write_bytes(content)
    s = config.load(path)
    assert same_values(s, Settings()) and len(s.warnings) == 1 and "using defaults" in s.warnings[0]


def test_an_unreadable_path_gives_defaults(tmp_path):
    (tmp_path / "dir.toml").mkdir()
    s = config.load(tmp_path / "dir.toml")
    assert same_values(s, Settings()) and "cannot be read" in s.warnings[0]


def test_save_refuses_bad_values(tmp_path):
    with pytest.raises(ConfigError):
        config.save(Settings(language="klingon"), tmp_path / "c.toml")
    assert not (tmp_path / "c.toml").exists()


def test_tuicrm_config_env_points_at_the_file(tmp_path, monkeypatch):
    target = write(tmp_path / "elsewhere.toml", 'language = "ru"\nphone_format = "international"\n')
    monkeypatch.setenv("TUICRM_CONFIG", str(target))
    assert paths.config_file() == target
    s = config.load()
    assert (s.language, s.phone_format) == ("ru", "international")
    config.save(Settings(language="en"))
    assert 'language = "en"' in target.read_text(encoding="utf-8")


def test_data_dir_env(tmp_path, monkeypatch):
    monkeypatch.setenv("TUICRM_DATA_DIR", str(tmp_path / "data"))
    assert paths.default_db_path() == tmp_path / "data" / "tuicrm.db"
    assert not (tmp_path / "data").exists()  # nothing is created by asking


def _tuicrm(*args, env):
    exe = Path(sys.executable).with_name("tuicrm")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=60)


def test_cli_reads_the_config_and_reports_bad_keys(tmp_path):
    import os

    db = tmp_path / "crm.db"
    cfg = write(tmp_path / "c.toml", f'db = "sqlite:///{db}"\nuser = "anna"\nshoe_size = 43\nphone_format = "international"\n')
    env = {**os.environ, "TUICRM_CONFIG": str(cfg), "LANG": "C.UTF-8"}
    env.pop("TUICRM_DB", None)
    up = _tuicrm("db", "upgrade", env=env)
    assert up.returncode == 0, up.stderr
    assert db.exists()  # the db key of the config was used
    assert "unknown setting 'shoe_size' ignored" in up.stderr and "Traceback" not in up.stderr
    info = _tuicrm("db", "info", env=env)
    assert "user: anna" in info.stdout
    # --config wins over TUICRM_CONFIG
    other = write(tmp_path / "other.toml", 'user = "boris"\n')
    info = _tuicrm("db", "info", "--db", f"sqlite:///{db}", "--config", str(other), env=env)
    assert "user: boris" in info.stdout and "shoe_size" not in info.stderr
