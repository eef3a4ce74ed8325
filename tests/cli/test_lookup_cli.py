"""`tuicrm lookup` through the installed entry point: cards whatever way a number was stored,
--json for scripts, exit codes 0 / 1 / 2, one clear line (never a traceback) on bad input."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

TUICRM = Path(sys.executable).with_name("tuicrm")


def run(*args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    cmd = [str(TUICRM)] if TUICRM.exists() else [sys.executable, "-m", "tuicrm"]
    full_env = {**os.environ, "LANG": "C.UTF-8", **(env or {})}
    return subprocess.run(cmd + list(args), capture_output=True, text=True, env=full_env, timeout=timeout)


def assert_one_clear_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("tuicrm: ")
    for needle in needles:
        assert needle in lines[0], lines[0]


def build_base(url: str, stored_mobile: str = "+7 916 123 45 67") -> dict:
    """A small base: a company with a person, an activity history, a task and an open deal."""
    from tuicrm.config import Settings
    from tuicrm.db.connection import close_database
    from tuicrm.services import activities, contacts, deals, users
    from tuicrm.session import open_session

    session = open_session(url, Settings(language="en"), user="admin")
    actor = session.actor
    anna = users.create_user("anna", "Анна Смирнова", "manager")
    cid = contacts.create_company(actor, "ООО «Ромашка»", inn="7707083893", phones=["8 (495) 123-45-67 доб. 12"],
                                  owner_id=anna.id)
    pid = contacts.create_person(
        actor, full_name="Иванов Пётр Сергеевич", position="Бухгалтер", company_id=cid, owner_id=anna.id,
        phones=[stored_mobile, "8 (495) 123-45-67 доб. 34"], emails=["petr@romashka.ru"],
    )
    other = contacts.create_person(actor, full_name="Петрова Анна", phones=["8-903-765-43-21"])
    activities.log_call(actor, outcome="reached", result="Ждёт счёт", person_id=pid, at=dt.datetime(2026, 11, 20, 9, 30))
    activities.create_activity(actor, "task", "Выставить счёт", due_at=dt.datetime(2026, 11, 30, 8, 0), person_id=pid)
    deals.create_deal(actor, "Поставка бумаги", amount_minor=12_500_000, person_id=pid, company_id=cid)
    close_database()
    return {"company": cid, "person": pid, "other": other}


@pytest.fixture
def base(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    ids = build_base(url)
    return url, ids


# --- found: exit 0 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["8 (916) 123-45-67", "+79161234567", "9161234567", "7-916-123-45-67", "45-67", "4567"])
def test_lookup_by_phone_in_any_format_prints_the_card(base, query):
    url, ids = base
    proc = run("lookup", "--db", url, "--lang", "en", query)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.splitlines()[0] == "Иванов Пётр Сергеевич"
    assert "Бухгалтер, ООО «Ромашка»" in out
    assert "8 (916) 123-45-67" in out  # formatted, whatever way it was typed
    assert "8 (495) 123-45-67 ext. 34" in out
    assert "petr@romashka.ru" in out
    assert "Анна Смирнова" in out  # owner
    assert "Ждёт счёт" in out or "reached" in out.lower() or "Reached" in out  # last activity
    assert "Выставить счёт" in out  # next task
    assert "Поставка бумаги" in out and "125" in out  # open deal with its amount
    assert "Петрова" not in out
    assert proc.stderr == ""


@pytest.mark.parametrize("stored", ["+7 916 123 45 67", "89161234567", "9161234567", "тел. 8(916)123-45-67 (личный)", "7 916 1234567 доб. 5"])
def test_lookup_finds_the_number_whatever_way_it_was_stored(tmp_path, stored):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    build_base(url, stored_mobile=stored)
    proc = run("lookup", "--db", url, "--lang", "en", "8 (916) 123-45-67")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Иванов Пётр Сергеевич\n")


@pytest.mark.parametrize("query, first", [("Иванов", "Иванов Пётр Сергеевич"), ("Petr@Romashka", "Иванов Пётр Сергеевич"),
                                          ("7707083893", "ООО «Ромашка»"), ("ромашка", None)])
def test_lookup_by_name_email_tax_id_company(base, query, first):
    url, ids = base
    proc = run("lookup", "--db", url, "--lang", "en", query)
    assert proc.returncode == 0, proc.stderr
    if first:
        assert proc.stdout.splitlines()[0] == first
    else:
        assert "ООО «Ромашка»" in proc.stdout


def test_lookup_json_structure(base):
    url, ids = base
    proc = run("lookup", "--db", url, "--json", "8 916 123-45-67")
    assert proc.returncode == 0, proc.stderr
    cards = json.loads(proc.stdout)
    assert isinstance(cards, list) and len(cards) == 1
    card = cards[0]
    assert {k: card[k] for k in ("id", "kind", "name", "company", "position", "owner")} == {
        "id": ids["person"], "kind": "person", "name": "Иванов Пётр Сергеевич", "company": "ООО «Ромашка»",
        "position": "Бухгалтер", "owner": "Анна Смирнова",
    }
    assert card["phones"][0] == {"raw": "+7 916 123 45 67", "e164": "+79161234567", "extension": None, "kind": "mobile",
                                 "valid": True, "invalid_reason": None}
    assert {(p["e164"], p["extension"]) for p in card["phones"]} == {("+79161234567", None), ("+74951234567", "34")}
    assert card["emails"] == ["petr@romashka.ru"]
    assert card["open_deals"][0]["title"] == "Поставка бумаги" and card["open_deals"][0]["amount"] == 125000
    assert card["next_activity"]["subject"] == "Выставить счёт"
    assert card["last_activity"]["result"] == "Ждёт счёт"

    by_inn = json.loads(run("lookup", "--db", url, "--json", "7707083893").stdout)
    assert by_inn[0]["kind"] == "company" and by_inn[0]["id"] == ids["company"]
    assert by_inn[0]["phones"][0]["extension"] == "12"


def test_shared_office_number_finds_every_card_holding_it(base):
    url, ids = base
    cards = json.loads(run("lookup", "--db", url, "--json", "+7 495 123-45-67").stdout)
    assert {(c["kind"], c["id"]) for c in cards} == {("company", ids["company"]), ("person", ids["person"])}


# --- nothing: exit 1 -----------------------------------------------------------------------------------


def test_nothing_found_exits_1(base):
    url, _ = base
    proc = run("lookup", "--db", url, "--lang", "en", "8 999 000-00-00")
    assert (proc.returncode, proc.stdout) == (1, "")
    assert "nothing found" in proc.stderr
    proc = run("lookup", "--db", url, "--json", "сидоров")
    assert (proc.returncode, json.loads(proc.stdout)) == (1, [])


# --- errors: exit 2, one line, no traceback ---------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is: nothing listens there


@pytest.mark.parametrize(
    "url, needles",
    [
        ("mysql://user@host/crm", ["unsupported database URL", "sqlite:///"]),
        ("foo", None),  # a bare path that does not exist: a missing base
        ("postgresql://localhost", ["bad database URL", "database name"]),
    ],
)
def test_wrong_url_gives_one_line_and_exit_2(tmp_path, url, needles):
    proc = run("lookup", "--db", url if url != "foo" else str(tmp_path / "foo.db"), "8 916 123-45-67")
    assert_one_clear_error(proc, *(needles or ["no base at"]))


def test_unreachable_postgresql_server(tmp_path):
    port = _closed_port()
    proc = run("lookup", "--db", f"postgresql://crm:s3cret@127.0.0.1:{port}/crm", "4567")
    assert_one_clear_error(proc, "cannot open", f"127.0.0.1:{port}")
    assert "s3cret" not in proc.stderr  # the password is never printed


def test_a_file_that_is_not_a_base(tmp_path):
    junk = tmp_path / "prices.xlsx"
    junk.write_bytes(b"PK\x03\x04" + os.urandom(2000))
    before = junk.read_bytes()
    proc = run("lookup", "--db", f"sqlite:///{junk}", "4567")
    assert_one_clear_error(proc, "file is not a database")
    assert junk.read_bytes() == before


def test_a_directory_instead_of_a_base(tmp_path):
    assert_one_clear_error(run("lookup", "--db", str(tmp_path), "4567"), "is a directory")


def test_a_relative_missing_base_is_shown_with_its_full_path(tmp_path):
    proc = subprocess.run([str(TUICRM), "lookup", "--db", "sqlite:///sub/crm.db", "4567"], capture_output=True, text=True,
                          cwd=tmp_path, env={**os.environ, "LANG": "C.UTF-8"}, timeout=60)
    assert_one_clear_error(proc, f"no base at {tmp_path / 'sub' / 'crm.db'}")


def test_a_missing_base_is_not_created_by_lookup(tmp_path):
    target = tmp_path / "nowhere" / "crm.db"
    proc = run("lookup", "--db", f"sqlite:///{target}", "4567")
    assert_one_clear_error(proc, "no base at")
    assert not target.exists()


def test_a_base_newer_than_the_app(base, tmp_path):
    url, _ = base
    path = Path(url.split(":///", 1)[1])
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO tuicrm_schema (version, applied_at) VALUES (999, '2030-01-01')")
    conn.close()
    before = path.read_bytes()
    proc = run("lookup", "--db", url, "4567")
    assert_one_clear_error(proc, "schema version 999", "upgrade tuicrm")
    assert path.read_bytes() == before


def test_a_foreign_sqlite_base(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    conn.close()
    proc = run("lookup", "--db", str(path), "4567")
    assert_one_clear_error(proc, "not a tuicrm base")


# --- environment, users, locks ----------------------------------------------------------------------------


def test_tuicrm_db_env_is_honoured(base):
    url, _ = base
    proc = run("lookup", "--json", "9161234567", env={"TUICRM_DB": url})
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["name"] == "Иванов Пётр Сергеевич"
    # --db wins over the environment
    proc = run("lookup", "--db", url, "9161234567", env={"TUICRM_DB": "mysql://nope/x"})
    assert proc.returncode == 0, proc.stderr


def test_lookup_does_not_register_the_caller_as_a_user(base):
    url, _ = base
    proc = run("lookup", "--db", url, "--user", "asterisk", "4567")
    assert proc.returncode == 0, proc.stderr
    conn = sqlite3.connect(url.split(":///", 1)[1])
    try:
        assert conn.execute("SELECT count(*) FROM \"user\" WHERE login = 'asterisk'").fetchone() == (0,)
    finally:
        conn.close()


def test_private_cards_stay_private_for_a_script_user(tmp_path):
    from tuicrm.config import Settings
    from tuicrm.db.connection import close_database
    from tuicrm.services import contacts
    from tuicrm.session import open_session

    url = f"sqlite:///{tmp_path / 'crm.db'}"
    session = open_session(url, Settings(language="en"), user="boss")
    contacts.create_person(session.actor, full_name="Тайный Клиент", visibility="private", phones=["8 916 123-45-67"])
    close_database()
    assert run("lookup", "--db", url, "--user", "asterisk", "4567").returncode == 1
    assert run("lookup", "--db", url, "--user", "boss", "4567").returncode == 0


def test_lookup_works_while_another_process_holds_a_write_transaction(base):
    url, _ = base
    writer = sqlite3.connect(url.split(":///", 1)[1], isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE person SET position = 'uncommitted'")
        proc = run("lookup", "--db", url, "--json", "4567", timeout=30)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["position"] == "Бухгалтер"


# --- PostgreSQL ---------------------------------------------------------------------------------------------


@pytest.mark.pg
def test_lookup_on_postgresql(pg_db_url):
    from tests.conftest import _truncate_pg

    _truncate_pg(pg_db_url)
    ids = build_base(pg_db_url, stored_mobile="8 (916) 123-45-67")
    proc = run("lookup", "--db", pg_db_url, "--json", "+7 916 1234567")
    assert proc.returncode == 0, proc.stderr
    cards = json.loads(proc.stdout)
    assert [(c["kind"], c["id"], c["name"]) for c in cards] == [("person", ids["person"], "Иванов Пётр Сергеевич")]
    proc = run("lookup", "--db", pg_db_url, "--lang", "en", "4567")
    assert proc.returncode == 0 and "8 (916) 123-45-67" in proc.stdout
    assert run("lookup", "--db", pg_db_url, "0000000").returncode == 1


@pytest.mark.pg
def test_lookup_on_a_missing_postgresql_database(pg_server_url):
    url = pg_server_url.rsplit("/", 1)[0] + "/no_such_db"
    proc = run("lookup", "--db", url, "4567")
    assert_one_clear_error(proc, "cannot open", "no_such_db")


# --- Russian -------------------------------------------------------------------------------------------------


def test_russian_card_and_messages(base):
    url, _ = base
    proc = run("lookup", "--db", url, "--lang", "ru", "4567")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "мобильный" in out and "доб. 34" in out and "ответственный: Анна Смирнова" in out
    assert "последнее:" in out and "дозвонились" in out and "следующее:" in out and "Задача Выставить счёт" in out
    assert "сделка: Поставка бумаги" in out
    nothing = run("lookup", "--db", url, "--lang", "ru", "сидоров")
    assert nothing.returncode == 1 and "ничего не найдено" in nothing.stderr
    missing = run("lookup", "--db", url + ".missing", "--lang", "ru", "4567")
    assert_one_clear_error(missing, "нет базы")


FOUNDATION_FILES = ["tuicrm/cli/lookup.py", "tuicrm/cli/dbcmd.py", "tuicrm/cli/common.py", "tuicrm/session.py",
                    "tuicrm/db/connection.py", "tuicrm/db/schema.py"]


