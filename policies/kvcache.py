"""Reusing the key/value cache of the previous step's prompt (prefix caching, per episode).

Step n+1 of an episode starts with most of step n's prompt: the system prompt, the task, the
steps kept as images. ``PrefixCache`` keeps the caches of the last few prompts (with what the
model generated after them) and finds, for a new prompt, the kept one that shares the longest
prefix with it; the model then prefills only the rest. No episode id is needed: the prompt
says which episode it belongs to, and episodes running side by side each find their own.

A prefix is shared only where the tokens AND the images are the same: every image is one run
of identical ``<|image_pad|>`` tokens, so each run carries a digest of its pixels, and the
prefix stops before the first image that differs (never inside an image).

Memory is bounded by the number of prompts kept (least recently used first out); a kept cache
costs 2 · layers · kv_heads · head_dim · dtype bytes per token (57 kB/token for Qwen2-VL-7B in
bf16, so about 60 MB for a 1,000-token prompt).

torch is imported by the caller; this module only handles tensors it is given.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any


def image_digests(pixel_values: Any, image_grid_thw: Any) -> list[bytes]:
    """One digest per image of a processor's output (its rows of ``pixel_values``)."""
    if pixel_values is None or image_grid_thw is None:
        return []
    out, start = [], 0
    for t, h, w in image_grid_thw.tolist():
        rows = pixel_values[start:start + t * h * w]
        start += t * h * w
        # float32 holds bf16/fp16 values exactly, and numpy cannot take bf16
        data = rows.detach().float().cpu().contiguous().numpy().tobytes()
        out.append(hashlib.blake2b(data, digest_size=16).digest())
    return out


def image_runs(ids: list[int], image_token: int) -> list[tuple[int, int]]:
    """(start, end) of every run of image tokens in ``ids``: one run per image."""
    runs: list[tuple[int, int]] = []
    start = None
    for i, tok in enumerate(ids):
        if tok == image_token and start is None:
            start = i
        elif tok != image_token and start is not None:
            runs.append((start, i))
            start = None
    if start is not None:
        runs.append((start, len(ids)))
    return runs


@dataclass
class Entry:
    """A kept cache: the tokens it holds, the digests of the images among them, the cache."""

    ids: list[int]
    images: list[bytes]
    cache: Any

    def shared(self, ids: list[int], images: list[bytes], image_token: int) -> int:
        """How many leading tokens of a new prompt (``ids`` with ``images``) this cache holds."""
        n = min(len(self.ids), len(ids))
        p = 0
        while p < n and self.ids[p] == ids[p]:
            p += 1
        # Image runs that start within the shared tokens, as each side has them: a run that
        # goes on past them on either side, or shows another picture, is cut off whole.
        mine = image_runs(self.ids[:p + 1], image_token)
        theirs = image_runs(ids[:p + 1], image_token)
        for k, (start, end) in enumerate(theirs):
            same = (k < len(mine) and mine[k] == (start, end) and k < len(self.images)
                    and k < len(images) and self.images[k] == images[k])
            if not same or end > p:
                return min(p, start)
        return p


class PrefixCache:
    """The caches of the last ``capacity`` prompts, least recently used evicted first."""

    def __init__(self, capacity: int = 8):
        self.capacity = capacity
        self._entries: OrderedDict[int, Entry] = OrderedDict()
        self._next = 0

    def __len__(self) -> int:
        return len(self._entries)

    def take(self, ids: list[int], images: list[bytes], image_token: int
             ) -> tuple[Entry | None, int]:
        """The kept entry sharing the longest prefix with the prompt (removed: the caller grows
        its cache and puts it back) and the length shared; (None, 0) when nothing is shared.
        At least one token is left to prefill, so the model has logits to start from."""
        best, best_len = None, 0
        for key, entry in self._entries.items():
            n = min(entry.shared(ids, images, image_token), len(ids) - 1)
            if n > best_len:
                best, best_len = key, n
        if best is None:
            return None, 0
        return self._entries.pop(best), best_len

    def put(self, entry: Entry) -> None:
        self._entries[self._next] = entry
        self._next += 1
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()


__all__ = ["Entry", "PrefixCache", "image_digests", "image_runs"]
