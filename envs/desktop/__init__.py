"""The desktop env: mss screenshots, pyautogui input, Xvfb for headless runs, safety rails."""

from .env import DesktopConfig, DesktopEnv
from .errors import DesktopError, FailSafe
from .safety import DEFAULT_DENY, Confirmer, DenyList
from .xvfb import Xvfb

__all__ = ["DEFAULT_DENY", "Confirmer", "DenyList", "DesktopConfig", "DesktopEnv",
           "DesktopError", "FailSafe", "Xvfb"]
