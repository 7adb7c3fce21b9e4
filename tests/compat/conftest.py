"""Fixtures for driving the official Tencent SDK (``qcloud_cos``) against the local COS server.

The SDK runs in "IP mode": it connects to ``127.0.0.1:<port>`` and sends the bucket's real host
name (``<bucket>.cos.<region>.myqcloud.com``) in ``Host``, so nothing ever resolves or reaches a
real COS host. ``ServiceDomain`` keeps ``list_buckets`` away from ``service.cos.myqcloud.com``.
Every client gets its own ``requests`` session (closed after the test, so no socket leaks into a
``ResourceWarning``) that ignores proxy settings from the environment.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from qcloud_cos import CosConfig, CosS3Client

from cos_async.testing import ThreadedLocalCosServer

ClientFactory = Callable[..., CosS3Client]


@pytest.fixture
def make_cos_client() -> Iterator[ClientFactory]:
    """``make(server, *, ip_mode=True, retry=0, **CosConfig overrides)`` -> a ``CosS3Client``.

    ``ip_mode=False`` gives a client configured like production (virtual-hosted URLs on
    ``myqcloud.com``): only use it for offline work such as presigning URLs.
    """
    sessions: list[requests.Session] = []

    def make(
        server: ThreadedLocalCosServer,
        *,
        ip_mode: bool = True,
        retry: int = 0,
        **config: Any,
    ) -> CosS3Client:
        session = requests.Session()
        session.trust_env = False  # never route through a proxy taken from the environment
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=32)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        sessions.append(session)
        settings: dict[str, Any] = {
            "Region": server.region,
            "SecretId": server.secret_id,
            "SecretKey": server.secret_key,
            "Scheme": "http",
        }
        if ip_mode:
            settings.update(
                IP="127.0.0.1", Port=server.port, ServiceDomain=f"127.0.0.1:{server.port}"
            )
        settings.update(config)
        return CosS3Client(CosConfig(**settings), retry=retry, session=session)

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def cos_client(cos_server: ThreadedLocalCosServer, make_cos_client: ClientFactory) -> CosS3Client:
    """The official SDK pointed at the session-wide local server (no retries)."""
    return make_cos_client(cos_server)


@pytest.fixture
def bucket_name(cos_server: ThreadedLocalCosServer) -> Iterator[str]:
    """A valid, unused bucket name; the bucket (if a test created it) is removed afterwards."""
    name = f"compat-{uuid.uuid4().hex[:12]}-{cos_server.appid}"
    try:
        yield name
    finally:
        cos_server.delete_bucket(name)
