"""cos_async: an async-first SDK for Tencent Cloud Object Storage (COS).

The client arrives in later releases; this package currently ships the shared pure layers
(signing, CRC64, XML) and :mod:`cos_async.testing`, a local COS-compatible server.
"""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    if name == "__version__":
        from importlib.metadata import version

        return version("cos-async")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
