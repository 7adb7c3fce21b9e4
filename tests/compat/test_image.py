"""Image processing against the official SDK (issue 21): its ``ci_*`` calls work against the
local server and read what our client reads; our signatures of processing rules (in a request
and in a presigned URL) are the official signer's, to the byte."""

from __future__ import annotations

import base64
import io
import json
import types
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
import qcloud_cos.cos_auth
from PIL import Image, features
from qcloud_cos import CosConfig as OfficialConfig
from qcloud_cos import CosS3Client

from cos_async import (
    AsyncCosClient,
    CosConfig,
    ImageMogr2,
    PicOperations,
    PicRule,
    QRCodeRecognition,
    Thumbnail,
)
from cos_async._image_rules import processing_query
from cos_async.testing import ThreadedLocalCosServer

FROZEN_NOW = 1_700_000_000


def picture(width: int, height: int, fmt: str = "JPEG") -> bytes:
    img = Image.new("RGB", (width, height))
    img.putdata([(x % 256, y % 256, (x * y) % 256) for y in range(height) for x in range(width)])
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def ours(server: ThreadedLocalCosServer) -> CosConfig:
    return CosConfig(
        region=server.region,
        secret_id=server.secret_id,
        secret_key=server.secret_key,
        endpoint_url=server.endpoint,
    )


async def test_ci_put_object_parses_what_we_parse(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, cos_bucket: str
) -> None:
    data = picture(240, 160)
    ops = PicOperations(
        [
            PicRule("a/thumb.png", ImageMogr2(thumbnail=Thumbnail(width=120), format="png")),
            PicRule("a/webp.webp", ImageMogr2(format="webp", quality=70)),
        ],
        is_pic_info=True,
    )
    response, official = cos_client.ci_put_object(
        Bucket=cos_bucket, Body=data, Key="a/in.jpg", PicOperations=ops.to_json()
    )
    assert response["ETag"]
    async with AsyncCosClient(ours(cos_server)) as cos:
        put = await cos.put_object(cos_bucket, "a/in.jpg", data, pic_operations=ops)
    result = put.processing
    assert result is not None
    assert result.original is not None
    assert result.original.image_info is not None
    info = official["OriginalInfo"]["ImageInfo"]
    assert official["OriginalInfo"]["Key"] == result.original.key == "a/in.jpg"
    assert official["OriginalInfo"]["ETag"] == result.original.etag
    assert (info["Format"], int(info["Width"]), int(info["Height"]), int(info["Quality"])) == (
        result.original.image_info.format,
        result.original.image_info.width,
        result.original.image_info.height,
        result.original.image_info.quality,
    )
    assert info["Ave"] == result.original.image_info.ave
    objects = official["ProcessResults"]["Object"]
    assert len(objects) == len(result.objects) == 2
    for theirs, mine in zip(objects, result.objects, strict=True):
        assert (theirs["Key"], theirs["Location"], theirs["Format"], theirs["ETag"]) == (
            mine.key,
            mine.location,
            mine.format,
            mine.etag,
        )
        assert (int(theirs["Width"]), int(theirs["Height"]), int(theirs["Size"])) == (
            mine.width,
            mine.height,
            mine.size,
        )
    assert (result.objects[0].width, result.objects[0].height) == (120, 80)


async def test_official_ci_calls_against_the_local_server(
    cos_server: ThreadedLocalCosServer, cos_client: CosS3Client, cos_bucket: str, tmp_path: Path
) -> None:
    cos_client.put_object(Bucket=cos_bucket, Body=picture(200, 100, "PNG"), Key="src.png")
    _, processed = cos_client.ci_image_process(
        Bucket=cos_bucket,
        Key="src.png",
        PicOperations='{"is_pic_info":1,"rules":[{"fileid":"format.png","rule":"imageView2/format/png"}]}',
    )
    assert processed["ProcessResults"]["Object"]["Key"] == "format.png"
    assert processed["OriginalInfo"]["ImageInfo"]["Width"] == "200"

    _, info = cos_client.ci_get_image_info(Bucket=cos_bucket, Key="src.png")
    async with AsyncCosClient(ours(cos_server)) as cos:
        mine = await cos.get_image_info(cos_bucket, "src.png")
        ave = await cos.get_image_average_color(cos_bucket, "src.png")
    doc = json.loads(info)
    assert (doc["format"], int(doc["width"]), int(doc["height"]), doc["md5"]) == (
        mine.format,
        mine.width,
        mine.height,
        mine.md5,
    )
    _, theirs_ave = cos_client.ci_get_image_ave_info(Bucket=cos_bucket, Key="src.png")
    assert json.loads(theirs_ave)["RGB"] == ave.rgb
    _, exif = cos_client.ci_get_image_exif_info(Bucket=cos_bucket, Key="src.png")
    assert json.loads(exif) == {"error": "no exif data"}

    fmt = "avif" if features.check("avif") else "webp"
    dest = tmp_path / f"out.{fmt}"
    cos_client.ci_download_compress_image(
        Bucket=cos_bucket, Key="src.png", DestImagePath=str(dest), CompressType=fmt
    )
    with Image.open(dest) as img:
        assert (img.format, img.size) == (fmt.upper(), (200, 100))

    generated = cos_client.ci_qrcode_generate(
        Bucket=cos_bucket, QrcodeContent="https://example.com/qr", Width=200
    )
    code = base64.b64decode(generated["ResultImage"])
    canvas = Image.new("RGB", (300, 300), "white")
    canvas.paste(Image.open(io.BytesIO(code)).convert("RGB"), (50, 50))
    buf = io.BytesIO()
    canvas.save(buf, "PNG")
    cos_client.put_object(Bucket=cos_bucket, Body=buf.getvalue(), Key="qr.png")
    _, found = cos_client.ci_get_object_qrcode(Bucket=cos_bucket, Key="qr.png", Cover=0)
    assert found["CodeStatus"] == "1"
    assert found["QRcodeInfo"]["CodeUrl"] == "https://example.com/qr"
    qr_ops = PicOperations([PicRule("qr-out.png", QRCodeRecognition())]).to_json()
    path = tmp_path / "qr.png"
    path.write_bytes(buf.getvalue())
    _, uploaded = cos_client.ci_put_object_from_local_file_and_get_qrcode(
        Bucket=cos_bucket, LocalFilePath=str(path), Key="qr2.png", PicOperations=qr_ops
    )
    assert uploaded["ProcessResults"]["Object"]["QRcodeInfo"]["CodeUrl"] == "https://example.com/qr"


RULES = [
    ImageMogr2(thumbnail=Thumbnail(percent=50)),
    ImageMogr2(format="avif", quality=80, quality_mode="force"),
    "imageMogr2/thumbnail/!50p|imageView2/format/png",
    "watermark/3/type/3/text/Y29zMjAyNA==",
]


def _official(monkeypatch: pytest.MonkeyPatch) -> CosS3Client:
    monkeypatch.setattr(
        qcloud_cos.cos_auth, "time", types.SimpleNamespace(time=lambda: float(FROZEN_NOW))
    )
    return CosS3Client(
        OfficialConfig(Region="ap-guangzhou", SecretId="AKIDtest", SecretKey="secret-key")
    )


@pytest.mark.parametrize("rule", RULES, ids=str)
async def test_rules_are_signed_as_the_official_signer_signs_them(
    rule: ImageMogr2 | str, monkeypatch: pytest.MonkeyPatch
) -> None:
    official = _official(monkeypatch)
    bucket, key = "examplebucket-1250000000", "photos/夏天 1.jpg"
    config = CosConfig(region="ap-guangzhou", secret_id="AKIDtest", secret_key="secret-key")
    async with AsyncCosClient(config) as cos:
        auth = await cos.get_auth(
            "GET", bucket, key, params=processing_query(rule), now=FROZEN_NOW, expires=300
        )
        url = await cos.presign_url("GET", bucket, key, process=rule, now=FROZEN_NOW, expires=300)
    text = str(rule)
    theirs = official.get_auth(Method="GET", Bucket=bucket, Key=key, Expired=300, Params={text: ""})
    assert str(auth) == theirs
    their_url = official.get_presigned_url(
        Bucket=bucket, Key=key, Method="GET", Expired=300, Params={text: ""}
    )
    mine = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    them = dict(parse_qsl(urlsplit(their_url).query, keep_blank_values=True))
    for field in ("q-sign-time", "q-header-list", "q-url-param-list", "q-signature"):
        assert mine[field] == them[field], field
    assert text in mine  # the rule itself travels in the URL
    assert urlsplit(url).path == urlsplit(their_url).path
