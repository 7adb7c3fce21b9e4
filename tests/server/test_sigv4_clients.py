"""S3 clients against the local server, with the server's own key pair: boto3 (SigV4 headers,
presigned URLs, s3transfer, the HTTPS trailer checksums botocore sends by default), aioboto3,
s3fs and obstore. Put, get, head, delete, list (v1 and v2), multipart, copy; a wrong region is
answered as S3 answers it (botocore re-signs for the region the error names)."""

from __future__ import annotations

import io
import shutil
import ssl
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from cos_async.testing import LocalCosServer, Operation, ThreadedLocalCosServer

boto3 = pytest.importorskip("boto3")
botocore_config = pytest.importorskip("botocore.config")
ClientError = pytest.importorskip("botocore.exceptions").ClientError

MiB = 1024 * 1024


def s3_client(server: LocalCosServer | ThreadedLocalCosServer, **kwargs: Any) -> Any:
    """A boto3 S3 client for ``server`` (path-style, the server's region and keys)."""
    options: dict[str, Any] = {
        "endpoint_url": server.endpoint,
        "region_name": server.region,
        "aws_access_key_id": server.secret_id,
        "aws_secret_access_key": server.secret_key,
        "config": botocore_config.Config(
            s3={"addressing_style": "path"}, retries={"max_attempts": 1}
        ),
    }
    options.update(kwargs)
    return boto3.client("s3", **options)


class Clock:
    """The module server's clock: the time plus an offset a test may set (and must reset)."""

    offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


CLOCK = Clock()


@pytest.fixture(scope="module")
def threaded() -> Iterator[ThreadedLocalCosServer]:
    with LocalCosServer.run_in_thread(clock=CLOCK) as srv:
        yield srv


@pytest.fixture
def s3(threaded: ThreadedLocalCosServer) -> Iterator[Any]:
    client = s3_client(threaded)
    yield client
    client.close()


@pytest.fixture
def sbucket(threaded: ThreadedLocalCosServer) -> Iterator[str]:
    name = threaded.create_bucket()
    yield name
    threaded.delete_bucket(name)


def _code(exc: pytest.ExceptionInfo[Any]) -> str:
    return str(exc.value.response["Error"]["Code"])


# --- boto3 ----------------------------------------------------------------------------------


def test_boto3_objects(s3: Any, sbucket: str) -> None:
    put = s3.put_object(
        Bucket=sbucket,
        Key="a/b c+d.txt",
        Body=b"hello",
        ContentType="text/plain",
        Metadata={"colour": "blue"},
        Tagging="k=v",
    )
    assert put["ETag"] == '"5d41402abc4b2a76b9719d911017c592"'
    got = s3.get_object(Bucket=sbucket, Key="a/b c+d.txt", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"hello"
    assert (got["ContentType"], got["Metadata"]) == ("text/plain", {"colour": "blue"})
    assert got["ChecksumCRC32"] == put["ChecksumCRC32"]  # botocore checked the body against it
    assert got["TagCount"] == 1
    ranged = s3.get_object(Bucket=sbucket, Key="a/b c+d.txt", Range="bytes=1-3")
    assert (ranged["Body"].read(), ranged["ContentRange"]) == (b"ell", "bytes 1-3/5")
    head = s3.head_object(Bucket=sbucket, Key="a/b c+d.txt")
    assert (head["ContentLength"], head["Metadata"]) == (5, {"colour": "blue"})
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=sbucket, Key="a/b c+d.txt", IfNoneMatch=put["ETag"])
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    s3.delete_object(Bucket=sbucket, Key="a/b c+d.txt")
    with pytest.raises(ClientError) as info:
        s3.get_object(Bucket=sbucket, Key="a/b c+d.txt")
    assert _code(info) == "NoSuchKey"
    with pytest.raises(ClientError) as info:
        s3.head_object(Bucket=sbucket, Key="a/b c+d.txt")
    assert _code(info) == "404"


def test_boto3_listings(s3: Any, sbucket: str) -> None:
    keys = [f"d{i % 3}/k{i:03d}" for i in range(25)] + ["top"]
    for key in keys:
        s3.put_object(Bucket=sbucket, Key=key, Body=b"x")
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=sbucket, PaginationConfig={"PageSize": 7}
    )
    listed = [o["Key"] for page in pages for o in page.get("Contents", [])]
    assert listed == sorted(keys)
    v2 = s3.list_objects_v2(Bucket=sbucket, Delimiter="/", StartAfter="d0/k024")
    assert [p["Prefix"] for p in v2["CommonPrefixes"]] == ["d1/", "d2/"]
    assert [o["Key"] for o in v2["Contents"]] == ["top"]
    assert v2["KeyCount"] == 3
    v1 = s3.get_paginator("list_objects").paginate(
        Bucket=sbucket, Prefix="d1/", PaginationConfig={"PageSize": 3}
    )
    assert [o["Key"] for p in v1 for o in p["Contents"]] == sorted(
        k for k in keys if k.startswith("d1/")
    )
    deleted = s3.delete_objects(Bucket=sbucket, Delete={"Objects": [{"Key": k} for k in keys]})
    assert len(deleted["Deleted"]) == len(keys)
    assert s3.list_objects_v2(Bucket=sbucket)["KeyCount"] == 0


def test_boto3_multipart_and_copies(s3: Any, sbucket: str) -> None:
    mpu = s3.create_multipart_upload(Bucket=sbucket, Key="mp", Metadata={"m": "1"})
    parts = []
    for n, data in enumerate((b"a" * MiB, b"b" * MiB, b"c" * 100), start=1):
        r = s3.upload_part(
            Bucket=sbucket, Key="mp", UploadId=mpu["UploadId"], PartNumber=n, Body=data
        )
        parts.append({"PartNumber": n, "ETag": r["ETag"]})
    listed = s3.list_parts(Bucket=sbucket, Key="mp", UploadId=mpu["UploadId"])
    assert [p["Size"] for p in listed["Parts"]] == [MiB, MiB, 100]
    uploads = s3.list_multipart_uploads(Bucket=sbucket)["Uploads"]
    assert [u["Key"] for u in uploads] == ["mp"]
    done = s3.complete_multipart_upload(
        Bucket=sbucket, Key="mp", UploadId=mpu["UploadId"], MultipartUpload={"Parts": parts}
    )
    assert done["ETag"].endswith('-3"')
    head = s3.head_object(Bucket=sbucket, Key="mp")
    assert (head["ContentLength"], head["Metadata"]) == (2 * MiB + 100, {"m": "1"})
    # copy with new metadata, a part copied from a range, conditional copies
    s3.copy_object(
        Bucket=sbucket,
        Key="copy",
        CopySource={"Bucket": sbucket, "Key": "mp"},
        MetadataDirective="REPLACE",
        Metadata={"new": "yes"},
        ContentType="application/x-test",
    )
    copied = s3.head_object(Bucket=sbucket, Key="copy")
    assert (copied["Metadata"], copied["ContentType"]) == ({"new": "yes"}, "application/x-test")
    kept = s3.copy_object(Bucket=sbucket, Key="copy2", CopySource=f"{sbucket}/mp")
    assert kept["CopyObjectResult"]["ETag"] == done["ETag"]
    assert s3.head_object(Bucket=sbucket, Key="copy2")["Metadata"] == {"m": "1"}
    with pytest.raises(ClientError) as info:
        s3.copy_object(
            Bucket=sbucket, Key="copy3", CopySource=f"{sbucket}/mp", CopySourceIfMatch='"nope"'
        )
    assert _code(info) == "PreconditionFailed"
    mpu2 = s3.create_multipart_upload(Bucket=sbucket, Key="ranged")
    part = s3.upload_part_copy(
        Bucket=sbucket,
        Key="ranged",
        UploadId=mpu2["UploadId"],
        PartNumber=1,
        CopySource={"Bucket": sbucket, "Key": "mp"},
        CopySourceRange=f"bytes={MiB - 2}-{MiB + 1}",
    )
    s3.complete_multipart_upload(
        Bucket=sbucket,
        Key="ranged",
        UploadId=mpu2["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["CopyPartResult"]["ETag"]}]},
    )
    assert s3.get_object(Bucket=sbucket, Key="ranged")["Body"].read() == b"aabb"
    mpu3 = s3.create_multipart_upload(Bucket=sbucket, Key="aborted")
    s3.abort_multipart_upload(Bucket=sbucket, Key="aborted", UploadId=mpu3["UploadId"])
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=sbucket)


def test_boto3_transfers(s3: Any, sbucket: str, tmp_path: Path) -> None:
    src = tmp_path / "src.bin"
    src.write_bytes(bytes(range(256)) * (40 * 1024 + 3))  # 10 MiB and a bit: multipart
    config = boto3.s3.transfer.TransferConfig(
        multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB
    )
    s3.upload_file(str(src), sbucket, "big", Config=config)
    assert s3.head_object(Bucket=sbucket, Key="big")["ETag"].endswith('-3"')
    dest = tmp_path / "dest.bin"
    s3.download_file(sbucket, "big", str(dest), Config=config)
    assert dest.read_bytes() == src.read_bytes()


def test_boto3_presigned_urls(s3: Any, sbucket: str, threaded: ThreadedLocalCosServer) -> None:
    import urllib.request

    put_url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": sbucket, "Key": "p"}, ExpiresIn=60
    )
    req = urllib.request.Request(put_url, data=b"presigned body", method="PUT")
    with urllib.request.urlopen(req) as resp:
        assert resp.status == 200
    get_url = s3.generate_presigned_url("get_object", Params={"Bucket": sbucket, "Key": "p"})
    with urllib.request.urlopen(get_url) as resp:
        assert resp.read() == b"presigned body"
    old = s3.generate_presigned_url(
        "get_object", Params={"Bucket": sbucket, "Key": "p"}, ExpiresIn=1
    )
    CLOCK.offset = 2
    try:
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(old)
    finally:
        CLOCK.offset = 0
    with info.value as refused:
        assert refused.code == 403
        assert b"<Code>AccessDenied</Code><Message>Request has expired</Message>" in refused.read()


def test_boto3_acl_and_anonymous_reads(
    s3: Any, sbucket: str, threaded: ThreadedLocalCosServer
) -> None:
    import urllib.request

    s3.put_object(Bucket=sbucket, Key="public", Body=b"for all", ACL="public-read")
    s3.put_object(Bucket=sbucket, Key="private", Body=b"secret")
    base = f"{threaded.endpoint}/{sbucket}"
    with urllib.request.urlopen(f"{base}/public") as resp:
        assert resp.read() == b"for all"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{base}/private")
    with info.value as refused:
        assert refused.code == 403
    acl = s3.get_object_acl(Bucket=sbucket, Key="public")
    assert any(g["Permission"] == "READ" for g in acl["Grants"])


def test_boto3_refusals(threaded: ThreadedLocalCosServer, sbucket: str) -> None:
    wrong_secret = s3_client(threaded, aws_secret_access_key="not-the-key")
    with pytest.raises(ClientError) as info:
        wrong_secret.put_object(Bucket=sbucket, Key="k", Body=b"x")
    assert _code(info) == "SignatureDoesNotMatch"
    unknown = s3_client(threaded, aws_access_key_id="AKIDnobody")
    with pytest.raises(ClientError) as info:
        unknown.list_objects_v2(Bucket=sbucket)
    assert _code(info) == "InvalidAccessKeyId"


def test_boto3_wrong_region_is_redirected_as_by_s3(
    threaded: ThreadedLocalCosServer, sbucket: str
) -> None:
    client = s3_client(threaded, region_name="eu-west-1")
    before = threaded.requests.count(Operation.PutObject)
    client.put_object(Bucket=sbucket, Key="k", Body=b"x")
    records = threaded.requests.records()[
        -(threaded.requests.count(Operation.PutObject) - before) :
    ]
    # the first attempt was refused with the bucket's region; botocore re-signed for it
    assert [r.status for r in records if r.operation == Operation.PutObject] == [400, 200]


# --- HTTPS: botocore's default aws-chunked uploads with trailing checksums ------------------------


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ThreadedLocalCosServer, str]]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make the test certificate")
    d = tmp_path_factory.mktemp("s3tls")
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
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    with LocalCosServer.run_in_thread(ssl_context=ctx) as srv:
        yield srv, str(cert)


def test_boto3_https_sends_trailing_checksums(tls: tuple[ThreadedLocalCosServer, str]) -> None:
    server, cert = tls
    bucket = server.create_bucket()
    client = s3_client(server, verify=cert)
    sent: list[dict[str, str]] = []
    client.meta.events.register(
        "before-send.s3.PutObject", lambda request, **_: sent.append(dict(request.headers))
    )
    put = client.put_object(Bucket=bucket, Key="k", Body=io.BytesIO(b"over TLS" * 1000))
    # what botocore sends over HTTPS (the decoding is what is tested here)
    headers = {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in sent[0].items()}
    assert headers["x-amz-content-sha256"] == "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
    assert headers["x-amz-trailer"] == "x-amz-checksum-crc32"
    got = client.get_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert got["Body"].read() == b"over TLS" * 1000
    assert got["ChecksumCRC32"] == put["ChecksumCRC32"]
    config = boto3.s3.transfer.TransferConfig(
        multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB
    )
    client.upload_fileobj(io.BytesIO(b"t" * (11 * MiB)), bucket, "big", Config=config)
    assert client.head_object(Bucket=bucket, Key="big")["ContentLength"] == 11 * MiB
    client.close()


# --- aioboto3, s3fs, obstore ----------------------------------------------------------------


@pytest.fixture
async def aserver() -> AsyncIterator[LocalCosServer]:
    async with LocalCosServer() as srv:
        yield srv


# s3transfer hands aiohttp whole parts as bytes, which aiohttp warns about
@pytest.mark.filterwarnings("ignore:Sending a large body directly:ResourceWarning")
async def test_aioboto3(aserver: LocalCosServer, tmp_path: Path) -> None:
    aioboto3 = pytest.importorskip("aioboto3")
    bucket = aserver.create_bucket()
    session = aioboto3.Session()
    async with session.client(
        "s3",
        endpoint_url=aserver.endpoint,
        region_name=aserver.region,
        aws_access_key_id=aserver.secret_id,
        aws_secret_access_key=aserver.secret_key,
    ) as s3:
        await s3.put_object(Bucket=bucket, Key="a", Body=b"async body", Metadata={"x": "1"})
        got = await s3.get_object(Bucket=bucket, Key="a")
        async with got["Body"] as body:
            assert await body.read() == b"async body"
        assert (await s3.head_object(Bucket=bucket, Key="a"))["Metadata"] == {"x": "1"}
        src = tmp_path / "src.bin"
        src.write_bytes(b"m" * (11 * MiB))
        config = boto3.s3.transfer.TransferConfig(
            multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB
        )
        await s3.upload_file(str(src), bucket, "big", Config=config)
        dest = tmp_path / "dest.bin"
        await s3.download_file(bucket, "big", str(dest), Config=config)
        assert dest.read_bytes() == src.read_bytes()
        await s3.copy_object(Bucket=bucket, Key="a2", CopySource={"Bucket": bucket, "Key": "a"})
        listed = await s3.list_objects_v2(Bucket=bucket)
        assert [o["Key"] for o in listed["Contents"]] == ["a", "a2", "big"]
        url = await s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a2"})
        async with aiohttp.ClientSession() as session_http, session_http.get(url) as resp:
            assert await resp.read() == b"async body"
        await s3.delete_objects(
            Bucket=bucket, Delete={"Objects": [{"Key": k} for k in ("a", "a2", "big")]}
        )
        assert (await s3.list_objects_v2(Bucket=bucket))["KeyCount"] == 0


def test_s3fs(threaded: ThreadedLocalCosServer, sbucket: str) -> None:
    s3fs = pytest.importorskip("s3fs")
    fs = s3fs.S3FileSystem(
        key=threaded.secret_id,
        secret=threaded.secret_key,
        client_kwargs={"endpoint_url": threaded.endpoint, "region_name": threaded.region},
        skip_instance_cache=True,
    )
    fs.pipe(f"{sbucket}/dir/x.txt", b"fsdata")
    assert fs.cat(f"{sbucket}/dir/x.txt") == b"fsdata"
    assert fs.ls(f"{sbucket}/dir", detail=False) == [f"{sbucket}/dir/x.txt"]
    assert fs.info(f"{sbucket}/dir/x.txt")["size"] == 6
    with fs.open(f"{sbucket}/dir/big", "wb", block_size=5 * MiB) as f:
        f.write(b"w" * (11 * MiB))
    with fs.open(f"{sbucket}/dir/big", "rb") as f:
        f.seek(5 * MiB)
        assert f.read(3) == b"www"
    assert fs.du(f"{sbucket}/dir") == 11 * MiB + 6
    fs.copy(f"{sbucket}/dir/x.txt", f"{sbucket}/y.txt")
    assert sorted(fs.find(sbucket)) == [f"{sbucket}/{k}" for k in ("dir/big", "dir/x.txt", "y.txt")]
    fs.rm(f"{sbucket}/dir", recursive=True)
    assert fs.ls(sbucket, detail=False, refresh=True) == [f"{sbucket}/y.txt"]


def test_obstore(threaded: ThreadedLocalCosServer, sbucket: str) -> None:
    obstore = pytest.importorskip("obstore")
    from obstore.store import S3Store

    store = S3Store(
        sbucket,
        endpoint=threaded.endpoint,
        region=threaded.region,
        access_key_id=threaded.secret_id,
        secret_access_key=threaded.secret_key,
        client_options={"allow_http": True},
    )
    obstore.put(store, "o/1", b"obstore!")
    assert bytes(obstore.get(store, "o/1").bytes()) == b"obstore!"
    assert bytes(obstore.get_range(store, "o/1", start=2, end=5)) == b"sto"
    obstore.put(store, "o/big", b"m" * (11 * MiB), chunk_size=5 * MiB)
    assert obstore.head(store, "o/big")["size"] == 11 * MiB
    obstore.copy(store, "o/1", "o/2")
    listed = sorted(m["path"] for batch in obstore.list(store, prefix="o") for m in batch)
    assert listed == ["o/1", "o/2", "o/big"]
    obstore.delete(store, ["o/1", "o/2", "o/big"])
    assert [m for batch in obstore.list(store) for m in batch] == []
