"""How long the ``vagent`` command takes to start, beside a bare interpreter.

    python -m vagent.perf.startup [--repeat N]

Runs each command N times in a fresh interpreter (this venv's python) and prints a markdown
table of the median and the fastest wall time, plus the floors the CLI cannot go below (a bare
``python -c pass``, ``import typer``, ``import pydantic``, what every typer command
that checks its values imports, and what a pydantic model's first validation costs). The issue's
goal: ``vagent parse`` and ``vagent --help`` within 0.3 s. A plain ``vagent parse`` line is
read without typer (``cli/parse.py``); the last row is the same parse read by typer. The
machine is shared, so medians move by ±0.1 s between runs; compare the rows of one run. CPU
time (user + system) moves less with the load than wall time does.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

ANSWER = '✿FUNCTION✿: mobile_use\n✿ARGS✿: {"action": "click", "coordinate": [500, 500]}'
COMMANDS: dict[str, list[str]] = {
    "python -c pass": ["-c", "pass"],
    "python -c 'import typer'": ["-c", "import typer"],
    "python -c 'import pydantic'": ["-c", "import pydantic"],
    # What any typer command that runs pays: typer checks its arguments with pydantic
    # TypeAdapters, so pydantic and its schema machinery load whatever the command does.
    "typer + pydantic + one model": ["-c", "import typer, pydantic\n"
                                     "class A(pydantic.BaseModel):\n    x: int"],
    # The floor of any typer command whose values typer checks (typer._adapters: pydantic and
    # its TypeAdapters; building a validator imports pydantic's plugin loader and with it
    # importlib.metadata), with the collector handled as vagent's main does.
    "typer command imports (gc as vagent)": ["-c", "import gc\ngc.disable()\n"
                                              "import typer.main, typer._adapters, "
                                              "pydantic.plugin._loader\ngc.freeze()"],
    # The floor of a parse without typer: pydantic, one model and its validator (with the
    # plugin search skipped as a parse does; its loader module still imports importlib.metadata).
    "pydantic model validated (gc as vagent)": [
        "-c", "import gc, os\ngc.disable()\nos.environ['PYDANTIC_DISABLE_PLUGINS'] = '__all__'\n"
              "import pydantic\nclass A(pydantic.BaseModel):\n    x: int\nA(x=1)\ngc.freeze()"],
    "vagent --help": ["-m", "vagent", "--help"],
    "vagent parse": ["-m", "vagent", "parse", ANSWER],
    # The same parse read by typer (`-fX` is a form cli/parse.py leaves to typer): what every
    # parse cost before the plain reader.
    "vagent parse -fqwen2vl (typer)": ["-m", "vagent", "parse", "-fqwen2vl", ANSWER],
}

# An installed package has its bytecode cached; measure that (a session that sets
# PYTHONDONTWRITEBYTECODE would otherwise recompile every module at every start).
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

def timed(args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([sys.executable, *args], check=True, stdout=subprocess.DEVNULL, env=ENV)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)

def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m vagent.perf.startup")
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args(argv)
    print("| command | wall median s | wall fastest s | CPU median s | CPU × `python -c pass` |\n"
          "|---|---:|---:|---:|---:|")
    bare = None  # the first row's CPU median: a bare interpreter
    for name, cmd in COMMANDS.items():
        timed(cmd)  # warm: bytecode written, files in the page cache
        runs = [timed(cmd) for _ in range(args.repeat)]
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        cpu = statistics.median(cpus)
        bare = bare or cpu
        print(f"| `{name}` | {statistics.median(walls):.3f} | {min(walls):.3f} | {cpu:.3f} | "
              f"{cpu / bare:.1f} |", flush=True)

if __name__ == "__main__":
    main()
