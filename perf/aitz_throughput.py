"""Steps per second of the AITZ runner for one policy at several batch sizes.

    python -m vagent.perf.aitz_throughput --policy oracle --batch 1 --batch 8
    python -m vagent.perf.aitz_throughput --policy openai --opt api_base=http://127.0.0.1:8000/v1 \
        --opt model=qwen2-vl --batch 1 --batch 8
    python -m vagent.perf.aitz_throughput --policy qwen-vl --opt model=/path/ckpt --batch 1

``--data`` defaults to the synthetic set under tests/data/aitz; ``--repeat`` runs it that many
times (fresh output folders) so the figure covers enough steps. ``--latency S`` wraps the
policy so every decision waits S seconds first — a stand-in for a remote model's round trip
that shows what the worker pool buys; it is printed as such. ``--scripted-server`` starts the
project's scripted OpenAI-compatible server on 127.0.0.1 (it answers every request with a tap
at the centre, in the qwen25vl format) and points ``--policy openai`` at it: the figure is the
client side (resize, PNG, HTTP, parse) plus the runner. Prints one line per batch size.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--policy", default="oracle")
    ap.add_argument("--opt", action="append", default=[], help="policy option KEY=VALUE")
    ap.add_argument("--batch", action="append", type=int, default=[],
                    help="steps in flight (the eval command's --workers); repeatable")
    ap.add_argument("--data", type=Path, default=ROOT / "tests" / "data" / "aitz")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--scripted-server", action="store_true")
    ap.add_argument("--torch-threads", type=int, default=None,
                    help="torch.set_num_threads for the run (local models)")
    args = ap.parse_args(argv)
    if args.torch_threads:
        import torch

        torch.set_num_threads(args.torch_threads)

    from vagent import policies
    from vagent.benchmarks.aitz.loader import load
    from vagent.benchmarks.aitz.runner import evaluate
    from vagent.actions.context import Context, Decision
    from vagent.policies.base import Policy

    opts: dict[str, Any] = dict(o.split("=", 1) for o in args.opt)
    server = None
    if args.scripted_server:
        from vagent.policies.scripted_server import ScriptedServer

        centre = ('<tool_call>\n{"name": "mobile_use", "arguments": {"action": "click", '
                  '"coordinate": [140, 294]}}\n</tool_call>')
        server = ScriptedServer(default=centre).start()
        opts = {"api_base": server.url, "model": "Qwen/Qwen2.5-VL-7B-Instruct",
                "format": "qwen25vl", **opts}
    inner = policies.make(args.policy, **opts)
    policy: Policy = inner
    if args.latency:

        class Delayed(Policy):
            name = inner.name

            def act(self, context: Context) -> Decision:
                time.sleep(args.latency)
                return inner.act(context)

        policy = Delayed()
    episodes = load(args.data)
    for batch in args.batch or [1, 8]:
        steps, seconds = 0, 0.0
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as out:
                s = evaluate(episodes, policy, out, workers=batch, progress=False)
            steps += s["speed"]["steps_run"]
            seconds += s["speed"]["seconds"]
        extra = f", simulated latency {args.latency}s/decision" if args.latency else ""
        print(f"aitz {args.policy} batch {batch}: {steps} steps in {seconds:.2f} s = "
              f"{steps / seconds:.2f} steps/s{extra}")
    inner.close()
    if server is not None:
        server.stop()


if __name__ == "__main__":
    main()
