"""Action models, action spaces and tools: validation, schemas, sampling, custom members."""

from __future__ import annotations

import json
import time
from typing import Literal

import gymnasium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from vagent.actions import (
    Action, ActionError, ActionSpace, Click, Frame, Swipe, Terminate, get_space, to_screen, tool,
)


def test_action_json_form() -> None:
    assert Click(x=3, y=4).dump() == {"action": "click", "x": 3, "y": 4, "button": "left",
                                      "clicks": 1}
    assert Terminate().dump() == {"action": "terminate", "status": "success"}
    assert Click(x=3.5, y=4).dump()["x"] == 3.5  # model-frame values keep their fraction


def test_validate_names_the_field() -> None:
    space = get_space("mobile")
    with pytest.raises(ActionError, match="field 'y' is required"):
        space.validate({"action": "click", "x": 1})
    with pytest.raises(ActionError, match="unknown action 'fly'.*click"):
        space.validate({"action": "fly"})
    with pytest.raises(ActionError, match="field 'direction'"):
        space.validate({"action": "scroll", "direction": "sideways"})
    with pytest.raises(ActionError, match="field 'bogus' is not a field"):
        space.validate({"action": "wait", "bogus": 1})
    with pytest.raises(ActionError, match="not a JSON action"):
        space.validate("{oops")
    with pytest.raises(ActionError, match="JSON object"):
        space.validate("[1, 2]")
    assert space.validate('{"action": "button", "name": "home"}').name == "home"


def test_space_is_a_gymnasium_space_and_samples_valid_actions() -> None:
    space = get_space("gui").with_screen(1080, 2400)
    assert isinstance(space, gymnasium.spaces.Space)
    space.seed(1)
    for _ in range(300):
        action = space.sample()
        assert space.contains(action), action
        assert space.contains(action.dump())
    assert not space.contains({"action": "click", "x": 5000, "y": 1})
    assert not space.contains({"action": "nope"})


def test_schemas_for_prompts() -> None:
    schemas = {s["name"]: s for s in get_space("mobile").schemas()}
    click = schemas["click"]
    assert click["parameters"]["required"] == ["x", "y"]
    # a mouse has a pointer: the desktop's click may leave its point out, its drag its start
    desktop = {s["name"]: s for s in get_space("desktop").schemas()}
    assert "required" not in desktop["click"]["parameters"]
    assert desktop["drag"]["parameters"]["required"] == ["x2", "y2"]
    click = desktop["click"]
    assert "action" not in click["parameters"]["properties"]
    assert click["parameters"]["properties"]["button"]["enum"] == ["left", "right", "middle"]
    assert "mouse" in click["description"].lower()
    json.dumps(schemas)  # serialisable for a prompt


class Zoom(Action):
    """Zoom the map in or out around a point."""

    action: Literal["zoom"] = "zoom"
    x: float
    y: float
    factor: float = 2.0
    POINTS = (("x", "y"),)


class Address(BaseModel):
    street: str
    city: str


def test_custom_action_and_tool_in_one_space() -> None:
    @tool
    def lookup(city: str, units: Literal["c", "f"] = "c", tags: list[str] | None = None,
               where: Address | None = None) -> dict:
        """Weather in a city.

        Args:
            city: the city's name
            units: c or f
        """
        return {"city": city, "units": units}

    space = ActionSpace("mine", [*get_space("mobile").members(), Zoom, lookup])
    assert space.is_tool("lookup") and not space.is_tool("zoom")
    schema = {s["name"]: s for s in space.schemas()}["lookup"]
    assert schema["description"] == "Weather in a city."
    props = schema["parameters"]["properties"]
    assert props["city"]["description"] == "the city's name"
    assert props["units"]["enum"] == ["c", "f"] and props["units"]["default"] == "c"
    assert schema["parameters"]["required"] == ["city"]
    assert "Address" in json.dumps(schema)
    zoom = space.validate({"action": "zoom", "x": 500, "y": 500})
    mapped = to_screen(zoom, Frame(kind="rel1000"), 1080, 2400)
    assert (mapped.action.x, mapped.action.y) == (540, 1200)
    result = lookup({"city": "San Diego"})
    assert json.loads(result) == {"city": "San Diego", "units": "c"}
    with pytest.raises(ActionError, match="field 'city' is required"):
        lookup({})


def test_tool_failures_become_text() -> None:
    @tool(timeout=0.2)
    def slow() -> str:
        """Never finishes in time."""
        time.sleep(2)
        return "late"

    @tool
    def boom(n: int) -> str:
        """Raises."""
        raise RuntimeError(f"broken {n}")

    assert "did not finish within 0.2 s" in slow({})
    assert boom({"n": 3}) == "error: tool boom raised RuntimeError: broken 3"


def test_tool_from_pydantic_model() -> None:
    class Echo(Action):
        """Repeat a text back."""

        action: Literal["echo"] = "echo"
        text: str

        def run(self) -> str:
            return self.text * 2

    space = ActionSpace("t", [Echo])
    assert space.is_tool("echo")
    assert space.tools["echo"]({"text": "ab"}) == "abab"


@given(x=st.floats(-5000, 5000, allow_nan=False), y=st.floats(-5000, 5000, allow_nan=False),
       kind=st.sampled_from(["pixels", "rel1000", "resized", "unit"]),
       screen=st.sampled_from([(1080, 2400), (720, 1280), (1920, 1080), (2560, 1440)]))
@settings(max_examples=300, deadline=None)
def test_nothing_outside_the_screen_is_executed(x: float, y: float, kind: str,
                                                screen: tuple[int, int]) -> None:
    w, h = screen
    mapped = to_screen(Swipe(x1=x, y1=y, x2=-x, y2=y * 2), Frame(kind=kind), w, h)
    a = mapped.action
    for px, py in ((a.x1, a.y1), (a.x2, a.y2)):
        assert isinstance(px, int) and 0 <= px < w and 0 <= py < h
