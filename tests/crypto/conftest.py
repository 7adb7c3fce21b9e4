"""Fixtures for the client-side encryption tests: key material made once per session, the
official SDK's ``CosEncryptionClient`` pointed at the session's local server (IP mode, as in
``tests/compat``), and reading helpers for both SDKs.

The official SDK is synchronous; its calls block the test's event loop while they run, which is
harmless: the server runs on its own thread (``cos_server``) and nothing else is in flight.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("cryptography")

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cos_async.testing import ThreadedLocalCosServer

MiB = 1 << 20


def payload(size: int, seed: int = 0) -> bytes:
    """Deterministic bytes that look random (so a keystream error cannot hide in zeros)."""
    return random.Random(seed).randbytes(size)


@dataclass(frozen=True)
class RsaPair:
    public_pem: bytes
    private_pem: bytes


def _rsa_pair(bits: int = 2048) -> RsaPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return RsaPair(
        public_pem=key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        private_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,  # what PyCryptodome exports
            serialization.NoEncryption(),
        ),
    )


@pytest.fixture(scope="session")
def rsa_pair() -> RsaPair:
    return _rsa_pair()


@pytest.fixture(scope="session")
def other_rsa_pair() -> RsaPair:
    return _rsa_pair()


@pytest.fixture(scope="session")
def aes_key() -> bytes:
    return bytes(random.Random(7).randbytes(32))


OfficialFactory = Callable[[Any], Any]


@pytest.fixture
def official(
    cos_server: ThreadedLocalCosServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[OfficialFactory]:
    """``official(provider)`` -> the official ``CosEncryptionClient`` on ``cos_server``.
    ``HOME`` points into ``tmp_path``: the official providers write key files under ``~``
    when they are given none (the tests always give them keys)."""
    requests = pytest.importorskip("requests")
    pytest.importorskip("qcloud_cos")
    from qcloud_cos import CosConfig as OfficialConfig
    from qcloud_cos.cos_encryption_client import CosEncryptionClient

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    sessions: list[Any] = []

    def make(provider: Any) -> Any:
        session = requests.Session()
        session.trust_env = False  # never a proxy from the environment
        sessions.append(session)
        config = OfficialConfig(
            Region=cos_server.region,
            SecretId=cos_server.secret_id,
            SecretKey=cos_server.secret_key,
            Scheme="http",
            IP="127.0.0.1",
            Port=cos_server.port,
            ServiceDomain=f"127.0.0.1:{cos_server.port}",
        )
        return CosEncryptionClient(config, provider, retry=0, session=session)

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def official_aes(aes_key: bytes) -> Any:
    """The official symmetric provider (with its own cipher: the default one is a mutable
    default argument shared by every provider of the process)."""
    from qcloud_cos.crypto import AESCTRCipher, AESProvider

    return AESProvider(aes_key=base64.b64encode(aes_key).decode(), cipher=AESCTRCipher())


@pytest.fixture
def official_rsa_strings(rsa_pair: RsaPair) -> Any:
    """The official RSA provider built from key strings: it wraps with PKCS #1 v1.5."""
    from qcloud_cos.crypto import AESCTRCipher, RSAProvider

    pair = RSAProvider.get_rsa_key_pair(rsa_pair.public_pem, rsa_pair.private_pem)
    return RSAProvider(key_pair_info=pair, cipher=AESCTRCipher())


@pytest.fixture
def official_rsa_files(rsa_pair: RsaPair, tmp_path: Path) -> Any:
    """The official RSA provider built from key files: it wraps with OAEP."""
    from qcloud_cos.crypto import AESCTRCipher, RSAProvider

    public, private = tmp_path / "public.pem", tmp_path / "private.pem"
    public.write_bytes(rsa_pair.public_pem)
    private.write_bytes(rsa_pair.private_pem)
    pair = RSAProvider.get_rsa_key_pair_path(str(public), str(private))
    return RSAProvider(key_pair_info=pair, cipher=AESCTRCipher())


def official_read(client: Any, bucket: str, key: str, **headers: str) -> bytes:
    """The plaintext the official client reads (its ``get_object``, body read to the end)."""
    body = client.get_object(Bucket=bucket, Key=key, **headers)["Body"]
    chunks: list[bytes] = []
    while True:
        chunk = body.read(256 * 1024)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
