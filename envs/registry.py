"""The env registry is gymnasium's: every env is ``vagent/<Name>-v<N>`` there, registered when
this module is imported — by vagent itself, or by gymnasium's import through ``envs/plugin.py``,
so ``gymnasium.make("vagent/NumberLine-v0")`` works in a fresh interpreter with no import first.
``envs.make(name)`` takes either the short name the CLI uses (``android-sim``) or the gymnasium
id, and goes through ``gymnasium.make`` so that ``env.spec`` is set.

Entry points are "module:Class" strings so that listing envs imports nothing heavy.
"""

from __future__ import annotations

from typing import Any

import gymnasium

from vagent.actions.errors import VagentError

NAMESPACE = "vagent"


class UnknownEnv(VagentError, KeyError):
    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


#: short name -> (gymnasium id without the namespace, entry point, one-line description)
BUILTIN: dict[str, tuple[str, str, str]] = {
    "buttons": ("Buttons-v0", "vagent.envs.buttons:ButtonsEnv",
                "a drawn screen with buttons and a text field, for trying the loop"),
    "vln": ("VLN-v0", "vagent.envs.vln.env:VLNEnv",
            "vision-and-language navigation (R2R/REVERIE) on a navigation graph"),
    "desktop": ("Desktop-v0", "vagent.envs.desktop:DesktopEnv",
                "a real desktop: mss screenshots, pyautogui input (--xvfb for a virtual one)"),
    "fncall": ("FnCall-v0", "vagent.envs.fncall:FnCallEnv",
               "an image and a question answered with tools (function-calling benchmark)"),
    "numberline": ("NumberLine-v0", "vagent.envs.cards.numberline:NumberLineEnv",
                   "RL4VLM NumberLine: move to the target with - and +"),
    "blackjack": ("Blackjack-v0", "vagent.envs.cards.blackjack:BlackjackEnv",
                  "RL4VLM Blackjack: stand or hit"),
    "ezpoints": ("EZPoints-v0", "vagent.envs.cards.ezpoints:EZPointsEnv",
                 "RL4VLM EZPoints: two cards, a formula equal to 12"),
    "points24": ("Points24-v0", "vagent.envs.cards.points24:Points24Env",
                 "RL4VLM Points24: four cards, a formula equal to 24"),
    "android": ("Android-v0", "vagent.envs.android.env:AndroidEnv",
                "an Android device over ADB (--serial HOST:PORT)"),
    "android-sim": ("AndroidSim-v0", "vagent.envs.android.simenv:SimulatedPhoneEnv",
                    "the simulated phone (ADB protocol) started in-process"),
    "alfred": ("Alfred-v0", "vagent.envs.alfred.generate:generated_env",
               "ALFRED household tasks, high-level actions, on AI2-THOR or the symbolic household"),
}

#: short name -> full gymnasium id, for every env registered through ``register``
_ALIASES: dict[str, str] = {}


def register(name: str, gym_id: str, entry_point: str, description: str = "",
             **kwargs: Any) -> None:
    """Register an env as ``vagent/<gym_id>`` (a versioned id, ``Name-v0``) and under the short
    ``name`` the CLI takes. Registering the same id again replaces it."""
    full = gym_id if "/" in gym_id else f"{NAMESPACE}/{gym_id}"
    gymnasium.register(id=full, entry_point=entry_point, kwargs=kwargs,
                       disable_env_checker=True)
    gymnasium.registry[full].vagent_description = description  # type: ignore[attr-defined]
    _ALIASES[name] = full


def register_all() -> None:
    """Register the built-in envs (done once, when this module is imported)."""
    for name, (gym_id, entry_point, description) in BUILTIN.items():
        if f"{NAMESPACE}/{gym_id}" not in gymnasium.registry:
            register(name, gym_id, entry_point, description)
        else:
            _ALIASES.setdefault(name, f"{NAMESPACE}/{gym_id}")


def gym_id(name: str) -> str:
    """The gymnasium id of a short name or an id."""
    if name in _ALIASES:
        return _ALIASES[name]
    if name in gymnasium.registry:
        return name
    raise UnknownEnv(f"unknown env {name!r} — choose one of: {', '.join(names())}")


def spec(name: str) -> gymnasium.envs.registration.EnvSpec:
    return gymnasium.spec(gym_id(name))


def description(name: str) -> str:
    return getattr(spec(name), "vagent_description", "")


def names() -> list[str]:
    return sorted(_ALIASES)


def make(name: str, **kwargs: Any) -> Any:
    """Create a registered env; keyword arguments override the registered defaults.

    Returns the env itself (``env.spec`` set by gymnasium), not gymnasium's wrappers: vagent's
    envs check their own actions and the agent enforces the step limit.
    """
    return gymnasium.make(gym_id(name), **kwargs).unwrapped


register_all()  # each entry point is imported only when its env is made
