"""Result files of resumable runs: one JSON record per line, appended and flushed as work ends.

A run killed mid-write leaves its last line cut short; ``read_records`` drops that line (and,
with ``repair``, cuts it off the file so that appending goes on from a clean line), so the work
it stood for runs again and nothing is scored twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any


def read_records(path: Path, key: Callable[[dict[str, Any]], Hashable],
                 repair: bool = False) -> dict[Hashable, dict[str, Any]]:
    """Records by ``key(record)``; the first record of a key wins."""
    records: dict[Hashable, dict[str, Any]] = {}
    if not path.exists():
        return records
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if repair and end < len(data):
        with open(path, "r+b") as f:
            f.truncate(end)
    for line in data[:end].decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        records.setdefault(key(rec), rec)
    return records
