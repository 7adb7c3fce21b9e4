"""Image processing against the local server (issue 21): processing on upload, of stored images
and on download, image queries, QR codes, blind watermarks, and the errors of what is outside
the emulated subset. Every processed output is opened with Pillow and checked for the size and
format asked for."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import pytest
from PIL import Image, features

from cos_async import (
    AsyncCosClient,
    BlindWatermark,
    CosServiceError,
    Crop,
    Cut,
    ExtractBlindWatermark,
    ImageMogr2,
    ImageView2,
    InvalidArgument,
    PicOperations,
    PicRule,
    QRCodeRecognition,
    RawRule,
    Thumbnail,
)
from cos_async.testing import LocalCosServer
from cos_sync import CosClient

pytestmark = pytest.mark.filterwarnings("error")


def picture(width: int = 300, height: int = 200, fmt: str = "JPEG", **save: object) -> bytes:
    """A gradient (so that JPEG quality and watermarks have something to work on)."""
    img = Image.new("RGB", (width, height))
    img.putdata(
        [
            ((x * 255) // width, (y * 255) // height, (x + y) % 256)
            for y in range(height)
            for x in range(width)
        ]
    )
    buf = io.BytesIO()
    img.save(buf, fmt, **save)
    return buf.getvalue()


def opened(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


async def test_processing_on_upload_returns_and_stores_the_results(
    cos: AsyncCosClient, bucket: str
) -> None:
    data = picture(300, 200, quality=80)
    ops = PicOperations(
        [
            PicRule("thumbs/small.png", ImageMogr2(thumbnail=Thumbnail(width=100), format="png")),
            PicRule(
                "/top.webp", ImageMogr2(cut=Cut(width=50, height=40, x=10, y=5), format="webp")
            ),
        ],
        is_pic_info=True,
    )
    put = await cos.put_object(bucket, "photos/a.jpg", data, pic_operations=ops)
    assert put.processing is not None
    original = put.processing.original
    assert original is not None
    assert original.key == "photos/a.jpg"
    assert original.etag == put.etag
    assert original.image_info is not None
    info = original.image_info
    assert (info.format, info.width, info.height) == ("JPEG", 300, 200)
    assert info.quality is not None
    assert 75 <= info.quality <= 85
    small, top = put.processing.objects
    assert (small.key, small.format, small.width, small.height) == (
        "photos/thumbs/small.png",
        "png",
        100,
        67,
    )
    assert (top.key, top.format, top.width, top.height) == ("top.webp", "webp", 50, 40)
    # the original is stored as sent, the results as reported
    assert await (await cos.get_object(bucket, "photos/a.jpg")).read() == data
    for obj, fmt in ((small, "PNG"), (top, "WEBP")):
        stored = await (await cos.get_object(bucket, obj.key)).read()
        assert len(stored) == obj.size
        img = opened(stored)
        assert (img.format, img.size) == (fmt, (obj.width, obj.height))
        assert (await cos.head_object(bucket, obj.key)).etag == obj.etag


async def test_upload_file_processes_in_one_put_and_refuses_over_20_mb(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer, tmp_path: Path
) -> None:
    path = tmp_path / "in.png"
    path.write_bytes(picture(64, 48, "PNG"))
    ops = PicOperations([PicRule("out.jpg", ImageMogr2(rotate=90, format="jpg"))])
    done = await cos.upload_file(bucket, "in.png", path, pic_operations=ops, threshold=1)
    assert done.parts == 1
    assert done.processing is not None
    (out,) = done.processing.objects
    assert (out.width, out.height) == (48, 64)  # rotated
    assert opened(await (await cos.get_object(bucket, "out.jpg")).read()).size == (48, 64)

    big = tmp_path / "big.png"
    big.write_bytes(b"")
    os.truncate(big, 20 * 1024 * 1024 + 1)
    server.requests.clear()
    with pytest.raises(InvalidArgument, match="20 MB"):
        await cos.upload_file(bucket, "big.png", big, pic_operations=ops)
    with pytest.raises(InvalidArgument, match="checkpoint"):
        await cos.upload_file(
            bucket, "in.png", path, pic_operations=ops, checkpoint=tmp_path / "ckpt"
        )
    assert server.requests.records() == []  # refused before anything was sent


async def test_processing_a_stored_image(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "dir/src.png", picture(400, 300, "PNG"))
    result = await cos.process_image(
        bucket,
        "dir/src.png",
        pic_operations=PicOperations(
            [
                PicRule(
                    "crop.jpg",
                    ImageMogr2(
                        crop=Crop(width=100, height=80, gravity="center"), format="jpg", quality=60
                    ),
                ),
                PicRule("view.png", ImageView2(mode=1, width=50, height=50)),
                PicRule(
                    "fill.png", ImageMogr2(thumbnail=Thumbnail(width=100, height=100, mode="fill"))
                ),
            ]
        ),
    )
    assert result.original is not None
    assert result.original.image_info is None  # is_pic_info not asked
    crop, view, fill = result.objects
    assert (crop.key, crop.width, crop.height, crop.quality) == ("dir/crop.jpg", 100, 80, 60)
    assert (view.width, view.height) == (50, 50)
    assert (fill.width, fill.height) == (133, 100)  # covers 100x100, proportional
    img = opened(await (await cos.get_object(bucket, "dir/crop.jpg")).read())
    assert (img.format, img.size) == ("JPEG", (100, 80))


async def test_processing_on_download(cos: AsyncCosClient, bucket: str, tmp_path: Path) -> None:
    await cos.put_object(bucket, "src.jpg", picture(320, 240))
    rule = ImageMogr2(thumbnail=Thumbnail(percent=50), format="png")
    async with await cos.get_object(bucket, "src.jpg", process=rule) as body:
        img = opened(await body.read())
    assert (img.format, img.size) == ("PNG", (160, 120))
    # advanced compression: avif where this Pillow has it
    fmt = "avif" if features.check("avif") else "webp"
    done = await cos.download_file(
        bucket, "src.jpg", tmp_path / f"out.{fmt}", process=ImageMogr2(format=fmt)
    )
    img = opened((tmp_path / f"out.{fmt}").read_bytes())
    assert (img.format, img.size) == (fmt.upper(), (320, 240))
    assert done.size == (tmp_path / f"out.{fmt}").stat().st_size
    assert done.crc64 is None
    # a rule as text, and a pipeline
    text = await (
        await cos.get_object(
            bucket, "src.jpg", process="imageMogr2/rotate/90|imageView2/format/png"
        )
    ).read()
    assert opened(text).size == (240, 320)


async def test_a_presigned_url_with_a_rule(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "p.png", picture(200, 100, "PNG"))
    rule = ImageMogr2(thumbnail=Thumbnail(width=50))
    url = await cos.presign_url("GET", bucket, "p.png", process=rule, expires=300)
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    assert "imagemogr2%2fthumbnail%2f50x" in query["q-url-param-list"].split(";")
    async with aiohttp.ClientSession() as session:
        async with session.get(url) as resp:
            assert resp.status == 200, await resp.text()
            img = opened(await resp.read())
        assert img.size == (50, 25)
        # the rule is signed: dropping it from the URL breaks the signature
        unsigned = url.replace(f"&{rule_query(url)}", "")
        async with session.get(unsigned) as resp:
            assert resp.status == 403
            assert "SignatureDoesNotMatch" in await resp.text()


def rule_query(url: str) -> str:
    return next(p for p in urlsplit(url).query.split("&") if p.startswith("imageMogr2"))


async def test_image_queries(cos: AsyncCosClient, bucket: str) -> None:
    exif = Image.Exif()
    exif[0x010F] = "cos-test-camera"  # Make
    solid = Image.new("RGB", (40, 30), (10, 20, 30))
    buf = io.BytesIO()
    solid.save(buf, "JPEG", exif=exif, quality=95)
    data = buf.getvalue()
    await cos.put_object(bucket, "e.jpg", data)
    info = await cos.get_image_info(bucket, "e.jpg")
    assert (info.format, info.width, info.height, info.size, info.frame_count) == (
        "jpeg",
        40,
        30,
        len(data),
        1,
    )
    assert info.request_id
    tags = await cos.get_image_exif(bucket, "e.jpg")
    assert tags["Make"] == "cos-test-camera"
    color = await cos.get_image_average_color(bucket, "e.jpg")
    assert all(
        abs(a - b) <= 2
        for a, b in zip((color.red, color.green, color.blue), (10, 20, 30), strict=True)
    )
    await cos.put_object(bucket, "plain.png", picture(10, 10, "PNG"))
    assert await cos.get_image_exif(bucket, "plain.png") == {}


async def test_qr_codes(cos: AsyncCosClient, bucket: str) -> None:
    generated = await cos.generate_qrcode(bucket, content="https://example.com/cos?a=1", width=240)
    code = opened(generated.image)
    assert (code.format, code.width) == ("PNG", 240)
    canvas = Image.new("RGB", (400, 300), "white")
    canvas.paste(code.convert("RGB"), (80, 30))
    buf = io.BytesIO()
    canvas.save(buf, "PNG")
    await cos.put_object(bucket, "qr.png", buf.getvalue())

    found = await cos.recognize_qrcode(bucket, "qr.png")
    assert found.found
    assert [c.url for c in found.codes] == ["https://example.com/cos?a=1"]
    xs = [x for x, _ in found.codes[0].points]
    assert 80 <= min(xs) < max(xs) <= 320
    assert found.result_image is None
    covered = await cos.recognize_qrcode(bucket, "qr.png", cover=True)
    assert covered.result_image is not None
    # pixelated: no longer readable
    await cos.put_object(bucket, "covered.png", covered.result_image)
    assert not (await cos.recognize_qrcode(bucket, "covered.png")).found

    put = await cos.put_object(
        bucket,
        "up/qr.png",
        buf.getvalue(),
        pic_operations=PicOperations([PicRule("qr-out.png", QRCodeRecognition())]),
    )
    assert put.processing is not None
    (result,) = put.processing.objects
    assert result.code_status == 1
    assert [c.url for c in result.qrcodes] == ["https://example.com/cos?a=1"]

    barcode = await cos.generate_qrcode(bucket, content="12345678", width=300, barcode=True)
    assert opened(barcode.image).width == 300
    await cos.put_object(bucket, "blank.png", picture(50, 50, "PNG"))
    assert not (await cos.recognize_qrcode(bucket, "blank.png")).found


async def test_blind_watermarks_round_trip(
    cos: AsyncCosClient, bucket: str, server: LocalCosServer
) -> None:
    # a text mark, embedded on upload and extracted from the stored result
    await cos.put_object(
        bucket,
        "wm/src.png",
        picture(256, 256, "PNG"),
        pic_operations=PicOperations(
            [PicRule("marked.png", BlindWatermark(type=3, text="Cos2024"))]
        ),
    )
    check = await cos.process_image(
        bucket,
        "wm/marked.png",
        pic_operations=PicOperations(
            [
                PicRule("x1.png", ExtractBlindWatermark(type=3, text="Cos2024")),
                PicRule("x2.png", ExtractBlindWatermark(type=3, text="Other")),
            ]
        ),
    )
    found, other = (o.watermark_status for o in check.objects)
    assert found == 100
    assert other is not None
    assert other < 75
    unmarked = await cos.process_image(
        bucket,
        "wm/src.png",
        pic_operations=PicOperations(
            [PicRule("x3.png", ExtractBlindWatermark(type=3, text="Cos2024"))]
        ),
    )
    assert unmarked.objects[0].watermark_status is not None
    assert unmarked.objects[0].watermark_status < 75

    # an image mark (type 2): a white mark on black, at most 1/8 of the sides
    mark = Image.new("L", (32, 32), 0)
    mark.paste(255, (8, 8, 24, 24))
    buf = io.BytesIO()
    mark.save(buf, "PNG")
    await cos.put_object(bucket, "wm/mark.png", buf.getvalue())
    mark_url = f"http://{bucket}.cos.{server.region}.myqcloud.com/wm/mark.png"
    await cos.process_image(
        bucket,
        "wm/src.png",
        pic_operations=PicOperations(
            [
                PicRule(
                    "marked2.jpg",
                    BlindWatermark(type=2, image_url=mark_url) | "imageMogr2/format/jpg",
                )
            ]
        ),
    )
    extracted = await cos.process_image(
        bucket,
        "wm/marked2.jpg",
        pic_operations=PicOperations(
            [PicRule("mark-out.png", ExtractBlindWatermark(type=2, image_url=mark_url))]
        ),
    )
    status = extracted.objects[0].watermark_status
    assert status is not None
    assert status >= 90
    got = opened(await (await cos.get_object(bucket, "wm/mark-out.png")).read())
    assert got.format == "PNG"

    with pytest.raises(CosServiceError, match="1/8"):
        await cos.process_image(
            bucket,
            "wm/mark.png",
            pic_operations=PicOperations(
                [PicRule("no.png", BlindWatermark(type=2, image_url=mark_url))]
            ),
        )


@pytest.mark.parametrize(
    ("rule", "status", "code"),
    [
        (RawRule("imageMogr2/blur/8x5"), 501, "NotImplemented"),
        (RawRule("imageMogr2/format/heif"), 501, "NotImplemented"),
        (RawRule("style/thumb"), 501, "NotImplemented"),
        (RawRule("imageView2/4/w/10"), 501, "NotImplemented"),
        (RawRule("imageMogr2/thumbnail/abc"), 400, "InvalidArgument"),
        (RawRule("imageMogr2/thumbnail/20000x"), 400, "InvalidArgument"),
        (RawRule("imageMogr2/cut/10x10x900x900"), 400, "InvalidArgument"),
    ],
)
async def test_outside_the_subset_is_an_error_never_a_pass_through(
    cos: AsyncCosClient, bucket: str, rule: RawRule, status: int, code: str
) -> None:
    await cos.put_object(bucket, "s.png", picture(100, 100, "PNG"))
    with pytest.raises(CosServiceError) as info:
        await (await cos.get_object(bucket, "s.png", process=rule)).read()
    assert (info.value.status, info.value.code) == (status, code)
    with pytest.raises(CosServiceError) as info:
        await cos.process_image(
            bucket, "s.png", pic_operations=PicOperations([PicRule("o.png", rule)])
        )
    assert (info.value.status, info.value.code) == (status, code)
    assert not await cos.object_exists(bucket, "o.png")


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims ``width`` x ``height`` (a decompression bomb's shape)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


async def test_hostile_inputs_are_refused_and_nothing_is_stored(
    cos: AsyncCosClient, bucket: str
) -> None:
    ops = PicOperations([PicRule("out.png", ImageMogr2(rotate=90))])
    for name, data in (
        ("text.jpg", b"not an image at all"),
        ("bomb.png", png_claiming(40000, 40000)),
    ):
        with pytest.raises(CosServiceError) as info:
            await cos.put_object(bucket, name, data, pic_operations=ops)
        assert (info.value.status, info.value.code) == (400, "InvalidArgument")
        assert not await cos.object_exists(bucket, name)
        assert not await cos.object_exists(bucket, "out.png")
    await cos.put_object(bucket, "bomb.png", png_claiming(20000, 20000))
    with pytest.raises(CosServiceError, match="36000000 pixels"):
        await cos.get_image_info(bucket, "bomb.png")
    # an output larger than COS's 9,999 pixels a side
    await cos.put_object(bucket, "small.png", picture(100, 100, "PNG"))
    with pytest.raises(CosServiceError, match="9999"):
        await (
            await cos.get_object(bucket, "small.png", process="imageMogr2/thumbnail/10000x")
        ).read()
    # a malformed Pic-Operations header
    with pytest.raises(CosServiceError) as info:
        await cos.request(
            "PUT", bucket, "x.png", body=b"x", headers={"Pic-Operations": "{not json"}
        )
    assert (info.value.status, info.value.code) == (400, "InvalidArgument")
    assert not await cos.object_exists(bucket, "x.png")


def test_the_sync_facade(cos_sync_client: CosClient, cos_bucket: str) -> None:
    cos, bucket = cos_sync_client, cos_bucket
    cos.put_object(bucket, "s.png", picture(60, 40, "PNG"))
    result = cos.process_image(
        bucket,
        "s.png",
        pic_operations=PicOperations(
            [PicRule("t.webp", ImageMogr2(format="webp"))], is_pic_info=True
        ),
    )
    assert result.objects[0].format == "webp"
    assert cos.get_image_info(bucket, "t.webp").format == "webp"
    assert cos.get_image_average_color(bucket, "s.png").rgb.startswith("0x")
    body = cos.get_object(bucket, "s.png", process=ImageMogr2(thumbnail=Thumbnail(width=30)))
    assert opened(body.read()).size == (30, 20)
    assert opened(cos.generate_qrcode(bucket, content="sync", width=100).image).width == 100


async def test_a_blind_watermark_on_download(cos: AsyncCosClient, bucket: str) -> None:
    await cos.put_object(bucket, "d.png", picture(200, 200, "PNG"))
    mark = BlindWatermark(type=3, text="dl2024", level=3)
    marked = await (await cos.get_object(bucket, "d.png", process=mark)).read()
    assert opened(marked).size == (200, 200)
    await cos.put_object(bucket, "marked.png", marked)
    check = await cos.process_image(
        bucket,
        "marked.png",
        pic_operations=PicOperations(
            [PicRule("c.png", ExtractBlindWatermark(type=3, text="dl2024") | "imageMogr2/strip")]
        ),
    )
    assert check.objects[0].watermark_status == 100  # whatever the level it was embedded with


async def test_without_the_image_packages_the_server_says_what_to_install(
    cos: AsyncCosClient, bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cos_async.testing import _imaging

    await cos.put_object(bucket, "n.png", picture(20, 20, "PNG"))
    monkeypatch.setattr(_imaging, "missing", lambda qr=False: "install cos-async[image]")
    for call in (
        cos.get_image_info(bucket, "n.png"),
        cos.recognize_qrcode(bucket, "n.png"),
        cos.generate_qrcode(bucket, content="x", width=10),
        cos.put_object(
            bucket,
            "m.png",
            picture(20, 20, "PNG"),
            pic_operations=PicOperations([PicRule("o.png", "imageMogr2/rotate/90")]),
        ),
    ):
        with pytest.raises(CosServiceError) as info:
            await call
        assert (info.value.status, info.value.code) == (501, "NotImplemented")
        assert "cos-async[image]" in info.value.message
    assert not await cos.object_exists(bucket, "m.png")
