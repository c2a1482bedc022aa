"""The ``vagent`` command line.

Heavy libraries (torch, transformers) are imported only by the commands that need them, so
``vagent --help`` and ``vagent parse`` start fast. Errors a user can meet print one line and
exit 1; usage errors exit 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from vagent.cli.options import (SEED_MAX, PolicyOptions, check_out_folder, check_positive,
                                make_policy, policy_options)

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="vagent — visual agents driven by Qwen2-VL-family models.")
eval_app = typer.Typer(no_args_is_help=True, help="Evaluate a policy on a benchmark.")
sim_app = typer.Typer(no_args_is_help=True, help="Simulated devices (for machines without one).")
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
    from vagent.actions import Frame, to_screen
    from vagent.actions.coords import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS
    from vagent.actions.errors import ActionError, VagentError
    from vagent.actions.models import SPACES
    from vagent.actions.parsing import FORMATS, detect_format, parse
    from vagent.policies import formats
    from vagent.actions.tools import validate_call

    if format != "auto" and format not in FORMATS and format not in formats.FORMATS:
        raise typer.BadParameter(f"unknown format {format!r} — choose one of: auto, "
                                 + ", ".join(dict.fromkeys([*formats.FORMATS, *FORMATS])),
                                 param_hint="--format")
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
    if format in formats.FORMATS:  # a policy format: its parser, and its frame whatever the text
        fmt = formats.get(format)
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


@app.command("run")
@policy_options(default="tiny")  # the bundled model on the simulated phone: runs on any CPU
def run_cmd(
    task: Annotated[str, typer.Argument(help="What the agent should do.")],
    env: Annotated[str, typer.Option("--env", "-e", help="Environment (see 'vagent envs').")] = "android-sim",
    max_steps: Annotated[int, typer.Option(min=1, max=100000, help="Stop after this many steps.")] = 20,
    out: Annotated[Path | None, typer.Option(callback=check_out_folder, help="Run folder (default runs/<time>).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, max=SEED_MAX, help="Seed of the env's reset.")] = None,
    time_budget: Annotated[float | None, typer.Option(callback=check_positive, help="Stop after this many seconds.")] = None,
    parse_retries: Annotated[int, typer.Option(min=0, max=10, help="Retries after a parse error.")] = 1,
    serial: Annotated[str | None, typer.Option(help="android: device HOST:PORT or USB serial.")] = None,
    xvfb: Annotated[str | None, typer.Option(help="desktop: start Xvfb with this WxH for the run.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="desktop: record, do not act.")] = False,
    confirm: Annotated[bool, typer.Option("--confirm", help="desktop: ask before each action.")] = False,
    env_opt: Annotated[list[str] | None, typer.Option("--env-opt", help="Any other env option KEY=VALUE.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only the result.")] = False,
    policy_opts: PolicyOptions = PolicyOptions(),
) -> None:
    """Run the agent on a task and write the trajectory."""
    import datetime as dt

    from vagent import envs
    from rich.console import Console

    from vagent.actions.errors import OptionError
    from vagent.agent.loop import Agent

    console = Console(stderr=False, highlight=False)
    env_kwargs: dict[str, Any] = {}
    for key, value in (("serial", serial), ("xvfb", xvfb)):
        if value is not None:
            env_kwargs[key] = value
    if dry_run:
        env_kwargs["dry_run"] = True
    if confirm:
        env_kwargs["confirm"] = True
    for item in env_opt or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"--env-opt takes KEY=VALUE, got {item!r}")
        env_kwargs[key.replace("-", "_")] = value
    if env not in envs.names():
        try:
            envs.registry.gym_id(env)  # a gymnasium id works too
        except envs.registry.UnknownEnv as e:
            raise typer.BadParameter(str(e), param_hint="--env") from None
    out = out or Path("runs") / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    # The env first: a missing device should fail before a model spends time loading.
    try:
        environment = envs.make(env, **env_kwargs)
    except TypeError as e:  # gymnasium passes options on as keyword arguments
        raise OptionError(f"env {env!r} does not take these options ({e}) — see "
                          f"docs for its --env-opt names") from None
    try:
        policy = make_policy(policy_opts)
    except BaseException:
        environment.close()
        raise

    def show(rec: Any) -> None:
        if quiet:
            return
        what = json.dumps(rec.action, ensure_ascii=False) if rec.action else (
            ", ".join(f"{t['name']} → {t['result'][:60]}" for t in rec.tool_results) or "-")
        line = f"[bold]step {rec.step:>3}[/bold]  {what}"
        if rec.thought:
            line += f"\n          [dim]{rec.thought[:160]}[/dim]"
        if rec.error:
            line += f"\n          [red]{rec.error[:200]}[/red]"
        console.print(line)

    try:
        agent = Agent(policy, environment, out=out, max_steps=max_steps, time_budget=time_budget,
                      parse_retries=parse_retries, on_step=show, meta={"env_name": env})
        traj = agent.run(task, seed=seed)
    finally:
        environment.close()
        policy.close()
    res = traj.result
    verdict = {True: "[green]success[/green]", False: "[red]failure[/red]",
               None: "[yellow]unchecked[/yellow]"}[res.get("success")]
    from vagent.cli.view import print_page

    print_page(out)  # the page first: the verdict stays the last line (make demo's)
    console.print(f"{verdict} after {res.get('steps')} steps ({res.get('reason')}) — "
                  f"trajectory in {out}/", soft_wrap=True)  # one line, however narrow


def _register_subcommands() -> None:
    """The command modules add their commands to the apps above (each imports only typer and
    the CLI's options at import: ``vagent --help`` stays light)."""
    from vagent.cli import (aitz, alfred, cards, data, fncall, merge, phone_sim, sim, train,
                            view, vln)

    for module in (vln, fncall, cards, sim, aitz, alfred, data, train, phone_sim, view, merge):
        module.register(app, eval_app, sim_app)


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
    from pydantic import ValidationError

    from vagent.actions.errors import OptionError, VagentError

    click = _click_exceptions()
    _register_subcommands()
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
    except ValidationError as e:  # a pydantic model at a boundary: its first problem
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
    """Entry point (the ``vagent`` script): ``run`` and exit with its code."""
    sys.exit(run(argv))


__all__ = ["app", "main", "run"]
