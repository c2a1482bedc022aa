"""The one place every loader reads its files through.

A data file can be anything a user or a download left there: not UTF-8, binary, nested 100 000
deep, a JSON value of the wrong shape, a PNG cut short. Each reader here turns every such file
into a ``DataFileError`` whose one line names the file (and the line or field) and says what was
wrong; loaders add their own meaning with pydantic models validated through ``validate``.

Nesting deeper than ``MAX_DEPTH`` is refused before any parser sees it: Python's ``json`` (and
everything recursive after it: pydantic, ``json.dumps``) would raise ``RecursionError``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from struct import error as struct_error
from pathlib import Path
from typing import Any, TypeVar

from .errors import VagentError

#: deepest ``[``/``{`` nesting a data file may hold (real datasets stay under 10)
MAX_DEPTH = 200

M = TypeVar("M")


class DataFileError(VagentError, ValueError):
    """A data file that cannot be read as what it should hold; the message names the file."""


@contextmanager
def raising(error: type[Exception]) -> Iterator[None]:
    """Inside it, a ``DataFileError`` of these readers is raised as ``error`` (a loader's own
    error, which its callers catch), with the same one-line message."""
    try:
        yield
    except DataFileError as e:
        if isinstance(e, error):
            raise
        raise error(str(e)) from None


def _where(path: str | Path, line: int | None = None) -> str:
    return f"{path}:{line}" if line is not None else str(path)


def read_bytes(path: str | Path, what: str = "file") -> bytes:
    """The file's bytes, or one line saying why it cannot be read (missing, a folder, denied)."""
    p = Path(path)
    try:
        return p.read_bytes()
    except FileNotFoundError:
        raise DataFileError(f"no {what} {p}") from None
    except IsADirectoryError:
        raise DataFileError(f"{p} is a folder — give the {what} itself") from None
    except OSError as e:
        raise DataFileError(f"cannot read {p} ({e.strerror or e})") from None


def decode(data: bytes, path: str | Path) -> str:
    """UTF-8 text (a BOM is dropped); anything else names the byte where it stops being text."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataFileError(f"{path}: not UTF-8 text (byte {e.start}) — is it the right "
                            "file?") from None
    if "\x00" in text:
        raise DataFileError(f"{path}: holds NUL bytes — a binary file, not text")
    return text


def read_text(path: str | Path, what: str = "file") -> str:
    return decode(read_bytes(path, what), path)


def depth(text: str) -> int:
    """The deepest bracket nesting of JSON text (brackets inside strings not counted)."""
    deepest = level = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            level += 1
            deepest = max(deepest, level)
        elif ch in "]}":
            level -= 1
    return deepest


def loads(text: str, where: str) -> Any:
    """One JSON value; ``where`` names it in errors (``file``, ``file:line``)."""
    if text.count("[") + text.count("{") > MAX_DEPTH and depth(text) > MAX_DEPTH:
        raise DataFileError(f"{where}: JSON nested deeper than {MAX_DEPTH} levels — not a data "
                            "file this project reads")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise DataFileError(f"{where}: not JSON ({e.msg} at line {e.lineno} column "
                            f"{e.colno})") from None
    except RecursionError:  # only if MAX_DEPTH is raised past Python's limit
        raise DataFileError(f"{where}: JSON nested too deep") from None


def read_json(path: str | Path, what: str = "file") -> Any:
    return loads(read_text(path, what), str(path))


def read_jsonl(path: str | Path, what: str = "file") -> Iterator[tuple[int, Any]]:
    """``(line number, value)`` for every non-blank line of a JSON Lines file."""
    for n, line in enumerate(read_text(path, what).splitlines(), 1):
        if line.strip():
            yield n, loads(line, _where(path, n))


def field_path(loc: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")


def validate(model: type[M], value: Any, where: str) -> M:
    """``model.model_validate(value)`` with the first problem as one line naming the field."""
    from pydantic import ValidationError

    try:
        return model.model_validate(value)  # type: ignore[attr-defined,no-any-return]
    except ValidationError as e:
        err = e.errors(include_url=False)[0]
        field = field_path(tuple(err.get("loc", ())))
        more = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
        got = repr(err.get("input"))[:40]
        at = f" field {field!r}" if field else ""
        raise DataFileError(f"{where}:{at} {err['msg'].lower()} (got {got}){more}") from None


def read_model(path: str | Path, model: type[M], what: str = "file") -> M:
    """A JSON file validated as ``model``."""
    return validate(model, read_json(path, what), str(path))


def _pil_errors() -> tuple[type[BaseException], ...]:
    """What PIL raises for a file that is not a whole image."""
    from PIL import Image, UnidentifiedImageError

    return (UnidentifiedImageError, OSError, ValueError, SyntaxError, struct_error,
            Image.DecompressionBombError)


def _undecodable(p: Path, e: BaseException) -> DataFileError:
    from PIL import UnidentifiedImageError

    reason = "not an image" if isinstance(e, UnidentifiedImageError) else str(e)[:80]
    return DataFileError(f"{p}: the image does not decode ({reason})")


def open_image(path: str | Path, mode: str | None = "RGB") -> Any:
    """A decoded PIL image (loaded, converted to ``mode``), or a one-line error naming the file."""
    from PIL import Image

    p = Path(path)
    if not p.is_file():
        raise DataFileError(f"no image {p}" if not p.exists() else f"{p} is not an image file")
    try:
        with Image.open(p) as im:
            im.load()
            return im.convert(mode) if mode else im.copy()
    except _pil_errors() as e:
        raise _undecodable(p, e) from None


def open_screenshot(path: str | Path) -> Any:
    """An image file as read-only H×W×3 uint8 pixels. An RGB PNG comes as an ``EncodedImage``
    holding the file's bytes, so a trajectory writes the file as it is instead of encoding the
    pixels again; any other image is converted to RGB."""
    from . import png
    from .context import EncodedImage

    p = Path(path)
    if not p.is_file():
        raise DataFileError(f"no image {p}" if not p.exists() else f"{p} is not an image file")
    data = read_bytes(p, "image")
    try:
        pixels, rgb = png.decode(data)
    except _pil_errors() as e:
        raise _undecodable(p, e) from None
    image = EncodedImage.of(pixels, data) if rgb else pixels
    image.setflags(write=False)
    return image


def image_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` of an image file whose structure checks out (PIL's ``verify``: the
    chunks and their checksums, without decoding the pixels — a loader may size thousands of
    screenshots; ``open_image`` still names the file if the pixels then do not decode)."""
    from PIL import Image

    p = Path(path)
    if not p.is_file():
        raise DataFileError(f"no image {p}" if not p.exists() else f"{p} is not an image file")
    try:
        with Image.open(p) as im:
            size: tuple[int, int] = im.size
            im.verify()
    except _pil_errors() as e:
        raise _undecodable(p, e) from None
    return size


__all__ = ["DataFileError", "MAX_DEPTH", "decode", "depth", "image_size", "loads",
           "open_image", "open_screenshot", "read_bytes", "read_json", "read_jsonl",
           "read_model", "read_text", "validate"]
