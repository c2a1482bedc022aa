"""Exceptions of the actions package, each with a one-line message that says what to do."""

from __future__ import annotations


class VagentError(Exception):
    """Base of every error a user can meet; the CLI prints its message on one line."""


class ActionError(VagentError, ValueError):
    """An action that is not in the space or whose fields do not validate."""


class ParseError(VagentError, ValueError):
    """Model output that no call could be read from. ``pos`` is the offset of the problem."""

    def __init__(self, message: str, pos: int | None = None, text: str | None = None):
        self.pos = pos
        self.text = text
        where = f" (at character {pos})" if pos is not None else ""
        super().__init__(f"{message}{where}")


class OptionError(VagentError, ValueError):
    """An option value a command or an env does not take: a usage error (the CLI exits 2)."""
