"""Episodes in flight at once: the one place where runs go concurrent.

``run_episodes(jobs, one, make_env=..., policy=..., workers=N, on_done=...)`` calls
``one(env, policy, job)`` for every job, ``N`` at a time. Each worker thread builds its own
environment from ``make_env`` on its first job and keeps it for the next ones (a simulated
phone, a THOR controller, an X display each). ``make_env`` is one factory every worker calls, or
a list of factories, one per worker (worker ``k`` builds from the ``k``-th: one real phone per
worker, ``--serial a,b,c``); the policy is one object shared by all workers, so
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
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any, TypeVar

from vagent.actions.errors import VagentError

J = TypeVar("J")
R = TypeVar("R")

#: One factory all workers call, one factory per worker, or no env at all. A factory whose env
#: only this machine can build (a device on its USB or loopback interface) says so with a true
#: ``on_this_machine`` attribute: on a Ray cluster its actor runs on the driver's node.
EnvFactory = Callable[[], Any] | Sequence[Callable[[], Any]] | None


def per_worker(make_env: EnvFactory, workers: int) -> list[Callable[[], Any]] | None:
    """The factory of each of ``workers`` workers (a one-line error when a list of factories,
    one per worker, is shorter than that)."""
    if make_env is None:
        return None
    if callable(make_env):
        return [make_env] * workers
    factories = list(make_env)
    if len(factories) < workers:
        raise VagentError(f"{workers} workers but {len(factories)} environments to give them "
                          "(one each: a device per worker) — use --workers "
                          f"{len(factories)} or give more")
    return factories[:workers]


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
                 make_env: EnvFactory, policy: Any, workers: int = 1,
                 on_done: Callable[[J, R], None],
                 close_env: Callable[[Any], None] | None = None) -> None:
    """Run ``one(env, policy, job)`` over ``jobs`` with ``workers`` threads (see the module)."""
    workers = check_workers(policy, workers)
    factories = per_worker(make_env, workers)
    close = close_env or (lambda env: env.close())
    built: list[Any] = []
    slots = iter(range(workers))  # each worker thread takes the next one, once
    lock = threading.Lock()
    local = threading.local()

    def env_of_this_thread() -> Any:
        if factories is None:
            return None
        env = getattr(local, "env", None)
        if env is None:
            with lock:
                slot = next(slots)
            env = local.env = factories[slot]()
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


# -- on a Ray cluster --------------------------------------------------------------------------
class _RayWorker:
    """One Ray actor: its own env and its own policy (a served model's client, or a local model
    on the actor's GPU), running the episodes the driver hands it one at a time."""

    def __init__(self, make_env: Callable[[], Any] | None, make_policy: Callable[[], Any],
                 one: Callable[[Any, Any, Any], Any]):
        self.make_env, self.one = make_env, one
        self.policy = make_policy()
        self.env: Any = None

    def run(self, job: Any) -> Any:
        if self.env is None and self.make_env is not None:
            self.env = self.make_env()
        return self.one(self.env, self.policy, job)


def run_on_ray(jobs: list[J], one: Callable[[Any, Any, J], R], *,
               make_env: EnvFactory, make_policy: Callable[[], Any] | None,
               address: str, workers: int, on_done: Callable[[J, R], None],
               on_lost: Callable[[J, str], None], retries: int = 1) -> None:
    """``run_episodes`` on a Ray cluster: ``workers`` actors (one env and one policy each,
    built there from the factories, which Ray pickles; actor ``k`` and any actor replacing it
    build from the ``k``-th factory of a list), each finished episode streamed back to
    ``on_done`` in this process (the driver, which writes the results). An episode whose actor
    died (a lost node, a crashed emulator) runs ``retries`` more times on a fresh actor, then
    goes to ``on_lost``; an exception the episode itself raised ends the run, as with threads.
    ``address``: ``local`` starts a cluster in this process; else ``ray.init(address)``
    (``auto``: the cluster this machine joined; ``ray://host:10001``: a remote head).

    Devices (``--serial a,b,c``: a list of factories, one per device): actor ``k`` only ever
    builds device ``k``, so no two actors share one, and an actor whose factory is
    ``on_this_machine`` (a device this machine's loopback or USB reaches) is placed on the
    driver's node — on another node it would reach that node's own ``127.0.0.1``. A remote
    driver (``ray://``) is no node of the cluster, so such devices are refused there."""
    try:
        import ray
        from ray.exceptions import RayActorError, RayTaskError
    except ImportError:
        raise VagentError("--ray needs Ray — pip install 'vagent[ray]'") from None
    if make_policy is None:
        raise VagentError("--ray needs a policy the workers can build (run it from vagent eval)")
    factories = per_worker(make_env, min(workers, len(jobs))) or [None] * workers
    local = [f for f in factories if getattr(f, "on_this_machine", False)]
    if local and address.startswith("ray://"):
        raise VagentError(f"--ray {address}: this machine is not a node of that cluster, so its "
                          f"actors cannot reach the device {getattr(local[0], 'serial', '')} "
                          "(loopback or USB) — run the driver on a node of the cluster, or "
                          "serve the phones on an address the nodes reach")
    started = not ray.is_initialized()
    if started:
        ray.init(address=None if address == "local" else address, include_dashboard=False,
                 logging_level="warning", log_to_driver=False)
    remote = ray.remote(max_concurrency=1)(_RayWorker)
    here = ray.get_runtime_context().get_node_id()

    def start(k: int) -> Any:
        """Actor ``k``: built from factory ``k``, on this node if its device is here."""
        options: dict[str, Any] = {}
        if getattr(factories[k], "on_this_machine", False):
            from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

            options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(here, soft=False)
        return remote.options(**options).remote(factories[k], make_policy, one)

    actors: list[Any] = []
    queue = list(enumerate(jobs))[::-1]  # popped from the end: data order
    tries: dict[int, int] = {}
    inflight: dict[Any, tuple[int, Any, int]] = {}
    try:
        actors = [start(k) for k in range(min(workers, len(jobs)))]
        idle = list(range(len(actors)))
        while queue or inflight:
            while queue and idle:
                k = idle.pop()
                n, job = queue.pop()
                inflight[actors[k].run.remote(job)] = (n, job, k)
            ready, _ = ray.wait(list(inflight), num_returns=1)
            for ref in ready:
                n, job, k = inflight.pop(ref)
                try:
                    result = ray.get(ref)
                except RayTaskError as e:  # the episode raised: the run's error, as in threads
                    raise e.as_instanceof_cause() from None
                except RayActorError as e:  # the worker died: a fresh one takes its place
                    ray.kill(actors[k], no_restart=True)
                    actors[k] = start(k)  # the same device: still no two actors share one
                    idle.append(k)
                    tries[n] = tries.get(n, 0) + 1
                    if tries[n] <= retries:
                        queue.append((n, job))
                    else:
                        first = str(e).strip().splitlines()[0] if str(e).strip() else "lost"
                        on_lost(job, f"its Ray worker died {tries[n]} times ({first})")
                    continue
                idle.append(k)
                on_done(job, result)
    finally:
        for actor in actors:
            ray.kill(actor, no_restart=True)
        if started:
            ray.shutdown()


__all__ = ["EnvFactory", "check_workers", "per_worker", "run_episodes", "run_on_ray"]
