"""``cos_sync.crypto.CosEncryptionClient``: the async encryption client's methods as plain
calls on the sync client's loop thread, with the same signatures and docstrings."""

from __future__ import annotations

import inspect
import threading
from pathlib import Path
from typing import Any

import pytest

import cos_sync
from cos_async import DecryptionError, InvalidArgument
from cos_async.crypto import AsyncCosEncryptionClient
from cos_sync.crypto import AesKeyProvider, CosEncryptionClient, RsaKeyProvider

from .conftest import MiB, RsaPair, payload

MIRRORED = [
    "put_object",
    "get_object",
    "upload_file",
    "upload_stream",
    "download_file",
    "create_multipart_upload",
    "upload_part",
    "complete_multipart_upload",
    "abort_multipart_upload",
]


def test_the_sync_client_mirrors_the_async_one() -> None:
    public = {n for n in dir(AsyncCosEncryptionClient) if not n.startswith("_")}
    assert public == {*MIRRORED, "client", "provider"}
    for name in MIRRORED:
        ours = inspect.signature(getattr(CosEncryptionClient, name))
        theirs = inspect.signature(getattr(AsyncCosEncryptionClient, name))
        if name == "get_object":
            theirs = theirs.replace(return_annotation="ObjectBody")
        assert ours == theirs, name
        assert (
            getattr(CosEncryptionClient, name).__doc__
            == getattr(AsyncCosEncryptionClient, name).__doc__
        )


def test_round_trips(
    cos_sync_client: cos_sync.CosClient, cos_bucket: str, aes_key: bytes, tmp_path: Path
) -> None:
    enc = CosEncryptionClient(cos_sync_client, AesKeyProvider(aes_key))
    assert enc.client is cos_sync_client
    assert "AesKeyProvider(bits=256)" in repr(enc)
    data = payload(3 * MiB + 1, seed=31)
    enc.put_object(cos_bucket, "small", data[:1000])
    assert enc.get_object(cos_bucket, "small").read() == data[:1000]  # prefetched
    enc.put_object(cos_bucket, "big", data)
    with enc.get_object(cos_bucket, "big", range=(10, 2 * MiB)) as body:
        assert b"".join(body.iter_chunks(100_000)) == data[10 : 2 * MiB + 1]
    (tmp_path / "src").write_bytes(data)
    threads: list[threading.Thread] = []
    enc.upload_file(
        cos_bucket,
        "f",
        tmp_path / "src",
        part_size=MiB,
        threshold=0,
        progress=lambda _report: threads.append(threading.current_thread()),
    )
    assert threads
    assert set(threads) == {threading.current_thread()}
    enc.download_file(cos_bucket, "f", tmp_path / "dst", part_size=MiB, threshold=0)
    assert (tmp_path / "dst").read_bytes() == data
    enc.upload_stream(cos_bucket, "s", iter([data[:MiB], data[MiB:]]), part_size=MiB)
    assert enc.get_object(cos_bucket, "s").read() == data
    up = enc.create_multipart_upload(cos_bucket, "m", part_size=MiB)
    parts = [
        enc.upload_part(cos_bucket, "m", up.upload_id, n, data[(n - 1) * MiB : n * MiB])
        for n in (1, 2)
    ]
    enc.complete_multipart_upload(cos_bucket, "m", up.upload_id, parts)
    assert enc.get_object(cos_bucket, "m").read() == data[: 2 * MiB]


def test_errors_cross_the_facade(
    cos_sync_client: cos_sync.CosClient, cos_bucket: str, rsa_pair: RsaPair, tmp_path: Path
) -> None:
    writer = CosEncryptionClient(cos_sync_client, RsaKeyProvider(public_key=rsa_pair.public_pem))
    writer.put_object(cos_bucket, "k", b"x" * 300_000)  # beyond the prefetch
    with pytest.raises(DecryptionError):
        writer.get_object(cos_bucket, "k")
    with pytest.raises(DecryptionError):
        writer.download_file(cos_bucket, "k", tmp_path / "out")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InvalidArgument, match=r"cos_sync\.CosClient"):
        CosEncryptionClient(object(), AesKeyProvider.generate())  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="key provider"):
        CosEncryptionClient(cos_sync_client, "key")  # type: ignore[arg-type]


def test_the_names_are_cos_async_crypto_ones() -> None:
    import cos_async.crypto

    for name in cos_sync.crypto.__all__:
        value: Any = getattr(cos_sync.crypto, name)
        if name != "CosEncryptionClient":
            assert value is getattr(cos_async.crypto, name)
