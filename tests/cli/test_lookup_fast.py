"""`tuicrm lookup` without click (tuicrm.cli.main's fast path) answers exactly as the click command
(tuicrm.cli.group.main) does: same stdout, stderr and exit code for every shape of arguments;
whatever it does not know (help, a bad option value, options before `lookup`) goes to click."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SCRIPT = (
    "import json, sys\n"
    "from {module} import main\n"
    "try:\n"
    "    main({args!r})\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "sys.stdout.flush()\n"
    "print('\\n@@' + json.dumps([code, 'click' in sys.modules]))\n"
)


def run(module: str, args: list[str], env: dict | None = None) -> tuple[str, str, int, bool]:
    full_env = {k: v for k, v in os.environ.items() if k not in ("TUICRM_DB", "TUICRM_USER")}
    full_env.update({"LANG": "C.UTF-8", **(env or {})})
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(module=module, args=args)], capture_output=True, text=True,
                          env=full_env, timeout=60)
    out, _, tail = proc.stdout.rpartition("\n@@")
    code, clicked = json.loads(tail)
    return out, proc.stderr, code, clicked


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    from tuicrm.config import Settings
    from tuicrm.db.connection import close_database
    from tuicrm.services import activities, contacts
    from tuicrm.session import open_session

    path = tmp_path_factory.mktemp("fast") / "crm.db"
    url = f"sqlite:///{path}"
    session = open_session(url, Settings(language="en"), user="admin")
    cid = contacts.create_company(session.actor, "ООО «Ромашка»", inn="7707083893", phones=["8 (495) 123-45-67 доб. 12"])
    pid = contacts.create_person(session.actor, full_name="Петров Пётр", company_id=cid,
                                 phones=["+7 (916) 555-12-34", "8 (495) 123-45-67 доб. 34"], emails=["p@romashka.ru"])
    activities.log_call(session.actor, outcome="reached", result="Ждёт счёт \x1b[31mкрасный\x1b[0m", person_id=pid)
    contacts.create_person(session.actor, full_name="Старый Архив", phones=["8 916 000 00 01"])
    from tuicrm.model import Person

    Person.update(archived_at=Person.created_at).where(Person.full_name == "Старый Архив").execute()
    close_database()
    return url


SHAPES = [
    ["--lang", "en", "8 916 555 12 34"],
    ["--json", "+79165551234"],
    ["8", "916", "555", "12", "34", "--lang", "ru"],
    ["--limit", "1", "495 123-45-67"],
    ["--limit=2", "--json", "123-45-67"],
    ["4567", "--user", "nobody"],
    ["--archived", "8 916 000 00 01"],
    ["8 916 000 00 01"],
    ["Ромашка"],
    ["no such name"],
    ["--db=", "Петров"],
    ["--config", "/nonexistent/config.toml", "Петров"],
]


@pytest.mark.parametrize("args", SHAPES, ids=lambda a: " ".join(a))
def test_same_answer_with_and_without_click(base, args):
    argv = ["lookup", "--db", base, *args] if not any(a.startswith("--db=") for a in args) else ["lookup", *args]
    env = {"TUICRM_DB": base} if "--db=" in args else None
    fast = run("tuicrm.cli", argv, env)
    slow = run("tuicrm.cli.group", argv, env)
    assert fast[:3] == slow[:3]
    assert not fast[3] and slow[3]  # the fast one never imported click
    assert "Traceback" not in fast[1]


def test_environment_and_an_explicit_option(base, tmp_path):
    missing = f"sqlite:///{tmp_path / 'none.db'}"
    for argv, env in (
        (["lookup", "Петров"], {"TUICRM_DB": base, "TUICRM_USER": "admin"}),
        (["lookup", "--db", base, "Петров"], {"TUICRM_DB": missing}),
        (["lookup", "Петров"], {"TUICRM_DB": missing}),
    ):
        fast, slow = run("tuicrm.cli", argv, env), run("tuicrm.cli.group", argv, env)
        assert fast[:3] == slow[:3] and not fast[3]
    assert run("tuicrm.cli", ["lookup", "Петров"], {"TUICRM_DB": missing})[2] == 2


@pytest.mark.parametrize("argv", [
    ["lookup"],
    ["lookup", "--help"],
    ["lookup", "-h"],
    ["lookup", "--limit", "many", "4567"],
    ["lookup", "--lang", "de", "4567"],
    ["lookup", "--json=yes", "4567"],
    ["lookup", "--limit"],
    ["lookup", "-x", "4567"],
    ["lookup", "--", "4567"],
    ["--lang", "en", "lookup", "4567"],
])
def test_anything_else_is_clicks(base, argv):
    argv = argv + (["--db", base] if argv[-1] == "4567" and "--" not in argv else [])
    fast = run("tuicrm.cli", argv)
    slow = run("tuicrm.cli.group", argv)
    assert fast[:3] == slow[:3]
    assert fast[3]  # handed to click


def test_the_console_script_uses_it(base):
    from pathlib import Path

    script = Path(sys.executable).with_name("tuicrm")
    if not script.exists():
        pytest.skip("no installed entry point")
    proc = subprocess.run([str(script), "lookup", "--db", base, "--lang", "en", "Петров"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "Петров Пётр" in proc.stdout
