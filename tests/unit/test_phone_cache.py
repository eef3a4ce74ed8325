"""The first screen's phone numbers without loading phonenumbers (tuicrm.ui.phone_cache): the text is
always services.phones.format_phone's — from the cache only when format_phone wrote it, with the
phonenumbers and tuicrm files it was made with; anything else goes to format_phone."""

from __future__ import annotations

import json
import os

import pytest

from tuicrm.services import phones
from tuicrm.ui import phone_cache

NUMBERS = [
    "+79161234567",  # mobile
    "+74957001020",  # Moscow, 3-digit code
    "+78162123456",  # 4-digit code
    "+73513123456",  # 5-digit code (shown "(35131) …" in some versions: whatever phonenumbers says)
    "+77012345678",  # Kazakhstan, also +7
    "+77172123456",
    "+12025550123",
    "+442079460000",
    "+4930123456",
    "+380441234567",
    "+79991234567",
    "+7800",  # too short: phonenumbers reads it, as it does
    "+0000",  # unreadable: raw
    "12345",  # not E.164: raw
]
SHAPES = [("national", "RU"), ("international", "RU"), ("national", "KZ"), ("national", "US")]


@pytest.fixture
def fresh():
    phone_cache.reset()
    yield
    phone_cache.reset()


def _shown(style, region):
    return {e164: phone_cache.phone_text(e164, "raw text", style, region) for e164 in NUMBERS}


def _expected(style, region):
    return {e164: phones.format_phone(e164, "raw text", style, region) for e164 in NUMBERS}


def test_default_region_is_the_services():
    assert phone_cache.DEFAULT_REGION == phones.DEFAULT_REGION


def test_the_text_is_format_phones_before_and_after_the_cache(fresh, monkeypatch):
    for style, region in SHAPES:
        assert _shown(style, region) == _expected(style, region)  # nothing cached yet: format_phone
    phone_cache.save_start()
    stored = json.loads(open(phone_cache._cache_file(), encoding="utf-8").read())
    assert stored["key"] == phone_cache._files_key()
    # every number phonenumbers could read, in every shape asked for; the unreadable ones are not kept
    assert len(stored["entries"]) == len(SHAPES) * (len(NUMBERS) - 2)
    assert "national|RU|+79161234567" in stored["entries"]

    phone_cache.reset()  # the next start: every number from the file, format_phone only for the unreadable
    expected = {shape: _expected(*shape) for shape in SHAPES}
    calls = []
    real = phones.format_phone
    monkeypatch.setattr(phones, "format_phone", lambda *a: calls.append(a) or real(*a))
    for style, region in SHAPES:
        assert _shown(style, region) == expected[style, region]
    assert {a[0] for a in calls} == {"+0000", "12345"}  # the two phonenumbers cannot read: shown raw, never cached


def test_a_number_without_e164_is_its_raw_text(fresh, monkeypatch):
    monkeypatch.setattr(phones, "format_phone", lambda *a: pytest.fail("format_phone called"))
    assert phone_cache.phone_text(None, "12-34 доб. 5") == "12-34 доб. 5"
    assert phone_cache.phone_text("", "") == ""


def _write(entries, key):
    path = phone_cache._cache_file()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        json.dump({"key": key, "entries": entries}, fh)


def test_a_cache_made_with_other_files_is_not_used(fresh):
    key = phone_cache._files_key()
    assert key is not None
    stale = json.loads(json.dumps(key))
    stale[1][2] += 1  # phonenumbers' __init__.py changed since (another version)
    _write({"national|RU|+79161234567": "wrong"}, stale)
    assert phone_cache.phone_text("+79161234567", "raw", "national", "RU") == phones.format_phone("+79161234567", "raw")
    phone_cache.save_start()  # written again with the files installed now
    stored = json.loads(open(phone_cache._cache_file(), encoding="utf-8").read())
    assert stored["key"] == key and stored["entries"]["national|RU|+79161234567"] == "8 (916) 123-45-67"


def test_a_cache_of_tuicrms_own_older_format_phone_is_not_used(fresh):
    key = phone_cache._files_key()
    assert key[-1][0] == "phones.py"  # the key covers services/phones.py (format_phone's rules)
    own = json.loads(json.dumps(key))
    own[-1][1] += 1
    _write({"national|RU|+79161234567": "wrong"}, own)
    assert phone_cache.phone_text("+79161234567", "raw") == "8 (916) 123-45-67"


@pytest.mark.parametrize("content", ["not json", "[]", '{"key": 1}', '{"entries": {"a": 1}, "key": null}'])
def test_a_broken_cache_is_ignored(fresh, content):
    path = phone_cache._cache_file()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(content)
    assert phone_cache.phone_text("+74957001020", "raw") == phones.format_phone("+74957001020", "raw")
    phone_cache.save_start()
    assert json.loads(open(path, encoding="utf-8").read())["entries"]


def test_an_unwritable_cache_dir_costs_nothing_but_time(fresh, tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("x")
    monkeypatch.setenv("TUICRM_CACHE_DIR", str(blocked / "cache"))  # under a file: cannot be made
    assert phone_cache.phone_text("+79161234567", "raw") == "8 (916) 123-45-67"
    phone_cache.save_start()  # no error
    phone_cache.reset()
    assert phone_cache.phone_text("+79161234567", "raw") == "8 (916) 123-45-67"


def test_saved_once_and_only_when_something_was_missing(fresh, monkeypatch):
    phone_cache.save_start()  # nothing shown yet: still recording
    phone_cache.phone_text("+79161234567", "raw")
    phone_cache.save_start()
    path = phone_cache._cache_file()
    mtime = os.stat(path).st_mtime_ns
    phone_cache.phone_text("+74957001020", "raw")  # after the save: not recorded any more
    phone_cache.save_start()
    assert os.stat(path).st_mtime_ns == mtime
    phone_cache.reset()
    phone_cache.phone_text("+79161234567", "raw")  # every number found: nothing to write
    monkeypatch.setattr(phones, "format_phone", lambda *a: pytest.fail("format_phone called"))
    phone_cache.save_start()
    assert os.stat(path).st_mtime_ns == mtime


def test_old_entries_are_kept_up_to_a_limit(fresh, monkeypatch):
    for e164 in NUMBERS[:3]:
        phone_cache.phone_text(e164, "raw")
    phone_cache.save_start()
    phone_cache.reset()
    phone_cache.phone_text(NUMBERS[3], "raw")
    phone_cache.save_start()
    stored = json.loads(open(phone_cache._cache_file(), encoding="utf-8").read())["entries"]
    assert len(stored) == 4  # another base's first page is kept beside this one's
    phone_cache.reset()
    monkeypatch.setattr(phone_cache, "MAX_ENTRIES", 4)
    phone_cache.phone_text(NUMBERS[4], "raw")
    phone_cache.save_start()
    stored = json.loads(open(phone_cache._cache_file(), encoding="utf-8").read())["entries"]
    assert list(stored) == [f"national|RU|{NUMBERS[4]}"]  # over the limit: only this start's
