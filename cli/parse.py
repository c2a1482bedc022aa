"""``vagent parse``: the work, and a reader of its plain command lines that needs no typer.

The command is defined once, as a typer command (``cli/app.py``: its options, its help, its
usage errors). Importing typer is 0.07 s of CPU and typer checks every value with a pydantic
``TypeAdapter`` — a third of what a parse costs (docs/performance.md, "Startup"). So ``main``
first offers the command line to ``plain``: a ``vagent parse`` line made only of the options in
``OPTIONS`` written the plain way (``--format X`` or ``--format=X``, ``-f X``, ``--tool`` any
number of times, one TEXT) and values this module accepts as they are runs here; anything else
(``--help``, a mistyped option, ``-fX``, an option given twice, a value ``check`` refuses) is
handed to typer, which prints its own help or one-line error — so the output of a command line
never depends on which reader took it (``tests/test_cli_parse.py`` checks both readers on the
same lines, and ``OPTIONS`` against the typer command's options).
"""

import contextlib
import json
import os
import re
import sys
from collections.abc import Iterator
from typing import Any, NamedTuple

# option as written → (parameter of the typer command, its value: str, int or a flag);
# tests/test_cli_parse.py checks this against the typer command's options and defaults.
OPTIONS: dict[str, tuple[str, str]] = {
    "--format": ("format", "str"), "-f": ("format", "str"),
    "--screen": ("screen", "str"),
    "--min-pixels": ("min_pixels", "int"), "--max-pixels": ("max_pixels", "int"),
    "--frame": ("frame", "str"),
    "--space": ("space", "str"),
    "--tool": ("tool", "list"),
    "--lenient": ("lenient", "flag"),
}
DEFAULTS: dict[str, Any] = {"format": "auto", "screen": "1080x2400", "min_pixels": None,
                            "max_pixels": None, "frame": None, "space": "gui", "tool": None,
                            "lenient": False}
_NUMBER = re.compile(r"[1-9][0-9]{0,17}")  # what int() and pydantic read alike


class Refused(ValueError):
    """A value ``check`` refuses: typer reports it as a usage error of ``hint``."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


class Settings(NamedTuple):
    """The checked options of one parse."""

    fmt: Any  # a policy's prompt format, or None
    format: str
    pixels: dict[str, int]
    frame: str | None
    space: str
    screen: tuple[int, int]
    tools: frozenset[str]
    lenient: bool


def check(format: str, screen: str, min_pixels: int | None, max_pixels: int | None,
          frame: str | None, space: str, tool: list[str] | None, lenient: bool) -> Settings:
    """The options checked (``Refused`` before anything is read or printed)."""
    from vagent.actions.coords import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS, FRAME_KINDS
    from vagent.actions.models import SPACES
    from vagent.actions.parsing import FORMATS

    fmt = None  # a policy's prompt format (imported only when --format names something)
    if format != "auto":
        from vagent.policies import formats

        if format not in FORMATS and format not in formats.FORMATS:
            raise Refused(f"unknown format {format!r} — choose one of: auto, "
                          + ", ".join(dict.fromkeys([*formats.FORMATS, *FORMATS])), "--format")
        fmt = formats.get(format) if format in formats.FORMATS else None
    if space not in SPACES:
        raise Refused(f"unknown space {space!r} — choose one of: " + ", ".join(SPACES),
                      "--space")
    if frame is not None and frame not in FRAME_KINDS:
        raise Refused(f"unknown frame {frame!r} — choose one of: " + ", ".join(FRAME_KINDS),
                      "--frame")
    for name, value in (("--min-pixels", min_pixels), ("--max-pixels", max_pixels)):
        if value is not None and value <= 0:
            raise Refused("must be positive", name)
    # The released processors' bounds (what --policy qwen-vl reads from such a checkpoint).
    pixels = {"min_pixels": min_pixels or DEFAULT_MIN_PIXELS,
              "max_pixels": max_pixels or DEFAULT_MAX_PIXELS}
    return Settings(fmt, format, pixels, frame, space, screen_size(screen),
                    frozenset(tool or ()), lenient)


def screen_size(screen: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in screen.lower().split("x"))
    except ValueError:
        raise Refused(f"--screen takes WxH, e.g. 1080x2400, not {screen!r}") from None
    if w <= 0 or h <= 0:
        raise Refused("--screen sides must be positive")
    return w, h


def parse_and_print(text: str, s: Settings) -> None:
    """Parse ``text`` ('-': standard input) and print its actions in screen pixels as one JSON
    array; an action outside the space (or with bad fields) is an ``ActionError`` unless
    ``s.lenient``."""
    from vagent.actions import Frame, to_screen
    from vagent.actions.errors import ActionError, VagentError
    from vagent.actions.models import SPACES
    from vagent.actions.parsing import detect_format, parse
    from vagent.actions.tools import validate_call

    if text == "-":
        text = sys.stdin.read()
    # Arguments that were not valid UTF-8 arrive with surrogate escapes; make them printable.
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    given = None
    if s.fmt is not None:  # a policy format: its parser, and its frame whatever the text
        parser = s.fmt.parser
        given = s.fmt.frame(**s.pixels)
    else:
        parser = detect_format(text) if s.format == "auto" else s.format
    if s.frame:
        given = Frame(kind=s.frame, **s.pixels)  # type: ignore[arg-type]
    parsed = parse(text, parser, frame=given)
    model_frame = parsed.frame
    if model_frame.kind == "resized":
        model_frame = model_frame.model_copy(update=s.pixels)
    models = {model.action_name(): model for model in SPACES[s.space]}
    w, h = s.screen
    out = []
    for n, call in enumerate(parsed.calls, 1):
        if call.get("action") in s.tools:
            out.append(call)  # a tool of the user's: its arguments are the tool's business
            continue
        try:
            action = validate_call(call, models, s.space)
            out.append(to_screen(action, model_frame, w, h).action.dump())
        except VagentError as e:
            if not s.lenient:
                where = f"call {n}: " if len(parsed.calls) > 1 else ""
                raise ActionError(f"{where}{e} (--lenient prints it as parsed; --tool NAME "
                                  "accepts a tool's calls)") from None
            out.append(call)
    line = json.dumps(out, ensure_ascii=False) + "\n"
    sys.stdout.buffer.write(line.encode("utf-8", "backslashreplace"))
    sys.stdout.flush()


@contextlib.contextmanager
def without_pydantic_plugins() -> Iterator[None]:
    """pydantic's plugins off while a parse runs. pydantic looks for plugins in the entry points
    of every installed distribution when it builds its first validator (20 ms of a parse with
    this project's dependencies); a parse has no use for them (typer turns them off the same
    way while it builds its validators). The switch is pydantic's documented
    ``PYDANTIC_DISABLE_PLUGINS``, set for the parse only: a value the user set is kept, and
    what the process runs after the parse does not see it."""
    if "PYDANTIC_DISABLE_PLUGINS" in os.environ:
        yield
        return
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    try:
        yield
    finally:
        os.environ.pop("PYDANTIC_DISABLE_PLUGINS", None)


def plain(argv: list[str]) -> tuple[str, Settings] | None:
    """TEXT and the checked options of a plain ``vagent parse`` command line (see the module),
    or None: typer's to read. Run it with pydantic's plugins off (``without_pydantic_plugins``:
    the check builds validators)."""
    if not argv or argv[0] != "parse":
        return None
    values: dict[str, Any] = {}
    texts: list[str] = []
    rest = iter(argv[1:])
    for token in rest:
        if token == "--":
            texts.extend(rest)
            break
        if token == "-" or not token.startswith("-"):
            texts.append(token)
            continue
        name, eq, value = token.partition("=") if token.startswith("--") else (token, "", "")
        if name not in OPTIONS:
            return None
        param, kind = OPTIONS[name]
        if kind == "flag":
            if eq or param in values:
                return None
            values[param] = True
            continue
        if not eq:
            value = next(rest, None)
            if value is None or value.startswith("-"):
                return None  # typer's to say (a missing value, or one that looks an option)
        if kind == "list":
            values.setdefault(param, []).append(value)
            continue
        if param in values or (kind == "int" and not _NUMBER.fullmatch(value)):
            return None
        values[param] = int(value) if kind == "int" else value
    if len(texts) != 1:
        return None
    try:
        return texts[0], check(**{**DEFAULTS, **values})
    except Refused:
        return None


__all__ = ["DEFAULTS", "OPTIONS", "Refused", "Settings", "check", "parse_and_print", "plain",
           "without_pydantic_plugins"]
