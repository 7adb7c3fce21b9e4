"""cos_sync: the synchronous facade over :mod:`cos_async` (same coroutines, a private loop thread).

The facade's client is built on top of the async client; until then this package only re-exports
the version.
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    if name == "__version__":
        from importlib.metadata import version

        return version("cos-async")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
