"""AsyncCosClient multipart uploads against the local COS server."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest

from cos_async import (
    AsyncCosClient,
    CosServiceError,
    EntityTooSmall,
    InvalidArgument,
    InvalidPart,
    NoSuchUpload,
    PreconditionFailed,
    RetryExhausted,
)
from cos_async._body import FileRangeBody
from cos_async._crc64 import crc64
from cos_async.testing import LocalCosServer

MIB = 1 << 20


def blob(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def multipart_etag(parts: list[bytes]) -> str:
    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    return f'"{hashlib.md5(digests).hexdigest()}-{len(parts)}"'


async def read(cos: AsyncCosClient, bucket: str, key: str) -> bytes:
    body = await cos.get_object(bucket, key)
    return await body.read()


async def test_full_multipart_upload(cos: AsyncCosClient, bucket: str, tmp_path: Path) -> None:
    parts = [blob(MIB, seed=1), blob(MIB + 3, seed=2), blob(777, seed=3)]
    path = tmp_path / "source.bin"
    path.write_bytes(b"HEADER" + parts[1] + b"TRAILER")
    up = await cos.create_multipart_upload(
        bucket,
        "mp.bin",
        metadata={"origin": "分片"},
        content_type="application/x-mp",
        storage_class="STANDARD_IA",
        tagging={"kind": "multipart"},
    )
    assert up.bucket == bucket
    assert up.key == "mp.bin"
    assert up.upload_id
    assert up.request_id

    r1 = await cos.upload_part(bucket, "mp.bin", up.upload_id, 1, parts[0])
    assert r1.part_number == 1
    assert r1.etag == f'"{hashlib.md5(parts[0]).hexdigest()}"'
    assert r1.crc64 == crc64(parts[0])
    # a part read from a range of a file
    r2 = await cos.upload_part(
        bucket, "mp.bin", up.upload_id, 2, FileRangeBody(path, 6, len(parts[1]))
    )
    assert r2.etag == f'"{hashlib.md5(parts[1]).hexdigest()}"'
    assert r2.crc64 == crc64(parts[1])
    r3 = await cos.upload_part(bucket, "mp.bin", up.upload_id, 3, parts[2], content_md5=True)
    assert r3.crc64 == crc64(parts[2])

    # the client sorts the parts: any order is accepted
    result = await cos.complete_multipart_upload(bucket, "mp.bin", up.upload_id, [r3, r1, r2])
    whole = b"".join(parts)
    assert result.crc64 == crc64(whole)
    assert result.etag == multipart_etag(parts)
    assert result.bucket == bucket
    assert result.key == "mp.bin"
    assert result.location == f"{bucket}.cos.ap-guangzhou.myqcloud.com/mp.bin"
    assert result.version_id is None

    meta = await cos.head_object(bucket, "mp.bin")
    assert meta.size == len(whole)
    assert meta.etag == result.etag
    assert meta.crc64 == crc64(whole)
    assert meta.metadata == {"origin": "分片"}
    assert meta.content_type == "application/x-mp"
    assert meta.storage_class == "STANDARD_IA"
    assert await cos.get_object_tagging(bucket, "mp.bin") == {"kind": "multipart"}
    assert await read(cos, bucket, "mp.bin") == whole
    # the upload is gone once completed
    assert [u async for u in cos.list_multipart_uploads(bucket)] == []


async def test_complete_with_tuples_and_part_infos(cos: AsyncCosClient, bucket: str) -> None:
    parts = [blob(MIB, seed=4), blob(10, seed=5)]
    up = await cos.create_multipart_upload(bucket, "k")
    r1 = await cos.upload_part(bucket, "k", up.upload_id, 1, parts[0])
    await cos.upload_part(bucket, "k", up.upload_id, 2, parts[1])
    infos = [p async for p in cos.list_parts(bucket, "k", up.upload_id)]
    mixed = [infos[1], (1, r1.etag)]
    result = await cos.complete_multipart_upload(bucket, "k", up.upload_id, mixed)
    assert result.crc64 == crc64(b"".join(parts))
    assert await read(cos, bucket, "k") == b"".join(parts)


async def test_complete_in_versioned_bucket(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    server.store.buckets[bucket].versioning = "Enabled"
    up = await cos.create_multipart_upload(bucket, "k")
    r1 = await cos.upload_part(bucket, "k", up.upload_id, 1, b"only part")
    result = await cos.complete_multipart_upload(bucket, "k", up.upload_id, [r1])
    assert result.version_id is not None
    assert (await cos.head_object(bucket, "k")).version_id == result.version_id


async def test_list_parts_paging(cos: AsyncCosClient, bucket: str, server: LocalCosServer) -> None:
    up = await cos.create_multipart_upload(bucket, "k")
    datas = {n: blob(100 * n, seed=n) for n in range(1, 6)}
    for n in (5, 3, 1, 4, 2):  # uploaded out of order
        await cos.upload_part(bucket, "k", up.upload_id, n, datas[n])
    before = server.requests.count("ListParts")
    listed = [p async for p in cos.list_parts(bucket, "k", up.upload_id, page_size=2)]
    assert server.requests.count("ListParts") - before == 3
    assert [p.part_number for p in listed] == [1, 2, 3, 4, 5]
    assert [p.size for p in listed] == [100, 200, 300, 400, 500]
    assert [p.etag for p in listed] == [
        f'"{hashlib.md5(datas[n]).hexdigest()}"' for n in range(1, 6)
    ]
    assert [p.crc64 for p in listed] == [crc64(datas[n]) for n in range(1, 6)]
    assert all(p.last_modified is not None and p.last_modified.tzinfo for p in listed)

    page = await cos.list_parts_page(bucket, "k", up.upload_id, part_number_marker=2, max_parts=2)
    assert [p.part_number for p in page.parts] == [3, 4]
    assert page.is_truncated is True
    assert page.next_part_number_marker == 4
    assert page.storage_class == "STANDARD"
    last = await cos.list_parts_page(bucket, "k", up.upload_id, part_number_marker=4)
    assert [p.part_number for p in last.parts] == [5]
    assert last.is_truncated is False


async def test_reuploading_a_part_replaces_it(cos: AsyncCosClient, bucket: str) -> None:
    up = await cos.create_multipart_upload(bucket, "k")
    await cos.upload_part(bucket, "k", up.upload_id, 1, b"first try")
    r1 = await cos.upload_part(bucket, "k", up.upload_id, 1, b"second")
    parts = [p async for p in cos.list_parts(bucket, "k", up.upload_id)]
    assert [(p.part_number, p.size, p.etag) for p in parts] == [(1, 6, r1.etag)]
    await cos.complete_multipart_upload(bucket, "k", up.upload_id, [r1])
    assert await read(cos, bucket, "k") == b"second"


async def test_complete_with_small_non_last_part(cos: AsyncCosClient, bucket: str) -> None:
    up = await cos.create_multipart_upload(bucket, "k")
    r1 = await cos.upload_part(bucket, "k", up.upload_id, 1, b"too small")
    r2 = await cos.upload_part(bucket, "k", up.upload_id, 2, b"last")
    with pytest.raises(EntityTooSmall) as info:
        await cos.complete_multipart_upload(bucket, "k", up.upload_id, [r1, r2])
    assert info.value.status == 400
    assert info.value.code == "EntityTooSmall"
    # the upload survives a failed completion
    parts = [p.part_number async for p in cos.list_parts(bucket, "k", up.upload_id)]
    assert parts == [1, 2]


async def test_complete_with_wrong_etag(cos: AsyncCosClient, bucket: str) -> None:
    up = await cos.create_multipart_upload(bucket, "k")
    await cos.upload_part(bucket, "k", up.upload_id, 1, b"x")
    with pytest.raises(InvalidPart):
        await cos.complete_multipart_upload(
            bucket, "k", up.upload_id, [(1, '"00000000000000000000000000000000"')]
        )
    with pytest.raises(InvalidPart):
        await cos.complete_multipart_upload(bucket, "k", up.upload_id, [(2, '"whatever"')])


async def test_complete_input_checks(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    before = server.requests.count()
    with pytest.raises(InvalidArgument, match="at least one part"):
        await cos.complete_multipart_upload(bucket, "k", "id", [])
    with pytest.raises(InvalidArgument, match=r"\[1, 1\]"):
        await cos.complete_multipart_upload(bucket, "k", "id", [(1, '"a"'), (1, '"b"')])
    with pytest.raises(InvalidArgument, match="10001"):
        await cos.complete_multipart_upload(bucket, "k", "id", [(10001, '"a"')])
    assert server.requests.count() == before


async def test_abort_then_upload_part(cos: AsyncCosClient, bucket: str) -> None:
    up = await cos.create_multipart_upload(bucket, "k")
    await cos.upload_part(bucket, "k", up.upload_id, 1, b"x")
    await cos.abort_multipart_upload(bucket, "k", up.upload_id)
    with pytest.raises(NoSuchUpload) as info:
        await cos.upload_part(bucket, "k", up.upload_id, 2, b"y")
    assert isinstance(info.value, FileNotFoundError)
    assert info.value.status == 404
    with pytest.raises(NoSuchUpload):
        await cos.list_parts_page(bucket, "k", up.upload_id)
    with pytest.raises(NoSuchUpload):
        await cos.abort_multipart_upload(bucket, "k", up.upload_id)
    with pytest.raises(NoSuchUpload):
        await cos.complete_multipart_upload(bucket, "k", up.upload_id, [(1, '"x"')])
    assert await cos.object_exists(bucket, "k") is False


async def test_upload_id_bound_to_its_key(cos: AsyncCosClient, bucket: str) -> None:
    up = await cos.create_multipart_upload(bucket, "k")
    with pytest.raises(NoSuchUpload):
        await cos.upload_part(bucket, "other-key", up.upload_id, 1, b"x")


@pytest.mark.parametrize("number", [0, 10001, -1])
async def test_part_number_out_of_range(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer, number: int
) -> None:
    up = await cos.create_multipart_upload(bucket, "k")
    before = server.requests.count()
    with pytest.raises(InvalidArgument) as info:
        await cos.upload_part(bucket, "k", up.upload_id, number, b"x")
    assert repr(number) in str(info.value)
    assert "part_number" in str(info.value)
    with pytest.raises(InvalidArgument) as info:
        await cos.upload_part_copy(
            bucket, "k", up.upload_id, number, source_bucket=bucket, source_key="src"
        )
    assert repr(number) in str(info.value)
    assert server.requests.count() == before


async def test_part_number_limits_accepted(cos: AsyncCosClient, bucket: str) -> None:
    up = await cos.create_multipart_upload(bucket, "k")
    r = await cos.upload_part(bucket, "k", up.upload_id, 10000, b"last possible")
    assert r.part_number == 10000
    parts = [p.part_number async for p in cos.list_parts(bucket, "k", up.upload_id)]
    assert parts == [10000]


async def test_upload_part_input_checks(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    before = server.requests.count()
    with pytest.raises(InvalidArgument, match="upload_id"):
        await cos.upload_part(bucket, "k", "", 1, b"x")
    with pytest.raises(InvalidArgument, match="819199"):
        await cos.upload_part(bucket, "k", "id", 1, b"x", traffic_limit=819199)
    with pytest.raises(InvalidArgument, match="True"):
        await cos.upload_part(bucket, "k", "id", True, b"x")
    with pytest.raises(InvalidArgument, match=r"\(5, 2\)"):
        await cos.upload_part_copy(
            bucket, "k", "id", 1, source_bucket=bucket, source_key="s", source_range=(5, 2)
        )
    for bad_range in ((0, "5"), (0, None), 7):
        with pytest.raises(InvalidArgument) as info:
            await cos.upload_part_copy(
                bucket,
                "k",
                "id",
                1,
                source_bucket=bucket,
                source_key="s",
                source_range=bad_range,  # type: ignore[arg-type]
            )
        assert repr(bad_range) in str(info.value)
    with pytest.raises(InvalidArgument, match="max_parts"):
        await cos.list_parts_page(bucket, "k", "id", max_parts=1001)
    with pytest.raises(InvalidArgument, match="max_uploads"):
        await cos.list_multipart_uploads_page(bucket, max_uploads=0)
    assert server.requests.count() == before


async def test_upload_part_corrupted_on_the_way_is_resent(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    data = blob(5000, seed=9)
    up = await cos.create_multipart_upload(bucket, "k")
    server.faults.add(action="corrupt", operation="UploadPart", after_bytes=100)
    r = await cos.upload_part(bucket, "k", up.upload_id, 1, data)
    assert r.crc64 == crc64(data)
    assert server.requests.count("UploadPart") == 2
    await cos.complete_multipart_upload(bucket, "k", up.upload_id, [r])
    assert await read(cos, bucket, "k") == data


async def test_upload_part_from_file_range_retried_after_reset(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer, tmp_path: Path
) -> None:
    data = blob(3 * MIB, seed=10)
    path = tmp_path / "f"
    path.write_bytes(data)
    up = await cos.create_multipart_upload(bucket, "k")
    server.faults.add(action="reset", operation="UploadPart", after_bytes=1000)
    body = FileRangeBody(path, MIB, MIB)
    r = await cos.upload_part(bucket, "k", up.upload_id, 1, body)
    assert r.crc64 == crc64(data[MIB : 2 * MIB])
    assert server.requests.count("UploadPart") == 2


async def test_upload_part_copy_with_range(cos: AsyncCosClient, bucket: str) -> None:
    source = blob(2 * MIB + 500, seed=11)
    await cos.put_object(bucket, "src", source)
    up = await cos.create_multipart_upload(bucket, "dst")
    c1 = await cos.upload_part_copy(
        bucket,
        "dst",
        up.upload_id,
        1,
        source_bucket=bucket,
        source_key="src",
        source_range=(0, MIB - 1),
    )
    assert c1.part_number == 1
    assert c1.crc64 == crc64(source[:MIB])
    assert c1.etag == f'"{hashlib.md5(source[:MIB]).hexdigest()}"'
    assert c1.last_modified is not None
    middle = blob(MIB, seed=14)
    r2 = await cos.upload_part(bucket, "dst", up.upload_id, 2, middle)
    c3 = await cos.upload_part_copy(
        bucket,
        "dst",
        up.upload_id,
        3,
        source_bucket=bucket,
        source_key="src",
        source_range=(2 * MIB, 2 * MIB + 99),
    )
    assert c3.crc64 == crc64(source[2 * MIB : 2 * MIB + 100])
    result = await cos.complete_multipart_upload(bucket, "dst", up.upload_id, [c3, r2, c1])
    expected = source[:MIB] + middle + source[2 * MIB : 2 * MIB + 100]
    assert result.crc64 == crc64(expected)
    assert await read(cos, bucket, "dst") == expected


async def test_upload_part_copy_whole_object_and_errors(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    other = server.create_bucket()
    put = await cos.put_object(other, "src", b"whole source")
    up = await cos.create_multipart_upload(bucket, "dst")
    c1 = await cos.upload_part_copy(
        bucket, "dst", up.upload_id, 1, source_bucket=other, source_key="src"
    )
    assert c1.crc64 == crc64(b"whole source")
    with pytest.raises(PreconditionFailed):
        await cos.upload_part_copy(
            bucket, "dst", up.upload_id, 2, source_bucket=other, source_key="src", if_match='"x"'
        )
    await cos.upload_part_copy(
        bucket, "dst", up.upload_id, 2, source_bucket=other, source_key="src", if_match=put.etag
    )
    with pytest.raises(CosServiceError) as info:
        await cos.upload_part_copy(
            bucket,
            "dst",
            up.upload_id,
            3,
            source_bucket=other,
            source_key="src",
            source_range=(0, 100),
        )
    assert info.value.status == 400
    assert info.value.code == "InvalidArgument"


async def test_upload_part_copy_late_error(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    await cos.put_object(bucket, "src", b"x")
    up = await cos.create_multipart_upload(bucket, "dst")
    server.faults.add(
        action="error_after_200", operation="UploadPartCopy", code="InternalError", times=None
    )
    with pytest.raises(RetryExhausted) as info:
        await cos.upload_part_copy(
            bucket, "dst", up.upload_id, 1, source_bucket=bucket, source_key="src"
        )
    assert isinstance(info.value.last_error, CosServiceError)
    assert info.value.last_error.status == 200
    assert info.value.last_error.code == "InternalError"


async def test_complete_late_error_is_retried(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    parts = [blob(MIB, seed=12), blob(1000, seed=13)]
    up = await cos.create_multipart_upload(bucket, "k")
    results = [
        await cos.upload_part(bucket, "k", up.upload_id, n, data)
        for n, data in enumerate(parts, start=1)
    ]
    server.faults.add(
        action="error_after_200", operation="CompleteMultipartUpload", code="InternalError", times=1
    )
    result = await cos.complete_multipart_upload(bucket, "k", up.upload_id, results)
    assert server.requests.count("CompleteMultipartUpload") == 2
    assert result.crc64 == crc64(b"".join(parts))
    assert result.etag == multipart_etag(parts)
    assert await read(cos, bucket, "k") == b"".join(parts)


async def test_complete_late_error_not_retryable(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    up = await cos.create_multipart_upload(bucket, "k")
    r = await cos.upload_part(bucket, "k", up.upload_id, 1, b"x")
    server.faults.add(
        action="error_after_200",
        operation="CompleteMultipartUpload",
        code="InvalidPart",
        message="late failure",
    )
    with pytest.raises(InvalidPart) as info:
        await cos.complete_multipart_upload(bucket, "k", up.upload_id, [r])
    assert info.value.status == 200
    assert info.value.message == "late failure"
    assert server.requests.count("CompleteMultipartUpload") == 1
    # nothing was assembled; the upload can still be completed
    await cos.complete_multipart_upload(bucket, "k", up.upload_id, [r])
    assert await read(cos, bucket, "k") == b"x"


async def test_list_multipart_uploads_paging(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    keys = ["a/1", "a/2", "b", "c d+e", "数据"]
    ids = {}
    for key in reversed(keys):
        up = await cos.create_multipart_upload(bucket, key, storage_class="STANDARD_IA")
        ids[key] = up.upload_id
    # a second upload of the same key
    extra = await cos.create_multipart_upload(bucket, "b")
    before = server.requests.count("ListMultipartUploads")
    uploads = [u async for u in cos.list_multipart_uploads(bucket, page_size=2)]
    assert server.requests.count("ListMultipartUploads") - before == 3
    assert sorted((u.key, u.upload_id) for u in uploads) == sorted(
        [*ids.items(), ("b", extra.upload_id)]
    )
    assert [u.key for u in uploads] == sorted(u.key for u in uploads)
    assert all(u.initiated is not None and u.initiated.tzinfo for u in uploads)
    assert {u.storage_class for u in uploads if u.upload_id != extra.upload_id} == {"STANDARD_IA"}

    under_a = [u.key async for u in cos.list_multipart_uploads(bucket, prefix="a/")]
    assert under_a == ["a/1", "a/2"]
    page = await cos.list_multipart_uploads_page(bucket, delimiter="/")
    assert page.common_prefixes == ("a/",)
    assert sorted(u.key for u in page.uploads) == ["b", "b", "c d+e", "数据"]


async def test_list_multipart_uploads_exactly_one_page(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    for i in range(4):
        await cos.create_multipart_upload(bucket, f"k{i}")
    before = server.requests.count("ListMultipartUploads")
    uploads = [u.key async for u in cos.list_multipart_uploads(bucket, page_size=2)]
    assert uploads == ["k0", "k1", "k2", "k3"]
    assert server.requests.count("ListMultipartUploads") - before == 2


async def test_multipart_missing_bucket(cos: AsyncCosClient) -> None:
    with pytest.raises(FileNotFoundError):
        await cos.create_multipart_upload("missing-1250000000", "k")


async def test_multipart_with_sse_customer_key(cos: AsyncCosClient, bucket: str) -> None:
    key = bytes(range(32))
    up = await cos.create_multipart_upload(bucket, "enc", sse_customer_key=key)
    with pytest.raises(CosServiceError) as info:
        await cos.upload_part(bucket, "enc", up.upload_id, 1, b"part")
    assert info.value.status == 400
    r1 = await cos.upload_part(bucket, "enc", up.upload_id, 1, b"part", sse_customer_key=key)
    await cos.complete_multipart_upload(bucket, "enc", up.upload_id, [r1])
    body = await cos.get_object(bucket, "enc", sse_customer_key=key)
    assert await body.read() == b"part"
    with pytest.raises(CosServiceError):
        await cos.get_object(bucket, "enc")


async def test_multipart_with_sse_cos(cos: AsyncCosClient, bucket: str) -> None:
    up = await cos.create_multipart_upload(bucket, "enc", sse="AES256")
    assert up.headers["x-cos-server-side-encryption"] == "AES256"
    r1 = await cos.upload_part(bucket, "enc", up.upload_id, 1, b"part")
    assert r1.headers["x-cos-server-side-encryption"] == "AES256"
    await cos.complete_multipart_upload(bucket, "enc", up.upload_id, [r1])
    assert (await cos.head_object(bucket, "enc")).server_side_encryption == "AES256"


# --- listings: Owner and Initiator; keys decoded whenever asked URL-encoded --------------------


async def test_upload_listing_reads_owner_and_initiator(
    cos: AsyncCosClient, server: LocalCosServer, bucket: str
) -> None:
    up = await cos.create_multipart_upload(bucket, "a b/ü")
    (listed,) = [u async for u in cos.list_multipart_uploads(bucket)]
    assert listed.upload_id == up.upload_id
    assert listed.key == "a b/ü"
    assert listed.owner_id
    assert listed.owner_id.startswith("qcs::cam::uin/")
    assert listed.initiator_id
    assert listed.initiator_id.startswith("qcs::cam::uin/")


async def test_keys_are_decoded_even_when_the_answer_does_not_echo_the_encoding(
    cos: AsyncCosClient, bucket: str
) -> None:
    """COS asked for url encoding may answer without <EncodingType> (other SDKs read
    Encoding-Type): the keys are encoded all the same, and decoded here."""
    from tests.seams import RecordingTransport, engine

    await cos.create_multipart_upload(bucket, "dir/ü x.bin")
    await cos.put_object(bucket, "dir/ü y.bin", b"x")

    class DropEncodingType(RecordingTransport):
        async def send(self, request):  # type: ignore[no-untyped-def]
            resp = await super().send(request)
            if request.method != "GET":
                return resp
            data = await resp.read()
            resp.release()
            return _Canned(resp, data.replace(b"<EncodingType>url</EncodingType>", b""))

    engine(cos).transport = DropEncodingType(engine(cos).transport)
    uploads = [u.key async for u in cos.list_multipart_uploads(bucket)]
    objects = [o.key async for o in cos.list_objects(bucket)]
    assert uploads == ["dir/ü x.bin"]
    assert objects == ["dir/ü y.bin"]


class _Canned:
    """A response whose body was replaced (for the test above)."""

    def __init__(self, resp: object, data: bytes) -> None:
        self.status = resp.status  # type: ignore[attr-defined]
        self.headers = resp.headers  # type: ignore[attr-defined]
        self.request_id = resp.request_id  # type: ignore[attr-defined]
        self.what = resp.what  # type: ignore[attr-defined]
        self._data = data

    async def read(self, limit: int = 1 << 26) -> bytes:
        return self._data

    def release(self) -> None:
        pass

    def close(self) -> None:
        pass

    def release_or_close(self) -> None:
        pass
