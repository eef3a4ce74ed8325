"""Bare `tuicrm` without click (tuicrm.cli.main's fast path for the app) starts the app exactly as
the click group (tuicrm.cli.group.main) does: the same options, environment, error messages and
exit codes; whatever it does not know (help, version, a subcommand, a bad option) goes to click.

The app itself is replaced by a stand-in that prints what it was given (run_app's arguments), so
both paths can be compared without a terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

SCRIPT = (
    "import gc, json, sys\n"
    "import tuicrm.cli.run as run_mod\n"
    "def fake_run_app(obj, *, demo=False, theme=None):\n"
    "    print('@@APP ' + json.dumps([repr(obj), demo, theme]))\n"
    "    print('@@GC ' + json.dumps(gc.isenabled()), file=sys.stderr)\n"
    "    {behaviour}\n"
    "run_mod.run_app = fake_run_app\n"
    "from {module} import main\n"
    "code = None\n"
    "try:\n"
    "    main({args!r})\n"
    "except SystemExit as exc:\n"
    "    code = exc.code\n"
    "sys.stdout.flush()\n"
    "print('\\n@@' + json.dumps([code, 'click' in sys.modules, gc.isenabled()]))\n"
)


def run(module: str, args: list[str], env: dict | None = None, behaviour: str = "return 0"):
    full_env = {k: v for k, v in os.environ.items() if k not in ("TUICRM_DB", "TUICRM_USER")}
    full_env.update({"LANG": "C.UTF-8", **(env or {})})
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(module=module, args=args, behaviour=behaviour)],
                          capture_output=True, text=True, env=full_env, timeout=60)
    out, _, tail = proc.stdout.rpartition("\n@@")
    code, clicked, gc_enabled = json.loads(tail)
    assert gc_enabled, "the collector stays paused after main()"
    lines = proc.stderr.splitlines(keepends=True)
    gc_in_app = [json.loads(line[5:]) for line in lines if line.startswith("@@GC ")]
    err = "".join(line for line in lines if not line.startswith("@@GC "))
    return out, err, code, clicked, gc_in_app


SHAPES = [
    [],
    ["--db", "sqlite:///x.db"],
    ["--db=sqlite:///x.db", "--user", "anna"],
    ["--lang", "ru"],
    ["--lang=auto", "--config", "/nonexistent/config.toml"],
    ["--demo"],
    ["--theme", "crm-light"],
    ["--theme=crm-contrast", "--demo", "--user=boss"],
    ["--db", "sqlite:///a.db", "--db", "sqlite:///b.db"],  # the last one wins, as in click
    ["--user", ""],
    ["--db="],
]


@pytest.mark.parametrize("args", SHAPES, ids=lambda a: " ".join(a) or "(none)")
def test_same_start_with_and_without_click(args):
    fast = run("tuicrm.cli", args)
    slow = run("tuicrm.cli.group", args)
    assert fast[:3] == slow[:3]
    assert "@@APP" in fast[0]
    assert not fast[3] and slow[3]  # the fast one never imported click


def test_the_collector_is_paused_while_the_app_starts():
    assert run("tuicrm.cli", ["--db", "sqlite:///x.db"])[4] == [False]  # resumed by the app itself
    assert run("tuicrm.cli", ["--lang", "en", "--db", "sqlite:///x.db"])[4] == [False]
    assert run("tuicrm.cli.group", ["--db", "sqlite:///x.db"])[4] == [True]  # click alone pauses nothing


def test_environment_and_an_explicit_option():
    for argv, env in (
        ([], {"TUICRM_DB": "sqlite:///env.db", "TUICRM_USER": "anna"}),
        (["--db", "sqlite:///opt.db"], {"TUICRM_DB": "sqlite:///env.db"}),
        (["--user", "boss"], {"TUICRM_USER": "anna"}),
        ([], {"TUICRM_DB": "", "TUICRM_USER": ""}),
    ):
        fast, slow = run("tuicrm.cli", argv, env), run("tuicrm.cli.group", argv, env)
        assert fast[:3] == slow[:3] and not fast[3]


@pytest.mark.parametrize("behaviour", [
    "return 3",
    "return None",
    "from tuicrm.db.connection import DatabaseUnavailable; raise DatabaseUnavailable('cannot use x: gone')",
    "raise KeyboardInterrupt",
    "raise EOFError",
    "raise OSError(13, 'Permission denied', '/x/crm.db')",
])
def test_same_exit_and_messages_when_the_app_ends_or_fails(behaviour):
    fast = run("tuicrm.cli", ["--db", "sqlite:///x.db"], behaviour=behaviour)
    slow = run("tuicrm.cli.group", ["--db", "sqlite:///x.db"], behaviour=behaviour)
    assert fast[:3] == slow[:3]
    assert not fast[3]
    assert "Traceback" not in fast[1]


@pytest.mark.parametrize("argv", [
    ["--help"],
    ["-h"],
    ["--version"],
    ["--lang", "de"],
    ["--demo=yes"],
    ["--db"],
    ["--user", "--demo"],
    ["-x"],
    ["--", "--demo"],
    ["--lang", "en", "no-such-command"],
    ["--lang", "en", "db", "info", "--db", "sqlite:////nonexistent/dir/crm.db"],
])
def test_anything_else_is_clicks(argv):
    fast = run("tuicrm.cli", argv)
    slow = run("tuicrm.cli.group", argv)
    assert fast[:3] == slow[:3]
    assert fast[3]  # handed to click


def test_a_subcommand_runs_with_the_collector_on(tmp_path):
    """Only the app's start runs without the cyclic collector: a subcommand (an import, say) gets
    it back before it runs, whichever way it was parsed."""
    script = (
        "import gc, sys\n"
        "import tuicrm.session as session_mod\n"
        "def fake_open_session(*a, **k):\n"
        "    print('@@GC', gc.isenabled())\n"
        "    raise SystemExit(0)\n"
        "session_mod.open_session = fake_open_session\n"
        "from tuicrm.cli import main\n"
        f"main(sys.argv[1:])\n"
    )
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    for argv in (["db", "info", "--db", url], ["--lang", "en", "db", "info", "--db", url]):
        proc = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True, timeout=60)
        assert "@@GC True" in proc.stdout, (argv, proc.stdout, proc.stderr)
