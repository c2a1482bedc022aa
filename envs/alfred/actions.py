"""ALFRED's high-level actions as models, and the action space that samples names the agent knows.

Apart from the env so that the oracle (which writes these actions) and the env (which runs them)
both import them from below.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, create_model

from vagent.actions import Action, ActionSpace, Terminate


class GotoLocation(Action):
    """Walk to a place or a known object (e.g. "countertop 2", "fridge", "apple")."""

    action: Literal["GotoLocation"] = "GotoLocation"
    target: str = Field(min_length=1)


def _verb(name: str, doc: str, field: str = "object") -> type[Action]:
    fields = {"action": (Literal[name], name), field: (str, Field(min_length=1))}  # type: ignore[valid-type]
    model = create_model(name, __base__=Action, **fields)  # type: ignore[call-overload]
    model.__doc__ = doc
    return model


Pickup = _verb("Pickup", "Pick up a visible object with the empty hand.")
Put = _verb("Put", "Put the held object into or onto a visible receptacle.", "receptacle")
Open = _verb("Open", "Open a visible fridge, microwave, cabinet or drawer.")
Close = _verb("Close", "Close a visible open fridge, microwave, cabinet or drawer.")
ToggleOn = _verb("ToggleOn", "Turn on a visible lamp, faucet or microwave.")
ToggleOff = _verb("ToggleOff", "Turn off a visible lamp, faucet or microwave.")
Slice = _verb("Slice", "Slice a visible object while holding a knife.")
Heat = _verb("Heat", "Heat the held object in the microwave in view.")
Cool = _verb("Cool", "Cool the held object in the fridge in view.")
Clean = _verb("Clean", "Clean the held object in the sink basin in view.")

ACTIONS: tuple[type[Action], ...] = (GotoLocation, Pickup, Put, Open, Close, ToggleOn, ToggleOff,
                                     Slice, Heat, Cool, Clean, Terminate)


class AlfredSpace(ActionSpace):
    """ALFRED's high-level actions; ``sample`` names objects the agent can see or knows."""

    def __init__(self, names: Any = None, seed: int | None = None):
        super().__init__("alfred", ACTIONS, seed=seed)
        self._names = names or (lambda: [])

    def with_screen(self, width: int, height: int) -> AlfredSpace:
        space = AlfredSpace(self._names)
        space.screen = (width, height)
        space._rng = self._rng
        return space

    def sample(self, mask: Any = None, probability: Any = None) -> Action:
        model = self._rng.choice([m for m in ACTIONS if m is not Terminate])
        names = list(self._names()) or ["countertop 1"]
        field = next(f for f in model.model_fields if f != "action")
        return model.model_validate({"action": model.action_name(), field: self._rng.choice(names)})
