"""The blocking ``download_stream`` (a generator) and ``download_fileobj`` (into a file)."""

from __future__ import annotations

import random
from pathlib import Path

from cos_sync import CosClient

MiB = 1024 * 1024


def test_stream_and_fileobj(cos: CosClient, sync_bucket: str, tmp_path: Path) -> None:
    data = random.Random(5).randbytes(2 * MiB + 3)
    cos.put_object(sync_bucket, "k", data)
    assert b"".join(cos.download_stream(sync_bucket, "k", part_size=MiB)) == data
    with open(tmp_path / "out", "wb") as f:
        result = cos.download_fileobj(sync_bucket, "k", f, part_size=MiB)
    assert (tmp_path / "out").read_bytes() == data
    assert result.size == len(data)
