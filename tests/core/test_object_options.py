"""Every method that writes an object takes the same object options and carries every one of
them to the stored object: put_object, create_multipart_upload, copy_object, upload_file,
upload_stream and copy, each by the path it takes at small and at large sizes.

Before the redesign these had drifted (upload_file had no content_language, expires, grant_* or
sse_kms_*; upload_stream and copy had no acl, tagging or sse; a large copy stored the source's
storage class). Here each method writes with all the options, and the stored object is read back.
"""

from __future__ import annotations

import datetime as dt
import inspect
import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from cos_async import AsyncCosClient, ObjectMeta
from cos_async._options import _WRITE_PARAMETERS, WriteOptions, write_option_parameters
from cos_async.testing import LocalCosServer

MiB = 1024 * 1024
ALL_USERS = "http://cam.qcloud.com/groups/global/AllUsers"
READER = "qcs::cam::uin/100000000042:uin/100000000042"
EXPIRES = dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc)

OPTIONS: dict[str, Any] = {
    "content_type": "application/x-options-test",
    "content_disposition": 'attachment; filename="report.bin"',
    "content_encoding": "identity",
    "content_language": "fr-CA",
    "cache_control": "max-age=60",
    "expires": EXPIRES,
    "metadata": {"origin": "options-test", "n": "7"},
    "storage_class": "STANDARD_IA",
    "acl": "public-read",
    "grant_read": f'id="{READER}"',
    "tagging": {"team": "storage", "tier": "cold"},
    "sse": "cos/kms",
    "sse_kms_key_id": "kms-key-1",
}

WRITERS = (
    "put_object",
    "create_multipart_upload",
    "copy_object",
    "upload_file",
    "upload_stream",
    "copy",
)


def test_the_options_cover_the_template() -> None:
    # the options written below are the template's, except the grants that would need more
    # uins and the KMS context (which COS does not echo)
    skipped = {"grant_read_acp", "grant_write_acp", "grant_full_control", "sse_kms_context"}
    assert set(OPTIONS) == set(_WRITE_PARAMETERS) - skipped


@pytest.mark.parametrize("name", WRITERS)
def test_every_writer_takes_every_object_option(name: str) -> None:
    params = inspect.signature(getattr(AsyncCosClient, name)).parameters
    for option, expected in inspect.signature(write_option_parameters).parameters.items():
        got = params[option]
        assert (got.kind, got.default, got.annotation) == (
            expected.kind,
            expected.default,
            expected.annotation,
        ), (name, option)


async def _check_stored(cos: AsyncCosClient, bucket: str, key: str) -> ObjectMeta:
    head = await cos.head_object(bucket, key)
    assert head.content_type == OPTIONS["content_type"]
    assert head.content_disposition == OPTIONS["content_disposition"]
    assert head.content_encoding == OPTIONS["content_encoding"]
    assert head.content_language == OPTIONS["content_language"]
    assert head.cache_control == OPTIONS["cache_control"]
    assert head.expires == "Tue, 06 May 2031 07:08:09 GMT"
    assert dict(head.metadata) == OPTIONS["metadata"]
    assert head.storage_class == OPTIONS["storage_class"]
    assert head.server_side_encryption == "cos/kms"
    assert head.headers["x-cos-server-side-encryption-cos-kms-key-id"] == "kms-key-1"
    assert await cos.get_object_tagging(bucket, key) == OPTIONS["tagging"]
    acl = await cos.get_object_acl(bucket, key)
    grants = {(g.permission, g.uri or g.id) for g in acl.grants}
    assert ("READ", ALL_USERS) in grants
    assert ("READ", READER) in grants
    return head


Writer = Callable[[AsyncCosClient, str, str, Path], Awaitable[object]]


async def _put(cos: AsyncCosClient, bucket: str, key: str, src: Path) -> object:
    return await cos.put_object(bucket, key, src.read_bytes(), **OPTIONS)


async def _multipart(cos: AsyncCosClient, bucket: str, key: str, src: Path) -> object:
    up = await cos.create_multipart_upload(bucket, key, **OPTIONS)
    part = await cos.upload_part(bucket, key, up.upload_id, 1, src.read_bytes())
    return await cos.complete_multipart_upload(bucket, key, up.upload_id, [part])


async def _copy_object(cos: AsyncCosClient, bucket: str, key: str, src: Path) -> object:
    await cos.put_object(bucket, "plain-source", src.read_bytes())
    return await cos.copy_object(
        bucket,
        key,
        source_bucket=bucket,
        source_key="plain-source",
        metadata_directive="Replaced",
        **OPTIONS,
    )


def _upload_file(threshold: int | None) -> Writer:
    async def write(cos: AsyncCosClient, bucket: str, key: str, src: Path) -> object:
        return await cos.upload_file(
            bucket, key, src, part_size=MiB, threshold=threshold, **OPTIONS
        )

    return write


def _upload_stream(size_hint: str) -> Writer:
    async def write(cos: AsyncCosClient, bucket: str, key: str, src: Path) -> object:
        data = src.read_bytes()
        part_size = MiB if size_hint == "multipart" else 4 * MiB
        return await cos.upload_stream(
            bucket, key, io.BytesIO(data), part_size=part_size, **OPTIONS
        )

    return write


def _copy(threshold: int) -> Writer:
    async def write(cos: AsyncCosClient, bucket: str, key: str, src: Path) -> object:
        await cos.put_object(bucket, "plain-source", src.read_bytes())
        return await cos.copy(
            bucket,
            "plain-source",
            bucket,
            key,
            part_size=MiB,
            threshold=threshold,
            metadata_directive="Replaced",
            **OPTIONS,
        )

    return write


@pytest.mark.parametrize(
    "writer",
    [
        pytest.param(_put, id="put_object"),
        pytest.param(_multipart, id="create_multipart_upload"),
        pytest.param(_copy_object, id="copy_object"),
        pytest.param(_upload_file(None), id="upload_file-single"),
        pytest.param(_upload_file(0), id="upload_file-multipart"),
        pytest.param(_upload_stream("single"), id="upload_stream-single"),
        pytest.param(_upload_stream("multipart"), id="upload_stream-multipart"),
        pytest.param(_copy(5 * 1024**3), id="copy-single"),
        pytest.param(_copy(0), id="copy-multipart"),
    ],
)
async def test_every_writer_stores_every_object_option(
    cos: AsyncCosClient, bucket: str, tmp_path: Path, writer: Writer
) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(bytes(range(256)) * (3 * MiB // 256 + 5))
    await writer(cos, bucket, "written", src)
    await _check_stored(cos, bucket, "written")
    body = await cos.get_object(bucket, "written")
    assert await body.read() == src.read_bytes()


# --- copies and storage classes ---------------------------------------------------------------


@pytest.mark.parametrize("threshold", [5 * 1024**3, 0], ids=["single", "multipart"])
@pytest.mark.parametrize("directive", ["Copy", "Replaced"])
async def test_copy_stores_the_requested_class_or_standard(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str, threshold: int, directive: str
) -> None:
    """COS documents that a copy without x-cos-storage-class is STANDARD, not the source's
    class; a copy above its threshold used to store the source's class whatever was asked."""
    data = bytes(range(256)) * (3 * MiB // 256)
    await cos.put_object(
        bucket, "archive-src", data, storage_class="STANDARD_IA", metadata={"kept": "yes"}
    )
    extra: dict[str, Any] = {"content_type": "text/plain"} if directive == "Replaced" else {}
    await cos.copy(
        bucket,
        "archive-src",
        bucket,
        "asked",
        part_size=MiB,
        threshold=threshold,
        storage_class="INTELLIGENT_TIERING",
        metadata_directive=directive,  # type: ignore[arg-type]
        **extra,
    )
    await cos.copy(
        bucket,
        "archive-src",
        bucket,
        "default",
        part_size=MiB,
        threshold=threshold,
        metadata_directive=directive,  # type: ignore[arg-type]
        **extra,
    )
    asked = await cos.head_object(bucket, "asked")
    default = await cos.head_object(bucket, "default")
    assert asked.storage_class == "INTELLIGENT_TIERING"
    assert default.storage_class == "STANDARD"
    if directive == "Copy":  # the source's metadata came along at both sizes
        assert dict(asked.metadata) == {"kept": "yes"}
        assert dict(default.metadata) == {"kept": "yes"}
    assert server.requests.count("UploadPartCopy") == (0 if threshold else 2 * 3)


async def test_copy_with_copy_directive_refuses_content_options(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    from cos_async import InvalidArgument

    await cos.put_object(bucket, "src", b"x")
    with pytest.raises(InvalidArgument, match="metadata_directive='Replaced'"):
        await cos.copy(bucket, "src", bucket, "dst", content_language="de")
    assert server.requests.count("HeadObject") == 0


def test_write_options_digest_is_stable_and_tells_options_apart() -> None:
    a = WriteOptions(metadata={"a": "1", "b": "2"}, storage_class="standard_ia")
    b = WriteOptions(metadata={"a": "1", "b": "2"}, storage_class="STANDARD_IA")
    c = WriteOptions(metadata={"a": "1", "b": "3"}, storage_class="STANDARD_IA")
    assert a == b
    assert a.digest() == b.digest()
    assert a.digest() != c.digest()
    assert WriteOptions().digest() != a.digest()
