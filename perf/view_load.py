"""How long `vagent view` pages take: writing them, and loading them in headless chromium.

    python -m vagent.perf.view_load [--episodes 200] [--steps 5] [--repeat 5]

Builds a synthetic evaluation (``vagent.view.sample``: run folders in the real shapes) of
``--episodes`` episodes with ``--steps`` steps each, writes its pages (the evaluation's and one
per run), then opens the evaluation page and one run page from ``file://`` in Debian's chromium
(driven by Playwright) ``--repeat`` times each, fresh browser context each time. Prints the time
to write, and per page the median and worst of: DOMContentLoaded, the load event (every
screenshot decoded) and the page's size. Needs ``apt-get install chromium`` and
``pip install playwright==1.65.2``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from vagent import view
from vagent.view import sample

CHROMIUM = "/usr/bin/chromium"
TIMING = """() => { const t = performance.getEntriesByType("navigation")[0];
  return [t.domContentLoadedEventEnd, t.loadEventEnd]; }"""


def measure(browser: object, url: str, repeat: int) -> list[tuple[float, float]]:
    out = []
    for _ in range(repeat):
        context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
        page = context.new_page()
        page.goto(url, wait_until="load")
        out.append(tuple(page.evaluate(TIMING)))
        context.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--episodes", type=int, default=200)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="vagent-view-perf-") as tmp:
        folder = sample.make_evaluation(Path(tmp) / "eval", episodes=args.episodes,
                                        steps=args.steps)
        t = time.perf_counter()
        page = view.write(folder)
        written = time.perf_counter() - t
        run_page = folder / "runs" / "ep0000" / "index.html"
        print(f"{args.episodes} episodes × {args.steps} steps: pages written in {written:.2f} s "
              f"({written / (args.episodes + 1) * 1000:.1f} ms a page)\n")
        print("| page | size | DOMContentLoaded median / worst | load median / worst |")
        print("|---|---|---|---|")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            for name, path in (("evaluation", page), ("run", run_page)):
                times = measure(browser, path.as_uri(), args.repeat)
                dcl, load = [t[0] for t in times], [t[1] for t in times]
                print(f"| {name} | {path.stat().st_size / 1024:.0f} kB | "
                      f"{statistics.median(dcl):.0f} / {max(dcl):.0f} ms | "
                      f"{statistics.median(load):.0f} / {max(load):.0f} ms |")
            browser.close()


if __name__ == "__main__":
    main()
