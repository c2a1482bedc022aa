"""``vagent view DIR``: the page of a run or an evaluation, written beside it or served live."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer


def view_cmd(
    folder: Annotated[Path, typer.Argument(help="A run folder or a benchmark's results folder.")],
    serve: Annotated[bool, typer.Option(
        "--serve", help="Serve the page on 127.0.0.1, live while the run goes on.")] = False,
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port for --serve (0: any free port).")] = 8765,
) -> None:
    """Write DIR/index.html: a run's steps with the actions drawn, or an evaluation's results."""
    from vagent import view

    if not 0 <= port <= 65535:
        raise typer.BadParameter("must be 0-65535", param_hint="--port")
    if not serve:
        print_page(folder)
        return
    page = view.write(folder)
    try:
        view.serve(folder, port, on_ready=lambda url: print(
            f"serving {folder} at {url} (Ctrl-C stops); page also in {page}", flush=True))
    except KeyboardInterrupt:
        print("stopped serving", flush=True)  # Ctrl-C is how serving ends: not an error
    except OSError as e:
        raise view.ViewError(f"cannot listen on 127.0.0.1:{port} ({e.strerror}) — "
                             "give another --port, or --port 0 for any free one") from None


def print_page(folder: Path) -> None:
    """Write the page of a finished run or evaluation and print its path: a command's last line
    (``vagent run``, ``vagent eval ...``), plain so that scripts can take it with ``tail -1``."""
    from vagent import view

    print(f"page: {view.write(folder)}", flush=True)


def register(app: typer.Typer, eval_app: Any, sim_app: Any) -> None:
    app.command("view")(view_cmd)
