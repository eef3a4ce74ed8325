"""What the app's start leaves out (tuicrm.startup): psycopg2 for a SQLite base — and peewee still
works on PostgreSQL when the config file names a server, as if it had found psycopg2 itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

# tuicrm.ui.app replaced by a stand-in whose app reports what the start imported and opened
SCRIPT = r"""
import json, sys, types
fake = types.ModuleType("tuicrm.ui.app")
class FakeApp:
    return_code = 0
    def __init__(self, session):
        self.session = session
    def run(self):
        import peewee
        from tuicrm.model import Person
        print("@@" + json.dumps({
            "psycopg2": "psycopg2" in sys.modules,
            "peewee_psycopg2": peewee.psycopg2 is not None,
            "engine": type(self.session.db).__name__,
            "persons": Person.select().count(),
        }))
fake.create_app = lambda session, theme=None: FakeApp(session)
sys.modules["tuicrm.ui.app"] = fake
from tuicrm.cli import main
main(sys.argv[1:])
"""


def start(args: list[str], env: dict | None = None) -> dict:
    full_env = {k: v for k, v in os.environ.items() if k not in ("TUICRM_DB", "TUICRM_USER")}
    full_env.update(env or {})
    proc = subprocess.run([sys.executable, "-c", SCRIPT, *args], capture_output=True, text=True, env=full_env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.rsplit("@@", 1)[1])


def test_a_sqlite_start_never_loads_psycopg2(tmp_path):
    got = start(["--db", f"sqlite:///{tmp_path / 'crm.db'}", "--user", "anna", "--lang", "en"])
    assert got == {"psycopg2": False, "peewee_psycopg2": False, "engine": "SqliteDatabase", "persons": 0}
    got = start(["--user", "anna"], {"TUICRM_DB": str(tmp_path / "other.db")})  # a bare path is SQLite too
    assert got["psycopg2"] is False and got["engine"] == "SqliteDatabase"


def _peewee_state(code: str) -> dict:
    script = code + (
        "\nimport json, peewee, psycopg2.extensions as ext\n"
        "A = peewee.Psycopg2Adapter\n"
        "print(json.dumps({\n"
        "    'module': peewee.psycopg2.__name__, 'extensions': peewee.pg_extensions.__name__,\n"
        "    'json': peewee.Json_pg2.__module__ + '.' + peewee.Json_pg2.__qualname__,\n"
        "    'register_uuid': peewee.pg_register_uuid.__module__ + '.' + peewee.pg_register_uuid.__name__,\n"
        "    'txn': [A.txn_idle, A.txn_inerror, A.txn_unknown],\n"
        "    'uuid_caster': sorted(k for k, v in ext.string_types.items() if v.name == 'UUID'),\n"
        "    'adapter_json': type(A().json_type).__name__,\n"
        "}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_given_back_psycopg2_leaves_peewee_as_its_own_import_does():
    normal = _peewee_state("import peewee")
    hidden_then_given = _peewee_state(
        "import sys\n"
        "from tuicrm import startup\n"
        "startup.import_peewee(None)\n"
        "import peewee\n"
        "assert peewee.psycopg2 is None and 'psycopg2' not in sys.modules and startup.psycopg2_hidden()\n"
        "startup.ensure_postgres_driver()\n"
        "assert not startup.psycopg2_hidden()\n"
    )
    assert hidden_then_given == normal
    assert normal["txn"] == [0, 3, 4] and normal["uuid_caster"]  # what is compared is really there


def test_a_server_url_given_on_the_command_line_imports_peewee_as_usual():
    code = (
        "import sys\n"
        "from tuicrm import startup\n"
        "startup.import_peewee('postgresql://u@localhost/crm')\n"
        "import peewee\n"
        "print(peewee.psycopg2 is not None, startup.psycopg2_hidden())\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.split() == ["True", "False"], proc.stderr


@pytest.mark.pg
def test_a_postgresql_base_named_in_the_config_file_still_works(pg_db_url, tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'db = "{pg_db_url}"\n', encoding="utf-8")
    got = start(["--user", "anna", "--config", str(config)])
    assert got["engine"] == "PostgresqlDatabase" and got["peewee_psycopg2"] is True
    got = start(["--db", pg_db_url, "--user", "anna"])
    assert got["engine"] == "PostgresqlDatabase" and got["peewee_psycopg2"] is True
