"""The light commands start without the heavy libraries (speed is measured by perf/startup.py;
this checks the cause: what gets imported)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "gymnasium", "torch", "transformers")
ENTRY = ["vagent.cli.main", "vagent.cli.process"]  # what the entry point itself imports
PROBE = """
import json, sys
from vagent.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stderr.write(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {heavy}
                                   or m.startswith('vagent.cli.'))))
"""


def imported(*args: str, heavy: tuple[str, ...] = HEAVY) -> list[str]:
    code = PROBE.format(heavy=set(heavy))
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=120)
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [
    ["--help"],
    ["parse", '✿FUNCTION✿: mobile_use\n✿ARGS✿: {"action": "click", "coordinate": [500, 500]}'],
    ["parse", "-f", "uitars", "Action: click(start_box='(10,20)')"],
])
def test_light_commands_import_no_heavy_library(args: list[str]) -> None:
    # a plain parse line does not even build the typer app (cli/parse.py)
    app = ["vagent.cli.parse"] if args[0] == "parse" else ["vagent.cli.app"]
    assert imported(*args) == sorted([*app, *ENTRY])


def test_a_plain_parse_imports_no_typer_and_a_parse_that_needs_it_does() -> None:
    answer = '{"action": "click", "x": 1, "y": 2}'
    assert not [m for m in imported("parse", answer, heavy=("typer",))
                if m.startswith("typer")]
    assert "typer.main" in imported("parse", "--screen", "0x1", answer, heavy=("typer",))


def test_parse_of_auto_format_reads_neither_policy_formats_nor_pydantic_plugins() -> None:
    answer = '✿FUNCTION✿: mobile_use\n✿ARGS✿: {"action": "click", "coordinate": [500, 500]}'
    mods = imported("parse", answer, heavy=("vagent", "concurrent"))
    assert "vagent.actions.models" in mods  # the probe sees what parse imported
    assert not [m for m in mods if m.startswith(("vagent.policies", "concurrent"))]
    # pydantic's plugin search (every installed distribution's entry points) is skipped, and
    # the setting that skips it does not outlive the command
    code = ("import os, sys\nfrom vagent.cli.main import main\n"
            "try:\n    main(['parse', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
            "from pydantic.plugin import _loader\n"
            "print(_loader._plugins is None, os.environ.get('PYDANTIC_DISABLE_PLUGINS'))")
    done = subprocess.run([sys.executable, "-c", code, answer], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.splitlines()[-1] == "True None", done.stderr


GC_PROBE = """
import atexit, gc, json, sys
# registered before main's own exit function, so it runs after it (atexit is last in, first out)
atexit.register(lambda: sys.stderr.write(json.dumps(dict(
    collections=sum(s["collections"] for s in gc.get_stats()) - before,
    enabled_after_main=enabled, frozen_at_exit=gc.get_freeze_count() > 0)) + "\\n"))
from vagent.cli.main import main
before = sum(s["collections"] for s in gc.get_stats())
try:
    main(sys.argv[1:])
except SystemExit:
    pass
enabled = gc.isenabled()
"""


def collector(*args: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", GC_PROBE, *args], capture_output=True,
                          text=True, timeout=120)
    return json.loads(done.stderr.strip().splitlines()[-1])


def test_a_light_command_runs_without_the_collector_and_leaves_its_heap_to_the_exit() -> None:
    answer = '✿FUNCTION✿: mobile_use\n✿ARGS✿: {"action": "click", "coordinate": [500, 500]}'
    assert collector("parse", answer) == {
        "collections": 0, "enabled_after_main": True, "frozen_at_exit": True}


def test_a_command_module_runs_with_the_collector_and_exits_as_usual() -> None:
    seen = collector("eval", "merge", "--help")
    assert seen["collections"] > 0 and seen["enabled_after_main"]
    assert seen["frozen_at_exit"] is False


@pytest.mark.parametrize("args", [["eval"], ["sim", "--help"]])
def test_listing_commands_builds_none_of_them(args: list[str]) -> None:
    assert imported(*args) == ["vagent.cli.app", *ENTRY]


def test_help_imports_not_even_pydantic() -> None:
    # The listing comes from the table: no command module, no option model.
    assert imported("--help", heavy=(*HEAVY, "pydantic")) == ["vagent.cli.app", *ENTRY]


def test_a_command_loads_only_its_own_module() -> None:
    assert "vagent.cli.phone_sim" in imported("eval", "phone-sim", "--help")
    assert "vagent.cli.aitz" not in imported("eval", "phone-sim", "--help")


def test_the_table_of_lazy_commands_is_what_the_modules_build() -> None:
    import pkgutil

    import vagent.cli
    from vagent.cli.app import LAZY, load_command

    for group, commands in LAZY.items():
        for name, (_, help_line) in commands.items():
            # The one-line help listed without the module is the command's own.
            assert load_command(group, name).get_short_help_str(10_000) == help_line, name
    # Every command module is in the table (a new one must be added there to be reachable).
    modules = {m.name for m in pkgutil.iter_modules(vagent.cli.__path__)}
    registering = {m for m in modules
                   if hasattr(__import__(f"vagent.cli.{m}", fromlist=["_"]), "register")}
    assert registering == {module for commands in LAZY.values() for module, _ in commands.values()}


def test_an_unknown_command_is_a_usage_error() -> None:
    done = subprocess.run([sys.executable, "-m", "vagent", "eval", "nope"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "No such command 'nope'" in done.stderr


def test_action_space_is_still_a_gymnasium_space() -> None:
    import gymnasium

    from vagent.actions import ActionSpace, get_space

    assert issubclass(ActionSpace, gymnasium.spaces.Space)
    assert get_space("mobile").contains({"action": "click", "x": 1, "y": 2})


def test_lazy_names_are_the_modules_names() -> None:
    import vagent.actions as actions
    from vagent.actions import space

    assert actions.ActionSpace is space.ActionSpace
    assert "ActionSpace" in dir(actions)
    with pytest.raises(AttributeError):
        actions.NotAName  # noqa: B018
