"""Errors of the desktop env (EnvErrors, so VagentErrors: the CLI prints them on one line)."""

from __future__ import annotations


from vagent.actions.errors import OptionError

from ..base import EnvError


class DesktopError(EnvError):
    """The desktop cannot be used (no display, no Xvfb, no clipboard tool...)."""


class DesktopOptionError(DesktopError, OptionError):
    """An env option the desktop does not take (a usage error)."""


class FailSafe(DesktopError):
    """pyautogui's fail-safe fired: the mouse is in a screen corner, so the run stops."""
