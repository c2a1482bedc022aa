"""The desktop env: mss screenshots, pyautogui input, Xvfb for headless runs, safety rails."""

from .env import DesktopConfig, DesktopEnv
from .errors import DesktopError, FailSafe
from .safety import DEFAULT_DENY, DEFAULT_DENY_TEXT, Confirmer, DenyList, TextDenyList
from .xvfb import Xvfb

__all__ = ["DEFAULT_DENY", "DEFAULT_DENY_TEXT", "Confirmer", "DenyList", "DesktopConfig",
           "DesktopEnv", "DesktopError", "FailSafe", "TextDenyList", "Xvfb"]
