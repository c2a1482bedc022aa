"""Round-trip times over the ADB wire protocol: screencap (PNG vs raw) and tap.

Runs against the simulated phone started in-process (default) or any device (--serial
HOST:PORT), through the same adb-shell connection AndroidEnv uses, and prints a markdown table
of median / p90 milliseconds and bytes per call.

    python -m vagent.perf.android_rtt [--serial HOST:PORT] [--n 20]
"""

from __future__ import annotations

import argparse
import statistics
import time


def _time(fn, n: int) -> tuple[list[float], int]:  # noqa: ANN001
    fn()  # warm up (and the simulator's render cache)
    out, size = [], 0
    for _ in range(n):
        t = time.perf_counter()
        size = len(fn() or b"")
        out.append((time.perf_counter() - t) * 1000)
    return out, size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--serial", help="a device HOST:PORT (default: the simulated phone)")
    ap.add_argument("--n", type=int, default=20)
    args = ap.parse_args()

    from vagent.envs.android.adb import Device

    server = None
    if args.serial is None:
        from vagent.envs.android.sim.server import PhoneServer

        server = PhoneServer().start()
        serial = server.serial
    else:
        serial = args.serial
    dev = Device(serial)
    dev.connect()
    try:
        rows = []
        # a tap changes the screen, so each screencap after it renders afresh on the simulator
        taps = iter(range(10**6))

        def tap() -> bytes:
            i = next(taps)
            dev.shell(f"input tap {100 + i % 2} 1000")
            return b""

        def png_fresh() -> bytes:
            dev.shell("input keyevent 82")  # a toast: a new frame to render and encode
            return dev.exec_out("screencap -p")

        cases = [("screencap -p (PNG)", lambda: dev.exec_out("screencap -p")),
                 ("screencap (raw RGBA)", lambda: dev.exec_out("screencap")),
                 ("input tap", tap),
                 ("keyevent + screencap -p (new frame)", png_fresh),
                 ("keyevent + screencap raw (new frame)",
                  lambda: (dev.shell("input keyevent 82"), dev.exec_out("screencap"))[1])]
        from vagent.envs.android.env import AndroidEnv

        for mode in ("png", "raw"):
            env = AndroidEnv(serial=serial, settle=0, screencap=mode)

            def grab(env=env, mode=mode) -> bytes:  # noqa: ANN001
                env.device.shell("input keyevent 82")
                return env._grab(mode).tobytes()

            cases.append((f"keyevent + AndroidEnv screenshot, {mode} decoded to RGB", grab))
        for name, fn in cases:
            ms, size = _time(fn, args.n)
            q = statistics.quantiles(ms, n=10)
            rows.append((name, statistics.median(ms), q[-1], size))
        where = f"simulated phone at {serial}" if server else serial
        print(f"ADB round trips to the {where}, adb-shell client, n={args.n}\n")
        print("| call | median ms | p90 ms | bytes |")
        print("|---|---:|---:|---:|")
        for name, med, p90, size in rows:
            print(f"| {name} | {med:.1f} | {p90:.1f} | {size:,} |")
    finally:
        dev.close()
        if server is not None:
            server.stop()


if __name__ == "__main__":
    main()
