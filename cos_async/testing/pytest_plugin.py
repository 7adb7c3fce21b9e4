"""pytest fixtures for testing code against the local COS server.

Installed with the package (entry point ``pytest11``). Fixtures:

``cos_server``
    a session-wide :class:`~cos_async.testing.ThreadedLocalCosServer` (in memory, port 0).
``cos_bucket``
    a fresh, empty bucket for one test (removed afterwards, with its objects); the server's
    armed faults and request log are cleared first.
``cos_config``
    a :class:`cos_async.CosConfig` for ``cos_server`` (its region, keys and endpoint).
``cos_client``
    an :class:`cos_async.AsyncCosClient` on ``cos_config``, closed after the test (an async
    fixture: it needs pytest-asyncio, and the test runs on pytest-asyncio's loop).
``cos_sync_client``
    a :class:`cos_sync.CosClient` on ``cos_config``, closed after the test.
``cos_storage_options``
    the ``storage_options`` of a ``cos://`` URL on ``cos_server`` (pandas, Dask, Ray, fsspec).
``cos_fs``
    a :class:`cos_async.fs.CosFileSystem` on ``cos_server``, closed after the test (needs the
    extra ``cos-async[fsspec]``).

This module is glue between pytest and the two halves of the package: unlike the server, it
may use the client (``cos_async``, ``cos_sync``), which it imports inside the fixtures that
need it, so that using the server alone never imports the client.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from ._server import LocalCosServer, ThreadedLocalCosServer

if TYPE_CHECKING:
    from cos_async import AsyncCosClient, CosConfig
    from cos_async.fs import CosFileSystem
    from cos_sync import CosClient

#: async fixtures are run by pytest-asyncio (a test dependency, not the package's)
_HAVE_PYTEST_ASYNCIO: bool = importlib.util.find_spec("pytest_asyncio") is not None


@pytest.fixture(scope="session")
def cos_server() -> Iterator[ThreadedLocalCosServer]:
    """A local COS server for the whole test session (in memory, on a free port, on its own
    thread): ``cos_server.endpoint``, ``.region``, ``.secret_id``, ``.secret_key``,
    ``.faults`` (fault rules) and ``.requests`` (the request log)."""
    with LocalCosServer.run_in_thread() as server:
        yield server


@pytest.fixture
def cos_bucket(cos_server: ThreadedLocalCosServer) -> Iterator[str]:
    """The name of a fresh, empty bucket for one test, removed afterwards with everything in
    it. The server's fault rules and request log are cleared before the test."""
    cos_server.faults.clear()
    cos_server.requests.clear()
    name = cos_server.create_bucket()
    try:
        yield name
    finally:
        cos_server.faults.clear()
        cos_server.delete_bucket(name)


@pytest.fixture
def cos_config(cos_server: ThreadedLocalCosServer) -> CosConfig:
    """A ``cos_async.CosConfig`` for ``cos_server``: its region, its keys and its endpoint
    (path-style requests to ``http://127.0.0.1:<port>``)."""
    from cos_async import CosConfig

    return CosConfig(
        region=cos_server.region,
        secret_id=cos_server.secret_id,
        secret_key=cos_server.secret_key,
        endpoint_url=cos_server.endpoint,
    )


if _HAVE_PYTEST_ASYNCIO:
    import pytest_asyncio

    @pytest_asyncio.fixture
    async def cos_client(cos_config: CosConfig) -> AsyncIterator[AsyncCosClient]:
        """An ``AsyncCosClient`` for ``cos_server`` (on ``cos_config``), closed after the test.
        An async fixture: the test is an async test run by pytest-asyncio."""
        from cos_async import AsyncCosClient

        async with AsyncCosClient(cos_config) as client:
            yield client

else:  # pragma: no cover

    @pytest.fixture
    def cos_client() -> Any:
        """An ``AsyncCosClient`` for ``cos_server``: needs pytest-asyncio (not installed)."""
        pytest.fail("the cos_client fixture needs pytest-asyncio: pip install pytest-asyncio")


@pytest.fixture
def cos_sync_client(cos_config: CosConfig) -> Iterator[CosClient]:
    """A ``cos_sync.CosClient`` for ``cos_server`` (on ``cos_config``), closed after the
    test."""
    from cos_sync import CosClient

    with CosClient(cos_config) as client:
        yield client


@pytest.fixture
def cos_storage_options(cos_server: ThreadedLocalCosServer) -> dict[str, str]:
    """The ``storage_options`` of a ``cos://`` URL on ``cos_server`` (its region, keys and
    endpoint): ``pd.read_parquet(f"cos://{cos_bucket}/t.parquet",
    storage_options=cos_storage_options)``; works in worker processes too (the server listens
    on 127.0.0.1)."""
    return cos_server.storage_options()


@pytest.fixture
def cos_fs(cos_storage_options: dict[str, str]) -> Iterator[CosFileSystem]:
    """A ``cos_async.fs.CosFileSystem`` on ``cos_server`` (a fresh instance, not fsspec's
    cached one), its connections closed after the test. Needs fsspec (``cos-async[fsspec]``)."""
    pytest.importorskip("fsspec", reason="the cos_fs fixture needs cos-async[fsspec]")
    from cos_async.fs import CosFileSystem

    options: dict[str, Any] = dict(cos_storage_options)
    fs = CosFileSystem(**options, skip_instance_cache=True)
    try:
        yield fs
    finally:
        fs.close()
