"""Speed of the symbolic ALFRED backend: generating the task set and oracle steps per second.

    python -m vagent.perf.alfred_symbolic
"""

from __future__ import annotations

import time


def main() -> None:
    from vagent.envs.alfred import AlfredEnv
    from vagent.envs.alfred.generate import _cached

    t0 = time.perf_counter()
    tasks = list(_cached.__wrapped__(5, 0))
    gen = time.perf_counter() - t0
    env = AlfredEnv(backend="symbolic", tasks=tasks)
    steps, t0 = 0, time.perf_counter()
    for task in tasks:
        env.reset(options={"alfred_task": task})
        for _ in range(60):
            steps += 1
            if env.step(env.oracle_action())[2]:
                break
    run = time.perf_counter() - t0
    print(f"generated {len(tasks)} tasks (oracle-checked) in {gen:.2f} s")
    print(f"oracle: {steps} steps in {run:.2f} s = {steps / run:.0f} steps/s "
          f"(each with a rendered 300x300 view)")


if __name__ == "__main__":
    main()
