"""The light commands start without the heavy libraries (speed is measured by perf/startup.py;
this checks the cause: what gets imported)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("numpy", "gymnasium", "torch", "transformers")
PROBE = """
import json, sys
from vagent.cli.app import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
sys.stderr.write(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {heavy})))
"""


def imported(*args: str) -> list[str]:
    code = PROBE.format(heavy=set(HEAVY))
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=120)
    return json.loads(done.stderr.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [
    ["--help"],
    ["parse", '✿FUNCTION✿: mobile_use\n✿ARGS✿: {"action": "click", "coordinate": [500, 500]}'],
    ["parse", "-f", "uitars", "Action: click(start_box='(10,20)')"],
])
def test_light_commands_import_no_heavy_library(args: list[str]) -> None:
    assert imported(*args) == []


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
