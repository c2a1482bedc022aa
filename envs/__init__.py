"""Environments (gymnasium.Env) that the agent drives. ``envs.make(name)`` creates one."""

from .base import Env, EnvError, observation_space
from .registry import EnvSpec, UnknownEnv, make, names, register, spec

# Built-in registrations. Each entry point is imported only when the env is made.
register("buttons", "envs.buttons:ButtonsEnv",
         "a drawn screen with buttons and a text field, for trying the loop", gym_id="Buttons-v0")
register("vln", "envs.vln.env:VLNEnv",
         "vision-and-language navigation (R2R/REVERIE) on a navigation graph", gym_id="VLN-v0")
register("desktop", "envs.desktop:DesktopEnv",
         "a real desktop: mss screenshots, pyautogui input (--xvfb for a virtual one)",
         gym_id="Desktop-v0")
register("fncall", "envs.fncall:FnCallEnv",
         "an image and a question answered with tools (function-calling benchmark)")
register("numberline", "envs.cards.numberline:NumberLineEnv", "RL4VLM NumberLine: move to the target with - and +", gym_id="NumberLine-v0")
register("blackjack", "envs.cards.blackjack:BlackjackEnv", "RL4VLM Blackjack: stand or hit", gym_id="Blackjack-v0")
register("ezpoints", "envs.cards.ezpoints:EZPointsEnv", "RL4VLM EZPoints: two cards, a formula equal to 12", gym_id="EZPoints-v0")
register("points24", "envs.cards.points24:Points24Env", "RL4VLM Points24: four cards, a formula equal to 24", gym_id="Points24-v0")
register("android", "envs.android.env:AndroidEnv", "an Android device over ADB (--serial HOST:PORT)", gym_id="Android-v0")
register("android-sim", "envs.android.simenv:SimulatedPhoneEnv", "the simulated phone (ADB protocol) started in-process", gym_id="AndroidSim-v0")
register("alfred", "envs.alfred:AlfredEnv",
         "ALFRED household tasks, high-level actions, on AI2-THOR or the symbolic household")

__all__ = ["Env", "EnvError", "EnvSpec", "UnknownEnv", "make", "names", "observation_space",
           "register", "spec"]
