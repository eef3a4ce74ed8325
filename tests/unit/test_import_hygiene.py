"""The data core never imports Textual: services, model, db, transfer and the headless CLI commands
run in scripts, cron and tests without a terminal (and `tuicrm lookup` stays fast)."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import tuicrm

HEADLESS_PACKAGES = ["tuicrm.services", "tuicrm.model", "tuicrm.db", "tuicrm.transfer"]
HEADLESS_MODULES = ["tuicrm.session", "tuicrm.config", "tuicrm.formatting", "tuicrm.i18n", "tuicrm.cli.lookup",
                    "tuicrm.cli.dbcmd", "tuicrm.cli.common"]


def submodules(package: str) -> list[str]:
    try:
        module = __import__(package, fromlist=["__path__"])
    except ModuleNotFoundError:
        return []
    names = [package]
    for info in pkgutil.walk_packages(module.__path__, prefix=package + "."):
        names.append(info.name)
    return names


def imported_after(modules: list[str], code: str = "") -> dict:
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"{code}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('textual', 'rich', 'textual_plotext'))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_headless_module_is_found():
    names = [n for p in HEADLESS_PACKAGES for n in submodules(p)]
    assert "tuicrm.services.phones" in names and "tuicrm.db.schema" in names and "tuicrm.model.models" in names
    assert len(names) > 15


@pytest.mark.parametrize("package", HEADLESS_PACKAGES)
def test_headless_packages_do_not_import_textual(package):
    modules = submodules(package)
    assert modules, f"{package} has no modules"
    loaded = imported_after(modules)
    assert not [m for m in loaded if m.startswith("textual")], f"{package} pulled in {loaded[:5]}"


def test_lookup_command_does_not_import_textual():
    """The whole CLI group is built (every command module registered) and lookup's code path runs."""
    loaded = imported_after(
        HEADLESS_MODULES + ["tuicrm.cli"],
        code=(
            "from tuicrm.services import cards, search, phones\n"
            "phones.parse_cell('8 916 123-45-67')\n"
        ),
    )
    assert not [m for m in loaded if m.startswith("textual")], loaded[:5]


def test_the_check_would_see_textual():
    """The probe itself works: importing the UI does show up."""
    loaded = imported_after(["tuicrm.ui.app"])
    assert "textual" in loaded


def test_package_version():
    assert tuicrm.__version__


def test_a_real_lookup_run_does_not_import_textual(tmp_path):
    from tuicrm.config import Settings
    from tuicrm.db.connection import close_database
    from tuicrm.services import contacts
    from tuicrm.session import open_session

    url = f"sqlite:///{tmp_path / 'crm.db'}"
    session = open_session(url, Settings(language="en"), user="tester")
    contacts.create_person(session.actor, full_name="Иванов", phones=["8 916 123-45-67"])
    close_database()
    loaded = imported_after(
        [],
        code=(
            "from tuicrm.cli import main\n"
            "try:\n"
            f"    main(['lookup', '--db', {url!r}, '--json', '4567'])\n"
            "except SystemExit as exc:\n"
            "    assert exc.code == 0, exc.code\n"
        ),
    )
    assert not [m for m in loaded if m.startswith("textual")], loaded[:5]
