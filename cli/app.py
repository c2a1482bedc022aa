"""The ``vagent`` command line.

Startup is what the light commands pay, so nothing heavy is imported before it is needed:
torch and transformers only in the commands that load a model, and the command modules
themselves (with pydantic and the policy options) only when one of their commands is run or
its own ``--help`` is asked for. Listing the commands (``vagent --help``) reads the table
``LAZY`` below. Errors a user can meet print one line and exit 1; usage errors exit 2.
"""


import contextlib
import gc
import importlib
import json
import os
import sys
from collections.abc import Iterator
from typing import Annotated, Any, ClassVar

import typer
from typer.core import TyperGroup

# The commands whose modules load on first use: group ("" is the top level) → command →
# (module under vagent.cli, its one-line help as listed). tests/test_startup.py checks this
# table against the commands the modules build. A module's ``register(app, eval_app, sim_app)``
# adds its commands to the three groups.
LAZY: dict[str, dict[str, tuple[str, str]]] = {
    "": {
        "run": ("run", "Run the agent on a task and write the trajectory."),
        "view": ("view", "Write DIR/index.html: a run's steps with the actions drawn, or an "
                         "evaluation's results."),
        "data": ("data", "Training data from trajectories."),
        "train": ("train", "Train Qwen2-VL-family checkpoints."),
    },
    "eval": {
        "vln": ("vln", "Vision-and-language navigation (R2R: TL NE SR OSR SPL; REVERIE: + RGS "
                       "RGSPL)."),
        "fncall": ("fncall", "Function calling from images: type match and exact match of the "
                             "first tool call."),
        "cards": ("cards", "RL4VLM card games: success rate (summed reward > 0) per game, with "
                           "a 95% CI."),
        "aitz": ("aitz", "AITZ step-level evaluation: CoAT type/exact match, success rate, goal "
                         "progress, and AITW matching."),
        "alfred": ("alfred", "ALFRED: success rate, goal conditions and their "
                             "path-length-weighted forms."),
        "phone-sim": ("phone_sim", "Success rate on the simulated phone's held-out tasks."),
        "merge": ("merge", "Combine the results folders of --shard i/n runs into one summary."),
    },
    "sim": {
        "phone": ("sim", "Serve the simulated phone over the ADB wire protocol until Ctrl-C."),
    },
}


def load_command(group: str, name: str) -> Any:
    """The click command ``name`` of ``group`` as its module builds it (the typer apps its
    ``register`` fills are throwaway: only the one command is kept)."""
    global _long_run
    gc.enable()  # the long runs (evaluations, training) collect as usual: see main()
    _long_run = True
    module = importlib.import_module(f"vagent.cli.{LAZY[group][name][0]}")
    apps = {g: typer.Typer(rich_markup_mode=None) for g in LAZY}
    module.register(apps[""], apps["eval"], apps["sim"])
    return typer.main.get_group(apps[group]).commands[name]


class LazyGroup(TyperGroup):
    """A typer group whose commands listed in ``LAZY[group]`` are built on first use."""

    group: ClassVar[str] = ""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in LAZY[self.group]
                                               if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in LAZY[self.group]:
            self.commands[cmd_name] = load_command(self.group, cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The commands and their one-line help, from the table for those not yet built."""
        from typer._click.utils import make_default_short_help

        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names))
        rows = []
        for name in names:
            cmd = self.commands.get(name)
            if cmd is None:
                rows.append((name, make_default_short_help(LAZY[self.group][name][1], limit)))
            elif not cmd.hidden:
                rows.append((name, cmd.get_short_help_str(limit)))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


class _EvalGroup(LazyGroup):
    group = "eval"


class _SimGroup(LazyGroup):
    group = "sim"


app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  cls=LazyGroup, help="vagent — visual agents driven by Qwen2-VL-family models.")
eval_app = typer.Typer(no_args_is_help=True, cls=_EvalGroup,
                       help="Evaluate a policy on a benchmark.")
sim_app = typer.Typer(no_args_is_help=True, cls=_SimGroup,
                      help="Simulated devices (for machines without one).")
app.add_typer(eval_app, name="eval")
app.add_typer(sim_app, name="sim")


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("vagent")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _version_cb(value: bool) -> None:
    if value:
        print(f"vagent {_version()}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version_cb,
                                                is_eager=True, help="Print the version.")] = False
          ) -> None:
    pass


@app.command("envs")
def envs_cmd() -> None:
    """List the environments."""
    from vagent import envs

    for name in envs.names():
        print(f"{name:16} {envs.description(name)}")


@app.command("policies")
def policies_cmd() -> None:
    """List the policies."""
    from vagent.policies import registry

    for name in registry.names():
        print(f"{name:16} {registry.describe(name)}")


def _parse_screen(screen: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in screen.lower().split("x"))
    except ValueError:
        raise typer.BadParameter(f"--screen takes WxH, e.g. 1080x2400, not {screen!r}") from None
    if w <= 0 or h <= 0:
        raise typer.BadParameter("--screen sides must be positive")
    return w, h


@app.command("parse")
def parse_cmd(
    text: Annotated[str, typer.Argument(help="The model's output ('-' reads standard input).")],
    format: Annotated[str, typer.Option(
        "--format", "-f", help="A policy's prompt format (qwen2vl, qwen25vl, uitars, uitars15, "
        "vagent-tiny: its parser and frame), a parser (json, openai), or auto.")] = "auto",
    screen: Annotated[str, typer.Option(help="Screen size WxH in pixels.")] = "1080x2400",
    min_pixels: Annotated[int | None, typer.Option(
        help="Processor min_pixels for resized-image coordinates (default 4·28², as the "
             "policies).")] = None,
    max_pixels: Annotated[int | None, typer.Option(
        help="Processor max_pixels for resized-image coordinates (default 16384·28², the "
             "released processors' and so --policy qwen-vl's; --policy openai sends 1280·28² = "
             "1003520 unless told otherwise).")] = None,
    frame: Annotated[str | None, typer.Option(
        help="Override the format's coordinate frame: pixels, rel1000, resized, unit.")] = None,
    space: Annotated[str, typer.Option(
        help="The action space the calls must belong to: gui (every GUI action), mobile or "
             "desktop.")] = "gui",
    tool: Annotated[list[str] | None, typer.Option(
        "--tool", help="A tool name the model may call besides the space's actions "
                       "(repeatable); its calls are printed as parsed.")] = None,
    lenient: Annotated[bool, typer.Option(
        "--lenient", help="Print calls outside the space (or with bad fields) as parsed "
                          "instead of failing.")] = False,
) -> None:
    """Parse a model's output into actions in screen pixels (printed as a JSON array).

    Every call must be an action of --space with valid fields (as the agent loop requires),
    else one line and exit 1; --lenient prints such calls as parsed."""
    with _without_pydantic_plugins():
        _parse(text, format, screen, min_pixels, max_pixels, frame, space, tool, lenient)


@contextlib.contextmanager
def _without_pydantic_plugins() -> Iterator[None]:
    """pydantic looks for plugins in the entry points of every installed distribution when it
    builds its first validator (20 ms of `vagent parse` with this project's dependencies); a
    parse has no use for them. typer builds its own validators the same way. A value the user
    set is kept."""
    if "PYDANTIC_DISABLE_PLUGINS" in os.environ:
        yield
        return
    os.environ["PYDANTIC_DISABLE_PLUGINS"] = "__all__"
    try:
        yield
    finally:
        os.environ.pop("PYDANTIC_DISABLE_PLUGINS", None)


def _parse(text: str, format: str, screen: str, min_pixels: int | None, max_pixels: int | None,
           frame: str | None, space: str, tool: list[str] | None, lenient: bool) -> None:
    from vagent.actions import Frame, to_screen
    from vagent.actions.coords import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS
    from vagent.actions.errors import ActionError, VagentError
    from vagent.actions.models import SPACES
    from vagent.actions.parsing import FORMATS, detect_format, parse
    from vagent.actions.tools import validate_call

    fmt = None  # a policy's prompt format (imported only when --format names something)
    if format != "auto":
        from vagent.policies import formats

        if format not in FORMATS and format not in formats.FORMATS:
            raise typer.BadParameter(f"unknown format {format!r} — choose one of: auto, "
                                     + ", ".join(dict.fromkeys([*formats.FORMATS, *FORMATS])),
                                     param_hint="--format")
        fmt = formats.get(format) if format in formats.FORMATS else None
    if space not in SPACES:
        raise typer.BadParameter(f"unknown space {space!r} — choose one of: "
                                 + ", ".join(SPACES), param_hint="--space")
    kinds = ("pixels", "rel1000", "resized", "unit")
    if frame is not None and frame not in kinds:
        raise typer.BadParameter(f"unknown frame {frame!r} — choose one of: "
                                 + ", ".join(kinds), param_hint="--frame")
    for name, value in (("--min-pixels", min_pixels), ("--max-pixels", max_pixels)):
        if value is not None and value <= 0:
            raise typer.BadParameter("must be positive", param_hint=name)
    w, h = _parse_screen(screen)
    if text == "-":
        text = sys.stdin.read()
    # Arguments that were not valid UTF-8 arrive with surrogate escapes; make them printable.
    text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    # The released processors' bounds (what --policy qwen-vl reads from such a checkpoint).
    pixels = {"min_pixels": min_pixels or DEFAULT_MIN_PIXELS,
              "max_pixels": max_pixels or DEFAULT_MAX_PIXELS}
    given = None
    if fmt is not None:  # a policy format: its parser, and its frame whatever the text
        parser = fmt.parser
        given = fmt.frame(**pixels)
    else:
        parser = detect_format(text) if format == "auto" else format
    if frame:
        given = Frame(kind=frame, **pixels)  # type: ignore[arg-type]
    parsed = parse(text, parser, frame=given)
    model_frame = parsed.frame
    if model_frame.kind == "resized":
        model_frame = model_frame.model_copy(update=pixels)
    models = {model.action_name(): model for model in SPACES[space]}
    tools = set(tool or [])
    out = []
    for n, call in enumerate(parsed.calls, 1):
        if call.get("action") in tools:
            out.append(call)  # a tool of the user's: its arguments are the tool's business
            continue
        try:
            action = validate_call(call, models, space)
            out.append(to_screen(action, model_frame, w, h).action.dump())
        except VagentError as e:
            if not lenient:
                where = f"call {n}: " if len(parsed.calls) > 1 else ""
                raise ActionError(f"{where}{e} (--lenient prints it as parsed; --tool NAME "
                                  "accepts a tool's calls)") from None
            out.append(call)
    line = json.dumps(out, ensure_ascii=False) + "\n"
    sys.stdout.buffer.write(line.encode("utf-8", "backslashreplace"))
    sys.stdout.flush()


def _ValidationError() -> Any:  # noqa: N802 — pydantic's, if a command imported pydantic
    pydantic = sys.modules.get("pydantic")
    return pydantic.ValidationError if pydantic is not None else ()


def _one_line(text: str) -> str:
    return " ".join(str(text).split())[:1000] or "failed"


def _internal(exc: BaseException) -> int:
    """An error no check foresaw: one line, and the traceback in a log file for a bug report."""
    import tempfile
    import traceback

    try:
        fd, name = tempfile.mkstemp(prefix="vagent-error-", suffix=".log")
        with open(fd, "w", encoding="utf-8") as f:
            f.write(f"vagent {_version()} {sys.argv!r}\n")
            traceback.print_exception(type(exc), exc, exc.__traceback__, file=f)
        where = f" — traceback in {name}"
    except OSError:
        where = ""
    print(f"vagent: internal error ({type(exc).__name__}: {_one_line(str(exc))[:200]}){where} "
          "— please report it", file=sys.stderr)
    return 1


def _click_exceptions() -> Any:
    try:  # typer ≥ 0.26 runs a vendored click, whose exceptions it does not re-export
        from typer._click import exceptions
    except ImportError:
        from click import exceptions
    return exceptions


def _usage(e: Any) -> int:
    """A usage error on one line (click's own display spans several)."""
    click = _click_exceptions()
    ctx = getattr(e, "ctx", None)
    cmd = ctx.command_path if ctx is not None else "vagent"
    if isinstance(e, click.NoArgsIsHelpError):
        print(ctx.get_help() if ctx is not None else "", file=sys.stderr)
        return 2
    print(f"vagent: {_one_line(e.format_message())} (see '{cmd} --help')", file=sys.stderr)
    return e.exit_code if isinstance(e.exit_code, int) and e.exit_code else 2


_SIGNALLED: list[int] = []


def _on_signal(signum: int, frame: Any) -> None:
    _SIGNALLED.append(signum)
    raise KeyboardInterrupt  # unwinds as Ctrl-C does: every finally (env.close) runs


def run(argv: list[str] | None = None) -> int:
    """The command's exit code: 0 done, 1 runtime error, 2 usage error, 130 interrupted (128 +
    the signal for SIGTERM / SIGHUP, which stop a run as Ctrl-C does: envs closed, Xvfb and
    launched apps stopped). Every error prints one line on stderr; nothing reaches the user as
    a traceback."""
    import signal
    import threading

    saved = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
            if sig is not None:
                saved[sig] = signal.signal(sig, _on_signal)
    _SIGNALLED.clear()
    try:
        code = _run(argv)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    if _SIGNALLED:
        print(f"vagent: stopped by {signal.Signals(_SIGNALLED[0]).name}", file=sys.stderr)
        return 128 + _SIGNALLED[0]
    if code == 130:
        print("vagent: interrupted", file=sys.stderr)
    return code


def _run(argv: list[str] | None) -> int:
    from vagent.actions.errors import OptionError, VagentError

    click = _click_exceptions()
    try:
        code = app(args=argv, prog_name="vagent", standalone_mode=False)
        return code if isinstance(code, int) else 0
    except click.UsageError as e:  # includes BadParameter: exit 2
        return _usage(e)
    except OptionError as e:  # found where the option is used (an env's own options)
        print(f"vagent: {_one_line(str(e))}", file=sys.stderr)
        return 2
    except click.ClickException as e:
        print(f"vagent: {_one_line(e.format_message())}", file=sys.stderr)
        return e.exit_code
    except (typer.Abort, KeyboardInterrupt):
        return 130
    except VagentError as e:
        print(f"vagent: {_one_line(str(e))}", file=sys.stderr)
        return 1
    except _ValidationError() as e:  # a pydantic model at a boundary: its first problem
        err = e.errors(include_url=False)[0]
        field = ".".join(str(p) for p in err.get("loc", ()))
        print(f"vagent: {field + ': ' if field else ''}{_one_line(err['msg'])}", file=sys.stderr)
        return 1
    except OSError as e:  # the machine's answer (a path, a permission, a full disk)
        print(f"vagent: {_one_line(str(e))}", file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 — the last net: one line and a log, never a traceback
        return _internal(e)


def main(argv: list[str] | None = None) -> None:
    """Entry point (the ``vagent`` script): ``run`` and exit with its code.

    Starting makes some 30,000 objects that live as long as the process (modules, typing
    forms, pydantic schemas and validators). The cyclic garbage collector would walk them again
    and again while they are made, and the interpreter's last collection would take them apart
    one by one at the exit: about 0.04 s of a ``vagent parse`` (docs/performance.md,
    "Startup"). So the collector is off while the command line is read and during the short
    commands of this module (parse, envs, policies), and what they leave is frozen
    (``gc.freeze``): the last collection passes it by and the system reclaims it with the
    process. A command loaded from ``LAZY`` (the long runs: evaluations, training) turns the
    collector back on (``load_command``) and exits as any Python program does."""
    global _long_run
    enabled, _long_run = gc.isenabled(), False
    gc.disable()
    try:
        code = run(argv)
    finally:
        if not _long_run:
            gc.freeze()  # before enabling: else the first allocation would collect them all
        if enabled:  # for a caller that goes on (a test calling main)
            gc.enable()
    sys.exit(code)


_long_run = False  # a command from LAZY ran (load_command): the collector is on


__all__ = ["app", "main", "run"]
