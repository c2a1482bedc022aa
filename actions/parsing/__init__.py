"""Parsers of model output: pure functions from text to calls, or a ParseError.

``parse(text, fmt)`` returns a ``Parsed``: the thought, the calls as project action dicts
(``{"action": NAME, ...}``) with coordinates still in the model's frame, and that frame.
``render(action, fmt, ...)`` writes an action the way a model of that format would (for
history lines, training data and round-trip tests).
"""

from .base import FORMATS, Parsed, default_frame, detect_format, parse, render

__all__ = ["FORMATS", "Parsed", "default_frame", "detect_format", "parse", "render"]
