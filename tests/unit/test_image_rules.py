"""The image processing rule builders (``cos_async._image_rules``) and the parsers of what image
processing answers (``cos_async._image_results``): pure, no sockets."""

from __future__ import annotations

import base64
import json

import pytest

from cos_async import (
    BlindWatermark,
    Crop,
    Cut,
    ExtractBlindWatermark,
    ImageMogr2,
    ImageView2,
    ImageWatermark,
    InvalidArgument,
    PicOperations,
    PicRule,
    Pipeline,
    QRCodeRecognition,
    RawRule,
    TextWatermark,
    Thumbnail,
)
from cos_async._errors import CosClientError
from cos_async._image_results import (
    parse_average_color,
    parse_exif,
    parse_image_info,
    parse_process_result,
    parse_qrcode_result,
)
from cos_async._image_rules import processing_query
from cos_async._xml import parse


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("thumbnail", "spec"),
    [
        (Thumbnail(width=200), "200x"),
        (Thumbnail(height=100), "x100"),
        (Thumbnail(width=200, height=100), "200x100"),
        (Thumbnail(width=200, height=100, mode="fill"), "!200x100r"),
        (Thumbnail(width=200, height=100, mode="exact"), "200x100!"),
        (Thumbnail(percent=50), "!50p"),
        (Thumbnail(max_pixels=10000), "10000@"),
    ],
)
def test_thumbnails_are_spelled_as_cos_documents(thumbnail: Thumbnail, spec: str) -> None:
    assert str(ImageMogr2(thumbnail=thumbnail)) == f"imageMogr2/thumbnail/{spec}"


def test_imagemogr2_writes_its_operations_in_one_order() -> None:
    rule = ImageMogr2(
        strip=True,
        quality=80,
        format="webp",
        rotate=90,
        crop=Crop(width=100, height=50, gravity="center"),
        cut=Cut(width=10, height=20, x=3, y=4),
        thumbnail=Thumbnail(width=300),
        auto_orient=True,
    )
    assert str(rule) == (
        "imageMogr2/auto-orient/thumbnail/300x/cut/10x20x3x4/crop/100x50/gravity/center/"
        "rotate/90/format/webp/quality/80/strip"
    )
    assert str(ImageMogr2(quality=70, quality_mode="force")) == "imageMogr2/quality/70!"
    assert str(ImageMogr2(quality=70, quality_mode="relative")) == "imageMogr2/rquality/70"
    assert str(ImageMogr2(quality=70, quality_mode="lowest")) == "imageMogr2/lquality/70"
    # advanced compression is a format
    assert str(ImageMogr2(format="avif")) == "imageMogr2/format/avif"


def test_other_rules() -> None:
    assert str(ImageView2(format="png")) == "imageView2/format/png"
    assert str(ImageView2(mode=1, width=100, height=80, quality=75)) == (
        "imageView2/1/w/100/h/80/q/75"
    )
    assert str(QRCodeRecognition(cover=True)) == "QRcode/cover/1"
    url = "http://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/watermark.png"
    assert str(BlindWatermark(type=1, image_url=url)) == f"watermark/3/type/1/image/{b64(url)}"
    assert str(BlindWatermark(type=3, text="cos2024", level=3)) == (
        f"watermark/3/type/3/text/{b64('cos2024')}/level/3"
    )
    assert str(ExtractBlindWatermark(type=2, image_url=url)) == (
        f"watermark/4/type/2/image/{b64(url)}"
    )
    assert str(ImageWatermark(image_url=url, gravity="southeast", dx=10, dy=10)) == (
        f"watermark/1/image/{b64(url)}/gravity/southeast/dx/10/dy/10"
    )
    assert str(TextWatermark(text="tencent cloud", fill="#3D3D3D", font_size=30)) == (
        f"watermark/2/text/{b64('tencent cloud')}/fontsize/30/fill/{b64('#3D3D3D')}"
    )
    # URL-safe base64: a URL of '?' and '>' characters would give '/' and '+' otherwise
    odd = "http://b-1.cos.r.myqcloud.com/??>>"
    assert "/" not in str(BlindWatermark(type=2, image_url=odd)).split("image/")[1]


def test_pipelines_and_raw_rules() -> None:
    rule = ImageMogr2(rotate=90) | QRCodeRecognition() | "imageMogr2/blur/8x5"
    assert isinstance(rule, Pipeline)
    assert str(rule) == "imageMogr2/rotate/90|QRcode/cover/0|imageMogr2/blur/8x5"
    assert processing_query(ImageMogr2(format="png")) == {"imageMogr2/format/png": None}
    assert processing_query("style/thumb") == {"style/thumb": None}


@pytest.mark.parametrize(
    ("build", "named"),
    [
        (lambda: Thumbnail(width=0), "width"),
        (lambda: Thumbnail(width=10000), "width"),
        (lambda: Thumbnail(percent=1001), "percent"),
        (lambda: Thumbnail(), "width and/or height"),
        (lambda: Thumbnail(width=1, percent=2), "one of them"),
        (lambda: Thumbnail(width=1, mode="fill"), "both width and height"),
        (lambda: Thumbnail(width=1, mode="squash"), "'squash'"),  # type: ignore[arg-type]
        (lambda: ImageMogr2(rotate=361), "rotate"),
        (lambda: ImageMogr2(format="tiff"), "'tiff'"),
        (lambda: ImageMogr2(quality=0), "quality"),
        (lambda: ImageMogr2(), "at least one operation"),
        (lambda: ImageMogr2(thumbnail="200x"), "Thumbnail"),  # type: ignore[arg-type]
        (lambda: Crop(), "width, a height"),
        (lambda: Crop(width=5, gravity="middle"), "'middle'"),
        (lambda: ImageView2(mode=1), "needs a width"),
        (lambda: ImageView2(width=5), "need a mode"),
        (lambda: BlindWatermark(type=3, text="not ascii ü"), "letters and digits"),
        (lambda: BlindWatermark(type=1, text="abc"), "takes image_url"),
        (lambda: BlindWatermark(type=4, text="abc"), "type"),  # type: ignore[arg-type]
        (lambda: BlindWatermark(type=1, image_url="https://x/y.png"), "http://"),
        (lambda: RawRule("imageMogr2/blur/8x5 please"), "without spaces"),
        (lambda: RawRule(""), "without spaces"),
        (lambda: PicRule("", ImageMogr2(rotate=1)), "fileid"),
        (lambda: PicRule("a.png", ImageMogr2(rotate=1), bucket="Bad_Bucket"), "Bad_Bucket"),
        (lambda: PicRule("a.png", 42), "ImageRule"),  # type: ignore[arg-type]
        (
            lambda: PicOperations([PicRule(f"{i}.png", "imageMogr2/rotate/9") for i in range(6)]),
            "5",
        ),
        (lambda: PicOperations(PicRule("a.png", "imageMogr2/rotate/9")), "sequence"),  # type: ignore[arg-type]
    ],
)
def test_bad_rules_are_refused_naming_the_value(build: object, named: str) -> None:
    with pytest.raises(InvalidArgument, match=None) as info:
        build()  # type: ignore[operator]
    assert named in str(info.value)
    assert isinstance(info.value, ValueError)


def test_pic_operations_json_round_trips() -> None:
    ops = PicOperations(
        [
            PicRule("thumb/a.webp", ImageMogr2(thumbnail=Thumbnail(width=200), format="webp")),
            PicRule("/abs/qr.png", QRCodeRecognition(), bucket="other-1250000000"),
        ],
        is_pic_info=True,
    )
    doc = json.loads(ops.to_json())
    assert doc == {
        "is_pic_info": 1,
        "rules": [
            {"fileid": "thumb/a.webp", "rule": "imageMogr2/thumbnail/200x/format/webp"},
            {"fileid": "/abs/qr.png", "rule": "QRcode/cover/0", "bucket": "other-1250000000"},
        ],
    }
    assert PicOperations.from_json(ops.to_json()).to_json() == ops.to_json()
    official = '{"is_pic_info":1,"rules":[{"fileid":"format.png","rule":"imageView2/format/png"}]}'
    assert PicOperations.from_json(official).to_json() == official
    # the header is ASCII, whatever the keys
    assert PicOperations([PicRule("夏天.png", "imageMogr2/rotate/9")]).to_json().isascii()
    for bad in ("{", "[]", '{"rules": [{"fileid": 1, "rule": "x"}]}', '{"is_pic_info": 2}'):
        with pytest.raises(InvalidArgument):
            PicOperations.from_json(bad)


UPLOAD_RESULT = b"""<UploadResult>
  <OriginalInfo>
    <Key>local.jpg</Key>
    <Location>examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com/local.jpg</Location>
    <ETag>"aff1b996bcc63a0f0259df0de2fa989f38c5ce7e"</ETag>
    <ImageInfo><Format>JPEG</Format><Width>300</Width><Height>168</Height><Quality>74</Quality>
      <Ave>0x1a3451</Ave><Orientation>0</Orientation></ImageInfo>
  </OriginalInfo>
  <ProcessResults>
    <Object><Key>format.png</Key><Location>l</Location><Format>png</Format><Width>300</Width>
      <Height>168</Height><Size>77063</Size><Quality>74</Quality><ETag>"e"</ETag></Object>
    <Object><Key>qr.png</Key><Location>l2</Location><Format>png</Format><Width>x</Width>
      <Height/><Size>1</Size><Quality>100</Quality><ETag>"f"</ETag>
      <WatermarkStatus>90</WatermarkStatus><CodeStatus>1</CodeStatus>
      <QRcodeInfo><CodeUrl>https://example.com</CodeUrl>
        <CodeLocation><Point>1,2</Point><Point>3, 4</Point><Point>bad</Point></CodeLocation>
      </QRcodeInfo>
      <QRcodeInfo><CodeUrl>second</CodeUrl></QRcodeInfo>
    </Object>
  </ProcessResults>
</UploadResult>"""


def test_upload_result_is_parsed_as_documented() -> None:
    result = parse_process_result(parse(UPLOAD_RESULT)["UploadResult"], "rid", {})
    assert result.request_id == "rid"
    assert result.original is not None
    assert result.original.key == "local.jpg"
    assert result.original.etag == '"aff1b996bcc63a0f0259df0de2fa989f38c5ce7e"'
    info = result.original.image_info
    assert info is not None
    assert (info.format, info.width, info.height, info.quality, info.ave, info.orientation) == (
        "JPEG",
        300,
        168,
        74,
        "0x1a3451",
        0,
    )
    first, second = result.objects
    assert (first.key, first.format, first.width, first.height, first.size, first.etag) == (
        "format.png",
        "png",
        300,
        168,
        77063,
        '"e"',
    )
    assert (second.width, second.height) == (None, None)  # malformed numbers are None
    assert second.watermark_status == 90
    assert second.code_status == 1
    assert [c.url for c in second.qrcodes] == ["https://example.com", "second"]
    assert second.qrcodes[0].points == ((1, 2), (3, 4))


def test_qrcode_and_json_answers() -> None:
    doc = parse(
        b"<Response><CodeStatus>1</CodeStatus><QRcodeInfo><CodeUrl>u</CodeUrl>"
        b"<CodeLocation><Point>5,6</Point></CodeLocation></QRcodeInfo>"
        b"<ResultImage>" + base64.b64encode(b"img") + b"</ResultImage></Response>"
    )["Response"]
    qr = parse_qrcode_result(doc, None, {})
    assert qr.found
    assert qr.codes[0].url == "u"
    assert qr.result_image == b"img"
    with pytest.raises(CosClientError, match="base64"):
        parse_qrcode_result({"ResultImage": "!!!"}, None, {})
    info = parse_image_info(
        b'{"format": "jpeg", "width": "960", "height": "540", "size": "158421", "md5": "77a1"}',
        None,
        {},
    )
    assert (info.format, info.width, info.height, info.size, info.md5) == (
        "jpeg",
        960,
        540,
        158421,
        "77a1",
    )
    assert parse_exif(b'{"error" : "no exif data"}', None, {}) == {}
    assert parse_exif(b'{"Make": {"val": "Canon"}, "X": 3}', None, {}) == {
        "Make": "Canon",
        "X": "3",
    }
    color = parse_average_color(b'{"RGB": "0x483519"}', None, {})
    assert (color.red, color.green, color.blue) == (0x48, 0x35, 0x19)
    for bad in (b"[]", b"{", b'{"RGB": "red"}'):
        with pytest.raises(CosClientError):
            parse_average_color(bad, None, {})
