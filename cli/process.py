"""What the ``vagent`` process knows of itself, shared by the entry point (``cli/main.py``) and
the typer app (``cli/app.py``) without either importing the other's module: its version, and
whether a long run has turned the garbage collector back on (``cli/main.py``, ``main``)."""

import gc


def version() -> str:
    from importlib import metadata

    try:
        return metadata.version("vagent")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class _State:
    long_run = False  # a command from cli/app.py's LAZY table ran: the collector is on


STATE = _State()


def long_run() -> None:
    """A command from ``cli/app.py``'s ``LAZY`` table is running (an evaluation, a training):
    the collector is on again and the heap is not frozen at the exit (see ``main``)."""
    gc.enable()
    STATE.long_run = True


__all__ = ["STATE", "long_run", "version"]
