"""What image processing answers, as frozen models, and their parsers. Pure: no I/O.

* ``UploadResult`` (processing on upload, ``POST ?image_process``) -> :class:`ImageProcessResult`:
  the input's :class:`OriginalImage` and one :class:`ProcessedImage` per rule;
* ``?ci-process=QRcode`` -> :class:`QRCodeResult`; ``?ci-process=qrcode-generate`` ->
  :class:`GeneratedQRCode`;
* ``?imageInfo``, ``?exif``, ``?imageAve`` (JSON) -> :class:`ImageInfo`, :class:`ImageExif`,
  :class:`AverageColor`.

Every answer is read leniently (a missing or malformed number is ``None``) but bounded: the
models never hold more than COS documents (5 processed images, a few QR codes each).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from ._errors import CosClientError
from ._xml import XMLError, text_of

__all__ = [
    "AverageColor",
    "GeneratedQRCode",
    "ImageExif",
    "ImageInfo",
    "ImageProcessResult",
    "OriginalImage",
    "OriginalImageInfo",
    "ProcessedImage",
    "QRCodeInfo",
    "QRCodeResult",
    "parse_average_color",
    "parse_exif",
    "parse_generated_qrcode",
    "parse_image_info",
    "parse_process_result",
    "parse_qrcode_result",
]

Headers = Mapping[str, str]
_NO_HEADERS: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict())
#: the most items of a list kept from an answer (COS documents at most 5 rules)
_MAX_ITEMS = 64
#: the largest JSON answer parsed (COS's are a few hundred bytes)
_MAX_JSON = 1 << 20
_POINT = re.compile(r"\s*(-?\d{1,9})\s*,\s*(-?\d{1,9})\s*")
_RGB = re.compile(r"0x[0-9A-Fa-f]{6}")


def _int(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = _text(value).strip()
    if not text or len(text) > 19 or not text.lstrip("-").isdigit():
        return None
    return int(text)


def _text(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    try:
        return text_of(value)
    except XMLError:
        return ""


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return items[:_MAX_ITEMS]


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


@attrs.frozen(kw_only=True)
class OriginalImageInfo:
    """The input image, as processing saw it (``is_pic_info``): format, size in pixels, quality,
    average colour (``ave``, ``"0x1a3451"``) and EXIF orientation."""

    format: str
    width: int | None
    height: int | None
    quality: int | None = None
    ave: str | None = None
    orientation: int | None = None


@attrs.frozen(kw_only=True)
class OriginalImage:
    """The input of processing: its key, location, ETag and (with ``is_pic_info``) image info.
    When a result overwrote the input, ``etag`` is the result's."""

    key: str
    location: str
    etag: str
    image_info: OriginalImageInfo | None = None


@attrs.frozen(kw_only=True)
class QRCodeInfo:
    """One recognised QR code: its text (``url``: a URL or any text) and the corners of where it
    is, ``(x, y)`` pixels."""

    url: str
    points: tuple[tuple[int, int], ...] = ()


@attrs.frozen(kw_only=True)
class ProcessedImage:
    """One processed image COS stored: key, location, format, pixel size, byte size, quality and
    ETag; ``watermark_status`` (blind watermark extraction: how well it matched, 0..100);
    ``qrcodes`` (QR code recognition; ``code_status`` 1 when some were found)."""

    key: str
    location: str
    format: str
    width: int | None
    height: int | None
    size: int | None
    quality: int | None
    etag: str
    watermark_status: int | None = None
    code_status: int | None = None
    qrcodes: tuple[QRCodeInfo, ...] = ()


@attrs.frozen(kw_only=True)
class ImageProcessResult:
    """The ``UploadResult`` of processing on upload or of a stored image: ``original`` (the
    input) and ``objects`` (one per rule, in order), with ``request_id`` and ``headers``."""

    original: OriginalImage | None
    objects: tuple[ProcessedImage, ...]
    request_id: str | None = None
    headers: Headers = attrs.field(default=_NO_HEADERS, repr=False, eq=False)


@attrs.frozen(kw_only=True)
class QRCodeResult:
    """QR code recognition of a stored image (``recognize_qrcode``): ``found`` (COS's
    ``CodeStatus``), the ``codes``, and with ``cover=True`` the image with the codes pixelated
    (``result_image``, decoded)."""

    found: bool
    codes: tuple[QRCodeInfo, ...]
    result_image: bytes | None = attrs.field(default=None, repr=False)
    request_id: str | None = None
    headers: Headers = attrs.field(default=_NO_HEADERS, repr=False, eq=False)


@attrs.frozen(kw_only=True)
class GeneratedQRCode:
    """A generated QR code (``generate_qrcode``): the image bytes (decoded from COS's base64)."""

    image: bytes = attrs.field(repr=False)
    request_id: str | None = None
    headers: Headers = attrs.field(default=_NO_HEADERS, repr=False, eq=False)


@attrs.frozen(kw_only=True)
class ImageInfo:
    """``?imageInfo``: format, width and height in pixels, size in bytes, MD5, frame count (1 for
    a still image) and, when COS says it, the average colour (``photo_rgb``)."""

    format: str
    width: int | None
    height: int | None
    size: int | None = None
    md5: str | None = None
    frame_count: int | None = None
    photo_rgb: str | None = None
    request_id: str | None = None
    headers: Headers = attrs.field(default=_NO_HEADERS, repr=False, eq=False)


@attrs.frozen(kw_only=True, eq=False)
class ImageExif(Mapping[str, str]):
    """``?exif``: the EXIF tags of an image as a read-only mapping of tag name to value (empty
    when the image has none: COS answers ``{"error": "no exif data"}``)."""

    tags: Mapping[str, str] = attrs.field(factory=dict)
    request_id: str | None = None
    headers: Headers = attrs.field(default=_NO_HEADERS, repr=False)

    def __getitem__(self, key: str) -> str:
        return self.tags[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tags)

    def __len__(self) -> int:
        return len(self.tags)

    def __eq__(self, other: object) -> bool:
        return Mapping.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]


@attrs.frozen(kw_only=True)
class AverageColor:
    """``?imageAve``: the average colour of an image, ``rgb`` as COS writes it (``"0x483519"``),
    and its components."""

    rgb: str
    request_id: str | None = None
    headers: Headers = attrs.field(default=_NO_HEADERS, repr=False, eq=False)

    @property
    def red(self) -> int:
        return int(self.rgb[2:4], 16)

    @property
    def green(self) -> int:
        return int(self.rgb[4:6], 16)

    @property
    def blue(self) -> int:
        return int(self.rgb[6:8], 16)


# --- parsers -----------------------------------------------------------------------------


def _qrcodes(value: Any) -> tuple[QRCodeInfo, ...]:
    codes = []
    for item in _items(value):
        item = _dict(item)
        points = []
        for point in _items(_dict(item.get("CodeLocation")).get("Point")):
            m = _POINT.fullmatch(_text(point))
            if m is not None:
                points.append((int(m.group(1)), int(m.group(2))))
        codes.append(QRCodeInfo(url=_text(item.get("CodeUrl")), points=tuple(points)))
    return tuple(codes)


def parse_process_result(
    doc: Mapping[str, Any], request_id: str | None, headers: Headers
) -> ImageProcessResult:
    """The children of an ``<UploadResult>`` document."""
    original = None
    info = doc.get("OriginalInfo")
    if isinstance(info, Mapping):
        image = info.get("ImageInfo")
        image_info = None
        if isinstance(image, Mapping):
            image_info = OriginalImageInfo(
                format=_text(image.get("Format")),
                width=_int(image.get("Width")),
                height=_int(image.get("Height")),
                quality=_int(image.get("Quality")),
                ave=_text(image.get("Ave")) or None,
                orientation=_int(image.get("Orientation")),
            )
        original = OriginalImage(
            key=_text(info.get("Key")),
            location=_text(info.get("Location")),
            etag=_text(info.get("ETag")),
            image_info=image_info,
        )
    objects = []
    for obj in _items(_dict(doc.get("ProcessResults")).get("Object")):
        obj = _dict(obj)
        objects.append(
            ProcessedImage(
                key=_text(obj.get("Key")),
                location=_text(obj.get("Location")),
                format=_text(obj.get("Format")),
                width=_int(obj.get("Width")),
                height=_int(obj.get("Height")),
                size=_int(obj.get("Size")),
                quality=_int(obj.get("Quality")),
                etag=_text(obj.get("ETag")),
                watermark_status=_int(obj.get("WatermarkStatus")),
                code_status=_int(obj.get("CodeStatus")),
                qrcodes=_qrcodes(obj.get("QRcodeInfo")),
            )
        )
    return ImageProcessResult(
        original=original, objects=tuple(objects), request_id=request_id, headers=headers
    )


def _b64(value: Any, what: str) -> bytes | None:
    text = _text(value).strip()
    if not text:
        return None
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise CosClientError(f"COS sent a {what} that is not base64") from None


def parse_qrcode_result(
    doc: Mapping[str, Any], request_id: str | None, headers: Headers
) -> QRCodeResult:
    """The children of the ``<Response>`` of ``?ci-process=QRcode``."""
    return QRCodeResult(
        found=_int(doc.get("CodeStatus")) == 1,
        codes=_qrcodes(doc.get("QRcodeInfo")),
        result_image=_b64(doc.get("ResultImage"), "ResultImage"),
        request_id=request_id,
        headers=headers,
    )


def parse_generated_qrcode(
    doc: Mapping[str, Any], request_id: str | None, headers: Headers
) -> GeneratedQRCode:
    """The children of the ``<Response>`` of ``?ci-process=qrcode-generate``."""
    image = _b64(doc.get("ResultImage"), "ResultImage")
    if image is None:
        raise CosClientError("COS answered qrcode-generate without a ResultImage")
    return GeneratedQRCode(image=image, request_id=request_id, headers=headers)


def _json(body: bytes, what: str) -> Mapping[str, Any]:
    if len(body) > _MAX_JSON:
        raise CosClientError(f"COS sent {len(body)} bytes for {what}; at most {_MAX_JSON} expected")
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise CosClientError(f"COS sent a malformed {what} document: {exc}") from None
    if not isinstance(doc, Mapping):
        raise CosClientError(f"COS sent a {what} document that is no JSON object")
    return doc


def parse_image_info(body: bytes, request_id: str | None, headers: Headers) -> ImageInfo:
    """The JSON of ``?imageInfo``."""
    doc = _json(body, "imageInfo")
    return ImageInfo(
        format=_text(doc.get("format")),
        width=_int(doc.get("width")),
        height=_int(doc.get("height")),
        size=_int(doc.get("size")),
        md5=_text(doc.get("md5")) or None,
        frame_count=_int(doc.get("frame_count")),
        photo_rgb=_text(doc.get("photo_rgb")) or None,
        request_id=request_id,
        headers=headers,
    )


def parse_exif(body: bytes, request_id: str | None, headers: Headers) -> ImageExif:
    """The JSON of ``?exif``: ``{"Tag": {"val": "..."}, ...}`` (or ``{"error": ...}``)."""
    doc = _json(body, "exif")
    tags: dict[str, str] = {}
    if "error" not in doc:
        for name, value in list(doc.items())[:1024]:
            if isinstance(value, Mapping):
                value = value.get("val")
            if isinstance(name, str) and isinstance(value, str | int | float):
                tags[name] = str(value)
    return ImageExif(tags=tags, request_id=request_id, headers=headers)


def parse_average_color(body: bytes, request_id: str | None, headers: Headers) -> AverageColor:
    """The JSON of ``?imageAve``: ``{"RGB": "0x483519"}``."""
    rgb = _text(_json(body, "imageAve").get("RGB")).strip()
    if not _RGB.fullmatch(rgb):
        raise CosClientError(f"COS sent an average colour that is no 0xRRGGBB: {rgb[:40]!r}")
    return AverageColor(rgb=rgb.lower(), request_id=request_id, headers=headers)
