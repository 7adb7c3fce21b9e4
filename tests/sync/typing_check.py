"""Checked by ``mypy --strict`` in test_mirror.py; never collected nor run (no ``test_`` prefix).

Each annotated assignment states the type mypy must infer through cos_sync's descriptors; each
``# type: ignore[code]`` marks a call that must be an error. Were the descriptors to lose the
parameter or return types (``Any``), the assignments would still pass but the ignores would
become unused, which ``--strict`` (``warn_unused_ignores``) reports.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import cos_async
import cos_sync
from cos_async._models import TransferResult, TransferSummary
from cos_sync import CosClient, CosConfig


def check(cos: CosClient, path: str | os.PathLike[str]) -> None:
    put: cos_async.PutObjectResult = cos.put_object("b-1250000000", "k", b"x")
    head: cos_async.ObjectMeta = cos.head_object("b-1250000000", "k")
    exists: bool = cos.object_exists("b-1250000000", "k", version_id=None)
    deleted: cos_async.DeleteObjectResult = cos.delete_object("b-1250000000", "k")
    page: cos_async.ListObjectsPage = cos.list_objects_page("b-1250000000", prefix="p/")
    url: str = cos.object_url("b-1250000000", "k")
    signed: str = cos.presign_url("GET", "b-1250000000", "k", expires=60)
    buckets: cos_async.ListBucketsPage = cos.list_buckets_page()
    every: Generator[cos_async.BucketInfo, None, None] = cos.list_buckets(region="ap-guangzhou")

    body: cos_sync.ObjectBody = cos.get_object("b-1250000000", "k")
    with body:
        data: bytes = body.read()
        meta: cos_async.ObjectMeta = body.meta
        size: int = body.size
    chunks: Generator[bytes, None, None] = cos.get_object("b-1250000000", "k").iter_chunks(1024)
    saved: int = cos.get_object("b-1250000000", "k").save(path)

    listing: Generator[cos_async.ObjectInfo, None, None] = cos.list_objects("b-1250000000")
    for info in listing:
        key: str = info.key
    pages: Generator[cos_async.ListObjectsPage, None, None] = cos.list_objects_pages("b-1")
    uploads: Generator[cos_async.MultipartUploadInfo, None, None] = cos.list_multipart_uploads(
        "b-1250000000"
    )

    up: TransferResult = cos.upload_file("b-1250000000", "k", path, part_size=8 << 20)
    down: TransferResult = cos.download_file("b-1250000000", "k", path, concurrency=2)
    summary: TransferSummary = cos.delete_prefix("b-1250000000", "p/")

    with CosClient(CosConfig(region="ap-guangzhou")) as other:
        other.close()
    cos.close()

    # --- what must be rejected --------------------------------------------------------------
    cos.put_object("b-1250000000", "k", b"x", no_such_option=1)  # type: ignore[call-arg]
    cos.put_object("b-1250000000", "k", 42)  # type: ignore[arg-type]
    cos.head_object("b-1250000000")  # type: ignore[call-arg]
    cos.upload_file("b-1250000000", "k", path, part_size="8MiB")  # type: ignore[arg-type]
    cos.list_objects("b-1250000000", page_size="10")  # type: ignore[arg-type]
    cos.get_object("b-1250000000", "k", range=(0, 1, 2))  # type: ignore[arg-type]
    wrong: int = cos.put_object("b-1250000000", "k", b"x")  # type: ignore[assignment]
    not_async: cos_async.ObjectBody = cos.get_object("b-1", "k")  # type: ignore[assignment]
    not_list: list[cos_async.ObjectInfo] = cos.list_objects("b-1")  # type: ignore[assignment]

    del put, head, exists, deleted, page, url, signed, buckets, every, data, meta, size, chunks
    del saved
    del key, pages, uploads, up, down, summary, wrong, not_async, not_list
