"""A local COS-compatible server for tests, benchmarks and demos (no cloud account needed).

Run it from a shell::

    python -m cos_async.testing --host 127.0.0.1 --port 9000 [--data-dir DIR]

or from Python::

    async with LocalCosServer() as server: ...            # in an event loop
    with LocalCosServer.run_in_thread() as server: ...    # from synchronous code

It speaks the COS XML API with COS signatures (virtual-hosted and path-style addressing), keeps
data in memory or on disk, and can inject faults (:class:`FaultRule`, matching requests by
:class:`Operation`). Installed as a pytest
plugin, it provides the ``cos_server`` (session) and ``cos_bucket`` (per test) fixtures.
The SDK core never imports this package.
"""

from __future__ import annotations

from ._faults import FaultInjector, FaultRule, RequestLog, RequestRecord
from ._operations import Operation
from ._server import (
    DEFAULT_APPID,
    DEFAULT_REGION,
    DEFAULT_SECRET_ID,
    DEFAULT_SECRET_KEY,
    LocalCosServer,
    ThreadedLocalCosServer,
)
from ._state import ServerCredential

__all__ = [
    "DEFAULT_APPID",
    "DEFAULT_REGION",
    "DEFAULT_SECRET_ID",
    "DEFAULT_SECRET_KEY",
    "FaultInjector",
    "FaultRule",
    "LocalCosServer",
    "Operation",
    "RequestLog",
    "RequestRecord",
    "ServerCredential",
    "ThreadedLocalCosServer",
]
