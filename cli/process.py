"""What the ``vagent`` process knows of itself, shared by the entry point (``cli/main.py``) and
the typer app (``cli/app.py``) without either importing the other's module: its version, and
whether a long run has turned the garbage collector back on (``cli/main.py``, ``main``) and
told the C allocator to keep freed memory (``keep_freed_memory``)."""

import gc

#: glibc's ``mallopt`` parameters (malloc.h): the size from which a block gets a mapping of its
#: own, and the free memory at the heap's top above which the heap is given back
M_MMAP_THRESHOLD, M_TRIM_THRESHOLD = -3, -1


def version() -> str:
    from importlib import metadata

    try:
        return metadata.version("vagent")
    except metadata.PackageNotFoundError:
        return "0+unknown"


class _State:
    long_run = False  # a command from cli/app.py's LAZY table ran: the collector is on


STATE = _State()


def keep_freed_memory() -> bool:
    """Tell glibc's malloc to serve blocks of up to 32 MB from the heap and to keep up to 256 MB
    freed at its top, instead of mapping each large block afresh and unmapping it when freed.
    A step allocates and frees several blocks of megabytes (a 1080×2400 screen is 7.8 MB), and
    the kernel hands out every page of a fresh mapping zeroed, on a page fault: ~1,900 a frame.
    Only speed changes; the process keeps the memory of its peak. False (nothing changed)
    where the C library is not glibc."""
    import ctypes

    try:
        libc = ctypes.CDLL(None)
        libc.gnu_get_libc_version  # noqa: B018 — glibc's own: musl has a mallopt that ignores
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mapped = mallopt(M_MMAP_THRESHOLD, 32 << 20)  # 32 MB: the most glibc takes
    trimmed = mallopt(M_TRIM_THRESHOLD, 256 << 20)
    return bool(mapped and trimmed)


def long_run() -> None:
    """A command from ``cli/app.py``'s ``LAZY`` table is running (an evaluation, a training):
    the collector is on again, the heap is not frozen at the exit (see ``main``) and freed
    memory is kept for the next frames (``keep_freed_memory``)."""
    gc.enable()
    if not STATE.long_run:
        keep_freed_memory()
    STATE.long_run = True


__all__ = ["STATE", "keep_freed_memory", "long_run", "version"]
