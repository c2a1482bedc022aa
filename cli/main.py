"""The ``vagent`` command's entry point (``main``): its exit codes, its one-line errors, and
the collector kept out of the short commands' way.

This module imports neither typer nor pydantic: ``main`` runs a plain ``vagent parse`` line
itself (``cli/parse.py``) and hands every other command line to the typer app of
``cli/app.py``. Errors a user can meet print one line and exit 1; usage errors exit 2.
"""

import gc
import sys
from typing import Any

from vagent.cli.process import STATE, version


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
            f.write(f"vagent {version()} {sys.argv!r}\n")
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


def _typer_errors() -> tuple[Any, Any, Any]:
    """typer's usage error, click error and abort (the classes ``_run`` catches)."""
    import typer

    click = _click_exceptions()
    return click.UsageError, click.ClickException, typer.Abort


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

    # before typer is imported none of its errors can have been raised: `except ()` matches none
    usage_error: Any = ()
    click_error: Any = ()
    abort: tuple[Any, ...] = ()
    try:
        if _plain_parse(sys.argv[1:] if argv is None else argv):
            return 0
        usage_error, click_error, typer_abort = _typer_errors()
        abort = (typer_abort,)
        from vagent.cli.app import app

        code = app(args=argv, prog_name="vagent", standalone_mode=False)
        return code if isinstance(code, int) else 0
    except usage_error as e:  # includes BadParameter: exit 2
        return _usage(e)
    except OptionError as e:  # found where the option is used (an env's own options)
        print(f"vagent: {_one_line(str(e))}", file=sys.stderr)
        return 2
    except click_error as e:
        print(f"vagent: {_one_line(e.format_message())}", file=sys.stderr)
        return e.exit_code
    except (KeyboardInterrupt, *abort):
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


def _plain_parse(argv: list[str]) -> bool:
    """Whether ``argv`` was a plain ``vagent parse`` line, run here without typer
    (``cli/parse.py``: any other line is typer's, which gives the same output)."""
    if not argv or argv[0] != "parse":
        return False
    from vagent.cli import parse

    with parse.without_pydantic_plugins():
        job = parse.plain(argv)
        if job is None:
            return False
        parse.parse_and_print(*job)
    return True


def main(argv: list[str] | None = None) -> None:
    """Entry point (the ``vagent`` script): ``run`` and exit with its code.

    Starting makes some 30,000 objects that live as long as the process (modules, typing
    forms, pydantic schemas and validators). The cyclic garbage collector would walk them again
    and again while they are made, and the interpreter's last collection would take them apart
    one by one at the exit: about 0.04 s of a ``vagent parse`` (docs/performance.md,
    "Startup"). So the collector is off while the command line is read and during the short
    commands (parse, envs, policies: not from ``LAZY``), and what they leave is frozen
    (``gc.freeze``): the last collection passes it by and the system reclaims it with the
    process. A command loaded from ``LAZY`` (the long runs: evaluations, training) turns the
    collector back on (``long_run``, called by ``cli/app.py``'s ``load_command``) and exits as
    any Python program does."""
    enabled, STATE.long_run = gc.isenabled(), False
    gc.disable()
    try:
        code = run(argv)
    finally:
        if not STATE.long_run:
            gc.freeze()  # before enabling: else the first allocation would collect them all
        if enabled:  # for a caller that goes on (a test calling main)
            gc.enable()
    sys.exit(code)


__all__ = ["main", "run"]
