"""MapGPT-style prompts for VLN: lettered options, a map of places, images as prompt parts.

Every place the agent has seen gets a number in the order it was first seen (the start is Place
0). A step's prompt gives the instruction, the history of moves, the trajectory as place
numbers, the map (which places each visited place connects to), the places seen but not visited,
and the options: ``A. stop`` first, then one option per candidate, "turn left to Place 3", each
followed by its image. For REVERIE the stop options name the target: one per object seen here.
The answer ends with ``Action: <letter>``; the protocol turns the letter back into a call.
"""

from __future__ import annotations

from typing import Any

from vagent.actions.parsing import Parsed
from vagent.actions.parsing.options import choose_option, option_letters
from vagent.actions.protocol import Part, Protocol

SYSTEM = (
    "You are a robot that moves through a building by following a navigation instruction. "
    "Places you have visited or seen are numbered; each option leads to a place, shown by the "
    "image in that direction. 'Instruction' is the whole route: judge which parts you have done. "
    "'History' lists your moves, 'Trajectory' the places you have been (you started at Place 0), "
    "'Map' which places connect to the ones you visited, 'Seen, not visited' places you could "
    "go back to if you took a wrong turn. Compare the images with the landmarks of the "
    "instruction, avoid going round in circles, and stop when you reach the destination. "
    "Think briefly, then end your answer with the letter of one option, as 'Action: A'."
)


class MapProtocol(Protocol):
    """MapGPT's lettered-option protocol over VLNEnv observations."""

    name = "vln-map"
    system = SYSTEM

    def __init__(self, reverie: bool = False, images: bool = True):
        self.reverie = reverie
        self.images = images
        self._calls: dict[str, dict[str, Any]] = {}

    def options(self, obs: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        """(text, call) per option, in letter order."""
        out: list[tuple[str, dict[str, Any]]] = []
        objects = obs.get("objects") or {}
        if self.reverie and objects:
            for oid, name in sorted(objects.items(), key=lambda kv: (kv[1], kv[0])):
                out.append((f"stop: the target is the {name} (object {oid})",
                            {"action": "stop", "object_id": oid}))
        else:
            out.append(("stop", {"action": "stop"}))
        for c in obs.get("candidates", []):
            out.append((f"{c['direction']} to Place {c['place']}, shown in Image {c['place']}",
                        {"action": "go", "viewpoint": c["viewpoint"]}))
        return out

    def prompt(self, context: Any) -> list[Part]:
        obs = context.observation
        options = self.options(obs)
        letters = option_letters(len(options))
        self._calls = {letter: call for letter, (_, call) in zip(letters, options)}
        places = obs.get("places", [])
        visited = set(obs.get("trajectory", []))
        linked = {p for ns in obs.get("map", {}).values() for p in ns}
        here = {c["place"] for c in obs.get("candidates", [])}
        seen = sorted(p for p in linked if p not in visited and p not in here)
        history = "; ".join(f"step {i}: {h}" for i, h in enumerate(obs.get("history", [])))
        map_lines = "\n".join(f"Place {p} connects to Places {', '.join(map(str, ns)) or 'none'}"
                              for p, ns in sorted(obs.get("map", {}).items()))
        text = (f"Instruction: {obs.get('instruction', context.task)}\n"
                f"History: {history or 'the navigation has just begun.'}\n"
                f"Trajectory: Place {' '.join(map(str, obs.get('trajectory', [0])))}\n"
                f"Map:\n{map_lines}\n"
                f"Seen, not visited: {', '.join(f'Place {p}' for p in seen) or 'nothing yet.'}\n"
                f"({len(places)} places known.)")
        parts: list[Part] = [text]
        if self.images:
            parts += ["Current view:", obs["screenshot"]]
        parts.append(f"Action options (step {obs.get('step', 0)}):")
        images = {c["viewpoint"]: c["image"] for c in obs.get("candidates", [])}
        for letter, (label, call) in zip(letters, options):
            parts.append(f"{letter}. {label}")
            if self.images and call["action"] == "go":
                parts.append(images[call["viewpoint"]])
        parts.append("Answer with your reasoning, then 'Action: <letter>'.")
        return parts

    def parse(self, text: str) -> Parsed:
        if not self._calls:
            from vagent.actions.errors import ParseError

            raise ParseError("no options were posed yet — call prompt() first")
        letter = choose_option(text, list(self._calls))
        thought = text[: text.lower().rfind("action")].strip() if "action" in text.lower() else ""
        return Parsed(thought=thought, calls=[dict(self._calls[letter])], format="vln-map")

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "reverie": self.reverie, "images": self.images}
