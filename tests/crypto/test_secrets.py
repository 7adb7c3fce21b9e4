"""Key material never shows: not in a repr or str (providers, clients, keys, ciphers), not in an
exception (wrong keys, bad keys given to the providers), not in a log line at DEBUG of a whole
session of encrypted work; the objects that hold it refuse to be pickled. And ``import
cos_async`` / ``import cos_sync`` never import ``cryptography``."""

from __future__ import annotations

import base64
import logging
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from cos_async import AsyncCosClient, CosError, DecryptionError, InvalidArgument
from cos_async.crypto import AesKeyProvider, AsyncCosEncryptionClient, RsaKeyProvider, WrappedKey
from cos_async.crypto._format import DataKey, read_key_metadata

from .conftest import MiB, RsaPair, payload


def _forms(secret: bytes) -> list[str]:
    """How a secret could show up in text."""
    return [
        secret.hex(),
        secret.hex().upper(),
        base64.b64encode(secret).decode(),
        base64.urlsafe_b64encode(secret).decode(),
        repr(secret)[2:-1],
        str(list(secret))[1:-1],
    ]


def _assert_absent(text: str, secrets: list[bytes]) -> None:
    for secret in secrets:
        for form in _forms(secret):
            assert form not in text, f"a secret ({len(secret)} bytes) appears in the text"


def _pem_lines(pem: bytes) -> list[bytes]:
    """The base64 lines of a private key PEM (each long enough to be a secret's trace)."""
    return [line for line in pem.splitlines() if line and not line.startswith(b"-----")]


async def test_no_secret_in_reprs_logs_and_errors(
    cos_client: AsyncCosClient,
    cos_bucket: str,
    aes_key: bytes,
    rsa_pair: RsaPair,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    aes = AesKeyProvider(aes_key)
    rsa = RsaKeyProvider(private_key=rsa_pair.private_pem)
    texts: list[str] = []
    data = payload(2 * MiB + 1, seed=21)
    (tmp_path / "src").write_bytes(data)
    data_keys: list[bytes] = []
    for name, provider in (("aes", aes), ("rsa", rsa)):
        enc = AsyncCosEncryptionClient(cos_client, provider)
        texts += [repr(provider), str(provider), repr(enc), str(enc)]
        await enc.put_object(cos_bucket, name, data[:1000])
        await enc.upload_file(cos_bucket, f"{name}-f", tmp_path / "src", part_size=MiB, threshold=0)
        await enc.download_file(cos_bucket, f"{name}-f", tmp_path / "dst", part_size=MiB)
        async with await enc.get_object(cos_bucket, name, range=(3, 40)) as body:
            texts.append(repr(body))
            await body.read()
        up = await enc.create_multipart_upload(cos_bucket, f"{name}-m", part_size=MiB)
        part = await enc.upload_part(cos_bucket, f"{name}-m", up.upload_id, 1, data[:10])
        await enc.complete_multipart_upload(cos_bucket, f"{name}-m", up.upload_id, [part])
        for key in (name, f"{name}-f", f"{name}-m"):
            meta = await cos_client.head_object(cos_bucket, key)
            found = read_key_metadata(meta.headers, key)
            assert found is not None
            wrapped = found[0]
            texts.append(repr(wrapped))
            key_bytes, iv = provider.unwrap(wrapped)
            data_keys += [key_bytes, iv]
            data_key = DataKey(key_bytes, iv)
            texts += [repr(data_key), str(data_key), repr(data_key.cipher())]
    # failures: a wrong key of each kind, and bad keys given to the providers
    for wrong in (AesKeyProvider.generate(), RsaKeyProvider.generate(2048)):
        for call in (
            AsyncCosEncryptionClient(cos_client, wrong).get_object(cos_bucket, "aes"),
            AsyncCosEncryptionClient(cos_client, wrong).get_object(cos_bucket, "rsa"),
        ):
            with pytest.raises(DecryptionError) as info:
                await call
            texts += [str(info.value), repr(info.value), repr(info.value.args)]
    bad_inputs = [
        lambda: AesKeyProvider(aes_key[:20]),
        lambda: AesKeyProvider.from_base64(base64.b64encode(aes_key).decode() + "*"),
        lambda: RsaKeyProvider(private_key=rsa_pair.private_pem[:-40]),
        lambda: RsaKeyProvider(private_key=rsa_pair.private_pem, password=b"not encrypted"),
    ]
    for bad in bad_inputs:
        with pytest.raises(CosError) as error:
            bad()
        assert isinstance(error.value, InvalidArgument)
        texts += [str(error.value), repr(error.value)]
    texts += [r.getMessage() for r in caplog.records]
    assert len(caplog.records) > 0  # the DEBUG logs were captured
    text = "\n".join(texts)
    assert "AesKeyProvider(bits=256)" in text
    assert "can_decrypt=True" in text
    secrets = [aes_key, *data_keys, *_pem_lines(rsa_pair.private_pem)]
    _assert_absent(text, [s for s in secrets if isinstance(s, bytes)])


@pytest.mark.parametrize(
    "holder",
    [
        lambda: AesKeyProvider.generate(),
        lambda: RsaKeyProvider.generate(2048),
        lambda: DataKey.generate(),
        lambda: DataKey.generate().cipher(),
    ],
    ids=["aes-provider", "rsa-provider", "data-key", "cipher"],
)
def test_key_holders_are_not_pickled(holder: object) -> None:
    with pytest.raises(TypeError, match="not pickled"):
        pickle.dumps(holder())  # type: ignore[operator]


def test_wrapped_key_repr_shows_sizes_only() -> None:
    wrapped = WrappedKey(key=b"k" * 32, iv=b"i" * 16)
    assert repr(wrapped) == "WrappedKey(<32 + 16 bytes>)"


def test_importing_the_packages_does_not_import_cryptography() -> None:
    code = (
        "import sys, cos_async, cos_sync\n"
        "assert 'cryptography' not in sys.modules, 'cryptography was imported'\n"
        "import cos_sync.crypto\n"
        "assert 'cryptography' in sys.modules\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
