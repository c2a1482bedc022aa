"""Lettered options: read which option ("Action: B") a model chose.

Benchmarks that pose a step as a multiple choice (MapGPT's VLN prompts) ask the model to end
with ``Action: <letter>``. The last such line wins (models often restate the format before
answering); markdown emphasis, brackets and a trailing option text are tolerated. Without an
``Action:`` line, an answer that is nothing but one label is accepted. Past 26 options the
labels go on as spreadsheet columns do: AA, AB, …
"""

from __future__ import annotations

import re

from ..errors import ParseError

_ACTION = re.compile(
    r"action\W{0,4}\s*[:：]\s*[*_`\"'(\[]*\s*([A-Za-z]{1,2})(?![A-Za-z])", re.I)
_ALONE = re.compile(r"^\W*([A-Za-z]{1,2})\W*$")


def option_letters(n: int) -> list[str]:
    """Labels of n options: A … Z, then AA, AB, … (up to 702)."""
    singles = [chr(65 + i) for i in range(26)]
    return (singles + [a + b for a in singles for b in singles])[:n]


def choose_option(text: str, letters: list[str]) -> str:
    """The letter chosen among ``letters`` (upper case), or a ParseError saying what to write."""
    allowed = [letter.upper() for letter in letters]
    span = f"{allowed[0]}–{allowed[-1]}" if len(allowed) > 1 else (allowed[0] if allowed else "")
    matches = list(_ACTION.finditer(text or ""))
    if matches:
        m = matches[-1]
        letter = m.group(1).upper()
        if letter not in allowed:
            raise ParseError(f"option {letter} is not one of the options {span}; end with "
                             f"'Action: <letter>'", pos=m.start(1), text=text)
        return letter
    alone = _ALONE.match(text or "")
    if alone and alone.group(1).upper() in allowed:
        return alone.group(1).upper()
    raise ParseError(f"no 'Action: <letter>' line — end the answer with one of {span}, e.g. "
                     f"'Action: {allowed[0] if allowed else 'A'}'", text=text)
