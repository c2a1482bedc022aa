"""Secrets that must not be printed or stored: credentials written into a URL.

``http://user:KEY@host/v1`` works as an endpoint, and the key in it would otherwise reach
error messages, logs, ``meta.json`` and ``settings.json``. Every place that shows or stores a
URL shows ``redact_url(url)``.
"""

from __future__ import annotations

import re

_CREDENTIALS = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s]+@")


def redact_url(text: str) -> str:
    """``text`` with the ``user:password@`` part of every URL in it replaced by ``***@``."""
    return _CREDENTIALS.sub(r"\g<scheme>***@", text)


__all__ = ["redact_url"]
