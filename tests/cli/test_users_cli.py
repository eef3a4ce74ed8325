"""`tuicrm user add` / `tuicrm user list` through the installed entry point."""

import subprocess
import sys


def tuicrm(*args, db):
    return subprocess.run([sys.executable, "-m", "tuicrm", *args, "--db", db, "--user", "boss"],
                          capture_output=True, text=True, timeout=60)


def test_add_and_list(tmp_path):
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    r = tuicrm("user", "add", "anna", "--name", "Анна Петрова", "--role", "head", db=db)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "anna\tАнна Петрова\thead"
    assert tuicrm("user", "add", "oleg", db=db).returncode == 0
    r = tuicrm("user", "list", db=db)
    assert r.returncode == 0
    rows = [line.split("\t") for line in r.stdout.strip().splitlines()]
    assert ["anna", "Анна Петрова", "head"] in rows
    assert ["oleg", "oleg", "manager"] in rows
    assert ["boss", "boss", "admin"] in rows  # the first user of a base is its admin


def test_errors_are_one_line(tmp_path):
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    tuicrm("user", "add", "anna", db=db)
    r = tuicrm("user", "add", "anna", db=db)
    assert r.returncode == 2
    assert r.stderr.strip() == "tuicrm: user 'anna' already exists"
    r = tuicrm("user", "add", "x", "--role", "king", db=db)
    assert r.returncode == 2 and "king" in r.stderr and "Traceback" not in r.stderr


def test_a_manager_cannot_add_an_admin(tmp_path):
    db = f"sqlite:///{tmp_path / 'crm.db'}"
    tuicrm("user", "add", "mgr", db=db)  # boss (admin) adds a manager
    r = subprocess.run([sys.executable, "-m", "tuicrm", "user", "add", "evil", "--role", "admin", "--db", db, "--user", "mgr"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "only a head or an admin" in r.stderr
    r = tuicrm("user", "list", db=db)
    assert "evil" not in r.stdout
