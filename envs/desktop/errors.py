"""Errors of the desktop env (VagentErrors, so the CLI prints them on one line)."""

from __future__ import annotations

from actions.errors import VagentError

from ..base import EnvError


class DesktopError(VagentError, EnvError):
    """The desktop cannot be used (no display, no Xvfb, no clipboard tool...)."""


class FailSafe(DesktopError):
    """pyautogui's fail-safe fired: the mouse is in a screen corner, so the run stops."""
