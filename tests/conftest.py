"""Shared fixtures. The ``cos_server`` / ``cos_bucket`` fixtures come from the package's own
pytest plugin (``cos_async.testing.pytest_plugin``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

import cos_async
from cos_async import AsyncCosClient, CosConfig
from cos_async.testing import LocalCosServer
from tests.cos_http import CosHttp


@pytest.fixture
async def server() -> AsyncIterator[LocalCosServer]:
    """A fresh in-memory server on this test's event loop."""
    async with LocalCosServer() as srv:
        yield srv


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    # force_close: no connection reuse between requests. Note that aiohttp still re-sends an
    # idempotent request once after a reset when it can replay the body (bytes, files): fault
    # tests that must see a reset use one-shot bodies or times=None.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as s:
        yield s


@pytest.fixture
def http(server: LocalCosServer, session: aiohttp.ClientSession) -> CosHttp:
    """Signed path-style requests to ``server``."""
    return CosHttp(server.endpoint, server.secret_id, server.secret_key, session)


@pytest.fixture
def vhttp(server: LocalCosServer, session: aiohttp.ClientSession) -> CosHttp:
    """Signed virtual-hosted requests (``Host: <bucket>.cos.<region>.myqcloud.com``)."""
    return CosHttp(server.endpoint, server.secret_id, server.secret_key, session, virtual_host=True)


@pytest.fixture
async def bucket(server: LocalCosServer) -> str:
    return server.create_bucket()


@pytest.fixture(autouse=True)
def _testing_mode() -> Iterator[None]:
    """Client retries happen as configured but without sleeping between attempts."""
    cos_async.set_testing(True)
    try:
        yield
    finally:
        cos_async.set_testing(False)


@pytest.fixture
def config(server: LocalCosServer) -> CosConfig:
    """A path-style client configuration for the ``server`` fixture."""
    return CosConfig(
        region=server.region,
        secret_id=server.secret_id,
        secret_key=server.secret_key,
        endpoint_url=server.endpoint,
    )


@pytest.fixture
async def cos(config: CosConfig) -> AsyncIterator[AsyncCosClient]:
    """An AsyncCosClient for ``server``, closed after the test."""
    async with AsyncCosClient(config) as client:
        yield client
