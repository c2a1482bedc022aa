"""Episodes in flight at once: the one place where runs go concurrent.

``run_episodes(jobs, one, make_env=..., policy=..., workers=N, on_done=...)`` calls
``one(env, policy, job)`` for every job, ``N`` at a time. Each worker thread builds its own
environment from ``make_env`` on its first job and keeps it for the next ones (a simulated
phone, a THOR controller, an X display each); the policy is one object shared by all workers, so
it must be thread-safe (model policies waiting on a server are: their requests overlap). Results
reach ``on_done(job, result)`` in the calling thread, in order of completion, so a writer there
needs no lock and a run that waits on a model server keeps N requests in flight.

Determinism is the caller's: a job must carry everything its episode depends on (its seed, its
data), never a position in a shared stream, so that N workers give the serial run's results in
another order. A policy that keeps state across ``act`` calls of one episode (``replay``) has
``thread_safe = False`` and runs with one worker.

``one`` runs in the worker, so an exception it raises ends the run: the jobs not started are
dropped, the episodes in flight finish and are handed to ``on_done`` (nothing finished is lost),
then the exception propagates in the calling thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

from vagent.actions.errors import VagentError

J = TypeVar("J")
R = TypeVar("R")


def check_workers(policy: Any, workers: int) -> int:
    """``workers`` if the policy can serve that many episodes at once (else a one-line error)."""
    if workers < 1:
        raise VagentError("--workers must be at least 1")
    if workers > 1 and getattr(policy, "thread_safe", True) is False:
        name = getattr(policy, "name", type(policy).__name__)
        raise VagentError(f"the {name} policy keeps state across an episode's steps and cannot "
                          "serve episodes at once — use --workers 1")
    return workers


def run_episodes(jobs: Iterable[J], one: Callable[[Any, Any, J], R], *,
                 make_env: Callable[[], Any] | None, policy: Any, workers: int = 1,
                 on_done: Callable[[J, R], None],
                 close_env: Callable[[Any], None] | None = None) -> None:
    """Run ``one(env, policy, job)`` over ``jobs`` with ``workers`` threads (see the module)."""
    workers = check_workers(policy, workers)
    close = close_env or (lambda env: env.close())
    built: list[Any] = []
    lock = threading.Lock()
    local = threading.local()

    def env_of_this_thread() -> Any:
        if make_env is None:
            return None
        env = getattr(local, "env", None)
        if env is None:
            env = local.env = make_env()
            with lock:
                built.append(env)
        return env

    def job_in_thread(job: J) -> R:
        return one(env_of_this_thread(), policy, job)

    try:
        if workers == 1:
            for job in jobs:
                on_done(job, job_in_thread(job))
            return
        _threaded(iter(jobs), job_in_thread, workers, on_done)
    finally:
        for env in built:
            try:
                close(env)
            except Exception:  # noqa: BLE001 - one env failing to close must not hide the run's error
                pass


def _threaded(queue: Any, call: Callable[[Any], Any], workers: int,
              on_done: Callable[[Any, Any], None]) -> None:
    pending: dict[Future[Any], Any] = {}
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="episode") as pool:
        try:
            while True:
                while failure is None and len(pending) < workers:
                    job = next(queue, _END)
                    if job is _END:
                        break
                    pending[pool.submit(call, job)] = job
                if not pending:
                    break
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    job = pending.pop(fut)
                    error = fut.exception()
                    if error is not None:
                        failure = failure or error
                        continue
                    on_done(job, fut.result())
        except BaseException as e:  # Ctrl-C while waiting: let the episodes in flight end
            failure = failure or e
            for fut, job in list(pending.items()):
                if fut.cancel():
                    continue
                try:
                    on_done(job, fut.result())
                except BaseException:  # noqa: BLE001 - the first failure is the one reported
                    pass
            pending.clear()
    if failure is not None:
        raise failure


_END = object()


__all__ = ["check_workers", "run_episodes"]
