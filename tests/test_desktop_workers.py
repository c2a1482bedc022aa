"""Desktops with ``--workers N`` (issue 19): each worker's env starts its own Xvfb display and
stops it with the env, and in one process each env's actions and screenshots stay on its own
display while the other worker acts on its own (pyautogui keeps one X connection per process:
the driver rebinds it for each call)."""

from __future__ import annotations

import functools
import os
import threading
from typing import Any

import pytest

pytestmark = pytest.mark.needs("Xvfb")


def test_two_workers_each_drive_their_own_xvfb_display() -> None:
    from vagent import envs
    from vagent.agent.pool import run_episodes

    before = {k: os.environ.get(k) for k in ("DISPLAY", "XAUTHORITY")}
    # two screen sizes, one per worker: a driver or a screenshot on the other display shows
    make = [functools.partial(envs.make, "desktop", xvfb=size, settle=0, pause=0)
            for size in ("320x240", "400x300")]
    both_up = threading.Barrier(2)
    first: set[int] = set()
    done: dict[int, tuple[str, tuple[int, int], Any]] = {}

    def one(env: Any, policy: Any, k: int) -> tuple[str, tuple[int, int], Any]:
        if id(env) not in first:  # both envs exist at once, and act at the same time
            first.add(id(env))
            both_up.wait(timeout=120)
        w, h = env.screen_size
        assert env.driver.size() == (w, h) and env.screenshot().shape == (h, w, 3)
        for i in range(10):
            x, y = 5 + (37 * k + 11 * i) % (w - 10), 5 + (23 * k + 7 * i) % (h - 10)
            env.step({"action": "move", "x": x, "y": y})
            assert env.driver.position() == (x, y), (env.display, k, i)
        return env.display, (w, h), env._xvfb._proc

    run_episodes(range(8), one, make_env=make, policy=None, workers=2,
                 on_done=lambda k, result: done.setdefault(k, result))

    assert sorted(done) == list(range(8))
    displays = {display: size for display, size, _ in done.values()}
    assert len(displays) == 2 and sorted(displays.values()) == [(320, 240), (400, 300)]
    assert all(proc.poll() is not None for _, _, proc in done.values())  # stopped with the env
    assert {k: os.environ.get(k) for k in before} == before  # the process's own, untouched
