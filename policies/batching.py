"""Gathering concurrent calls into batches: ``Batcher(run)(item)`` from many threads.

A model on one device answers faster for several rows at once than for the same rows one after
another, so concurrent ``act`` calls (the workers of one evaluation sharing one policy) should
meet in one ``generate``. There is no background thread: the first caller to find the model
idle becomes the leader, waits a short while for the others, runs the batch and hands every
caller its own result (or its own exception). Callers that arrive while a batch runs queue up
for the next one.

How long the leader waits: until as many requests are queued as threads have asked recently
(the workers that exist), at most ``max_batch``, and never longer than ``wait`` seconds. A lone
caller therefore never waits. A caller that announces its request while it prepares it (``with
batcher.preparing(): ... batcher(item)``: the policy runs the processor on its row there) is
waited for longer, up to ``PREPARING_WAIT``: its row is on its way, and joining the batch costs
less than a ``generate`` of its own.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")

#: A thread that has not asked for this long no longer counts as a worker to wait for.
FORGET_AFTER = 30.0
#: How long a batch waits at most for a request announced as being prepared.
PREPARING_WAIT = 5.0


class _Request(Generic[In, Out]):
    __slots__ = ("item", "result", "error", "done")

    def __init__(self, item: In):
        self.item = item
        self.result: Out | None = None
        self.error: BaseException | None = None
        self.done = False


class Batcher(Generic[In, Out]):
    """Call ``run(items) -> results`` (same length, same order) on batches of concurrent items."""

    def __init__(self, run: Callable[[Sequence[In]], Sequence[Out]], max_batch: int = 8,
                 wait: float = 0.05):
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._run = run
        self.max_batch = max_batch
        self.wait = wait
        self._cond = threading.Condition()
        self._queue: list[_Request[In, Out]] = []
        self._busy = False
        self._seen: dict[int, float] = {}  # thread id -> when it last asked
        self._preparing: set[int] = set()  # threads preparing a request they announced
        #: sizes of the batches run so far (for measurements and tests)
        self.sizes: list[int] = []

    def _workers(self, now: float) -> int:
        self._seen = {t: s for t, s in self._seen.items() if now - s < FORGET_AFTER}
        return min(len(self._seen), self.max_batch)

    @contextlib.contextmanager
    def preparing(self) -> Iterator[None]:
        """Announce a request: the calling thread is preparing an item it will pass to this
        batcher within the block; a batch that forms meanwhile waits for it."""
        me = threading.get_ident()
        with self._cond:
            self._preparing.add(me)
        try:
            yield
        finally:
            with self._cond:
                self._preparing.discard(me)
                self._cond.notify_all()

    def __call__(self, item: In) -> Out:
        req: _Request[In, Out] = _Request(item)
        with self._cond:
            self._seen[threading.get_ident()] = time.monotonic()
            self._preparing.discard(threading.get_ident())  # it is here now
            self._queue.append(req)
            self._cond.notify_all()
            while not req.done:
                if self._busy:
                    self._cond.wait()
                    continue
                self._busy = True  # this thread leads the next batch
                start = time.monotonic()
                while len(self._queue) < self.max_batch:
                    now = time.monotonic()
                    if self._preparing:  # rows on their way
                        left = start + max(self.wait, PREPARING_WAIT) - now
                    elif len(self._queue) < self._workers(now):  # workers that may come
                        left = start + self.wait - now
                    else:
                        break
                    if left <= 0:
                        break
                    self._cond.wait(left)
                batch, self._queue = self._queue[:self.max_batch], self._queue[self.max_batch:]
                self._cond.release()
                try:
                    self._serve(batch)
                finally:
                    self._cond.acquire()
                    self._busy = False
                    self._cond.notify_all()
        if req.error is not None:
            raise req.error
        return req.result  # type: ignore[return-value]

    def _serve(self, batch: list[_Request[In, Out]]) -> None:
        self.sizes.append(len(batch))
        try:
            results = list(self._run([r.item for r in batch]))
            if len(results) != len(batch):
                raise RuntimeError(f"batch of {len(batch)} gave {len(results)} results")
        except BaseException as e:  # every caller of the batch gets the error
            for r in batch:
                r.error, r.done = e, True
            return
        for r, out in zip(batch, results):
            r.result, r.done = out, True


__all__ = ["Batcher"]
