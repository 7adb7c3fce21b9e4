"""HTTPS end to end: the local server behind TLS with a certificate made for the test, and both
of the client's paths (aiohttp for requests, the threaded path for parts and ranges) verifying
it, refusing it when it is not trusted, or skipping verification when told to."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from cos_async import AsyncCosClient, CosConfig, CosError, RetryConfig
from cos_async._crc64 import crc64
from cos_async._threaded import ThreadedPath
from cos_async._transport import AiohttpTransport, HttpRequest, ssl_context
from cos_async.testing import LocalCosServer
from tests.core.test_transfers import _data
from tests.seams import engine

MiB = 1024 * 1024


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (made with the openssl command) and its key."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make the test certificate")
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        [
            openssl,
            *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


@pytest.fixture
async def tls_server(certificate: tuple[Path, Path]) -> AsyncIterator[LocalCosServer]:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*certificate)
    async with LocalCosServer(ssl_context=ctx) as srv:
        yield srv


def _config(server: LocalCosServer, **kwargs: Any) -> CosConfig:
    return CosConfig(
        region=server.region,
        secret_id=server.secret_id,
        secret_key=server.secret_key,
        endpoint_url=server.endpoint,
        **kwargs,
    )


async def _round_trip(cos: AsyncCosClient, bucket: str, tmp_path: Path) -> None:
    """A small object (aiohttp) and a 3-part upload + download (the threaded path)."""
    transport = engine(cos).transport
    assert isinstance(transport, AiohttpTransport)
    bulk_before = transport.sent["bulk"]
    await cos.put_object(bucket, "small", b"over TLS")
    assert await (await cos.get_object(bucket, "small")).read() == b"over TLS"
    assert transport.sent["bulk"] == bulk_before
    data = _data(5 * MiB + 7, seed=3)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    up = await cos.upload_file(bucket, "big", src, part_size=2 * MiB)
    dest = tmp_path / "dest.bin"
    down = await cos.download_file(bucket, "big", dest, part_size=2 * MiB)
    assert (up.parts, down.parts) == (3, 3)
    assert transport.sent["bulk"] == bulk_before + 6
    assert dest.read_bytes() == data
    assert down.crc64 == crc64(data)


async def test_https_verified_against_a_trusted_certificate(
    tls_server: LocalCosServer,
    certificate: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert tls_server.endpoint.startswith("https://127.0.0.1:")
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # the system CAs: just this one
    bucket = tls_server.create_bucket()
    async with AsyncCosClient(_config(tls_server)) as cos:
        await _round_trip(cos, bucket, tmp_path)


async def test_https_refuses_an_untrusted_certificate_on_both_paths(
    tls_server: LocalCosServer, tmp_path: Path
) -> None:
    bucket = tls_server.create_bucket()
    src = tmp_path / "src.bin"
    src.write_bytes(_data(3 * MiB, seed=4))
    config = _config(tls_server, retry=RetryConfig(max_attempts=1))
    async with AsyncCosClient(config) as cos:
        with pytest.raises(CosError, match="CERTIFICATE_VERIFY_FAILED"):
            await cos.put_object(bucket, "k", b"x")
    # initiate goes through aiohttp too: send a request over the threaded path directly
    bulk = ThreadedPath(config)
    try:
        with pytest.raises(CosError, match="CERTIFICATE_VERIFY_FAILED"):
            await bulk.send(
                HttpRequest(
                    method="PUT",
                    url=f"{tls_server.endpoint}/{bucket}/k",
                    headers={"Content-Length": "0"},
                    read_timeout=10,
                ),
                ssl_context(config),
            )
    finally:
        bulk.close()
    assert tls_server.requests.count("PutObject") == 0  # nothing reached the server


async def test_https_without_verification_when_told(
    tls_server: LocalCosServer, tmp_path: Path
) -> None:
    bucket = tls_server.create_bucket()
    async with AsyncCosClient(_config(tls_server, verify_ssl=False)) as cos:
        await _round_trip(cos, bucket, tmp_path)


async def test_tls_settings_are_made_once_and_only_for_https(
    tls_server: LocalCosServer,
    server: LocalCosServer,
    tmp_path: Path,
) -> None:
    """Loading the CA certificates costs ~35 ms of CPU: a client makes its TLS settings at its
    first https request, once for both paths, and a plain-http client never does."""
    made: list[bool] = []

    def counting(config: CosConfig) -> ssl.SSLContext:
        made.append(config.verify_ssl)
        return ssl_context(config)

    def counting_transport(config: CosConfig) -> AiohttpTransport:
        return AiohttpTransport(config, bulk=ThreadedPath(config), tls_factory=counting)

    async with AsyncCosClient(_config(server)) as cos:  # plain http
        engine(cos).transport = counting_transport(cos.config)
        await _round_trip(cos, server.create_bucket(), tmp_path)
    assert made == []
    async with AsyncCosClient(_config(tls_server, verify_ssl=False)) as cos:
        engine(cos).transport = counting_transport(cos.config)
        await _round_trip(cos, tls_server.create_bucket(), tmp_path)
    assert made == [False]
