"""`tuicrm lookup` starts light: only its own command module and what a lookup needs are imported;
every other command is still there when asked for."""

from __future__ import annotations

import json
import subprocess
import sys


def test_help_lists_every_command():
    proc = subprocess.run([sys.executable, "-m", "tuicrm", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    for name in ("lookup", "db", "demo"):
        assert f"  {name} " in proc.stdout, name


def test_other_commands_load_on_demand(tmp_path):
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    proc = subprocess.run([sys.executable, "-m", "tuicrm", "db", "info", "--db", url], capture_output=True, text=True, timeout=60)
    assert "No such command" not in proc.stderr and "no base at" in proc.stderr  # the command ran
    proc = subprocess.run([sys.executable, "-m", "tuicrm", "no-such-command"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "No such command" in proc.stderr


def test_lookup_imports_only_what_it_needs(tmp_path):
    from tuicrm.config import Settings
    from tuicrm.db.connection import close_database
    from tuicrm.services import contacts
    from tuicrm.session import open_session

    url = f"sqlite:///{tmp_path / 'crm.db'}"
    session = open_session(url, Settings(language="en"), user="tester")
    contacts.create_person(session.actor, full_name="Петров Пётр", phones=["+7 (916) 555-12-34"])
    close_database()
    script = (
        "import json, sys\n"
        "from tuicrm.cli import main\n"
        "try:\n"
        f"    main(['lookup', '--db', {url!r}, '--lang', 'en', '8 916 555 12 34'])\n"
        "except SystemExit as exc:\n"
        "    code = exc.code\n"
        "print(json.dumps([code, sorted(sys.modules)]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    code, modules = json.loads(proc.stdout.strip().splitlines()[-1])
    assert code == 0 and "Петров Пётр" in proc.stdout
    heavy = [m for m in modules if m.split(".")[0] in ("textual", "rich", "babel", "platformdirs", "tomli_w", "openpyxl",
                                                     "click", "typing")]
    assert heavy == []
    # a sqlite:/// URL and no config file: read without pathlib / urllib.parse (~4 ms with ipaddress)
    assert not {"pathlib", "urllib.parse", "ipaddress"} & set(modules)
    others = [m for m in modules if m.startswith("tuicrm.cli.") and m not in ("tuicrm.cli.common", "tuicrm.cli.lookup")]
    assert others == []
    # what a read-only lookup never needs: the write side, list paging, seeding
    assert not {"tuicrm.services.contacts", "tuicrm.services.contact_list", "tuicrm.services.deals"} & set(modules)
    assert "playhouse.db_url" not in modules
