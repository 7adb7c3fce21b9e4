"""Image processing (Cloud Infinite, as the COS Python docs document it): processing of stored
images (``POST ?image_process``), image information, EXIF and average colour queries, QR code
recognition and generation, and the typed functions behind processing on upload
(``put_object(..., pic_operations=)``, ``upload_file(..., pic_operations=)``) and on download
(``download_file(..., process=)``).

Processing on upload is the PUT Object request plus the ``Pic-Operations`` header; COS then
answers an ``UploadResult`` document, parsed into :class:`ImageProcessResult`. COS documents it
for a simple upload of up to 20 MB: ``upload_file`` with ``pic_operations`` sends one PUT (never a
multipart upload) and refuses a larger file before sending anything.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from cos_async._body import FileRangeBody, ObjectBody
from cos_async._engine import Request, RequestEngine
from cos_async._errors import InvalidArgument
from cos_async._image_results import (
    AverageColor,
    GeneratedQRCode,
    ImageExif,
    ImageInfo,
    ImageProcessResult,
    QRCodeResult,
    parse_average_color,
    parse_exif,
    parse_generated_qrcode,
    parse_image_info,
    parse_process_result,
    parse_qrcode_result,
)
from cos_async._image_rules import ImageRule, PicOperations, as_rule, processing_query
from cos_async._models import ObjectMeta, TransferResult
from cos_async._options import PartOptions, WriteOptions
from cos_async._progress import ProgressCallback, ProgressTracker
from cos_async._validate import check_bucket, check_key, check_single_line

from . import objects
from ._base import OpsBase

__all__ = [
    "MAX_PROCESSED_UPLOAD",
    "ImageOps",
    "check_pic_operations",
    "download_processed",
    "open_processed",
    "upload_file_processed",
]

#: COS: processing on upload supports an input of up to 20 MB
MAX_PROCESSED_UPLOAD = 20 * 1024 * 1024
#: the longest text ``generate_qrcode`` encodes (a QR code holds at most 2,953 bytes)
MAX_QRCODE_CONTENT = 2953


def check_pic_operations(value: object) -> PicOperations | None:
    """``pic_operations=``: ``None`` or a :class:`PicOperations`."""
    if value is None or isinstance(value, PicOperations):
        return value
    raise InvalidArgument(
        "pic_operations must be a PicOperations (PicOperations.from_json(text) reads the JSON "
        f"the official SDK takes), got {type(value).__name__}"
    )


async def upload_file_processed(
    engine: RequestEngine,
    bucket: str,
    key: str,
    path: str | os.PathLike[str],
    *,
    pic_operations: PicOperations,
    progress: ProgressCallback | None,
    write: WriteOptions,
    part: PartOptions,
    content_md5: bool,
    extra: Mapping[str, str],
) -> TransferResult:
    """``upload_file`` with processing: one PUT of a file of at most 20 MB."""
    if not isinstance(path, str | os.PathLike):
        raise InvalidArgument(
            f"upload_file takes the path of a file, got {type(path).__name__}: for a file "
            "object or bytes, use put_object(..., pic_operations=...)"
        )
    src = Path(path)
    try:
        st = src.stat()
    except OSError as exc:
        raise InvalidArgument(f"cannot read {os.fspath(path)!r}: {exc.strerror}") from exc
    if not src.is_file():
        raise InvalidArgument(f"not a file: {os.fspath(path)!r}")
    size = st.st_size
    if size > MAX_PROCESSED_UPLOAD:
        raise InvalidArgument(
            f"{os.fspath(path)!r} is {size} bytes: COS processes images on upload up to "
            f"{MAX_PROCESSED_UPLOAD} bytes (20 MB); upload it, then process_image() it"
        )
    tracker = ProgressTracker(progress, size)
    body = FileRangeBody(src)
    body.on_open = lambda: tracker.restart("put")
    if tracker.reporting:
        body.on_bytes = lambda n: tracker.advance("put", n)
    put = await objects.put_object(
        engine,
        bucket,
        key,
        body,
        write=write,
        part=part,
        content_md5=content_md5,
        extra=extra,
        pic_operations=pic_operations,
    )
    tracker.finish()
    return TransferResult(
        bucket=bucket,
        key=key,
        size=size,
        etag=put.etag,
        crc64=put.crc64,
        version_id=put.version_id,
        request_id=put.request_id,
        processing=put.processing,
    )


def _rule_of(process: object) -> ImageRule:
    if not isinstance(process, ImageRule | str):
        raise InvalidArgument(
            f"process must be an ImageRule (ImageMogr2(...), ...) or a rule's text, got "
            f"{type(process).__name__}"
        )
    return as_rule(process)


async def open_processed(
    engine: RequestEngine,
    bucket: str,
    key: str,
    process: ImageRule | str,
    *,
    version_id: str | None = None,
    part: PartOptions | None = None,
    headers: Mapping[str, str] | None = None,
) -> ObjectBody:
    """GET an object processed by ``process`` (the rule in the query string): the processed
    image's body. It is not the stored object, so its CRC-64 is not checked."""
    params = processing_query(_rule_of(process))
    if version_id is not None:
        params["versionId"] = check_single_line("version_id", version_id)
    sent = dict(headers or {})
    if part is not None:
        sent.update(part.headers())
    resp = await engine.open(
        Request(method="GET", bucket=bucket, key=key, params=params, headers=sent)
    )
    meta = ObjectMeta.from_headers(resp.headers, resp.request_id)
    length = resp.headers.get("Content-Length", "")
    return ObjectBody(
        meta,
        resp.iter_body,
        resp.release_or_close,
        verify_crc=False,
        expected_length=int(length) if length.isdigit() else None,
    )


async def download_processed(
    engine: RequestEngine,
    bucket: str,
    key: str,
    path: str | os.PathLike[str],
    process: ImageRule | str,
    *,
    version_id: str | None,
    part: PartOptions,
    progress: ProgressCallback | None,
) -> TransferResult:
    """``download_file`` with processing: one GET, written atomically to ``path``."""
    if not isinstance(path, str | os.PathLike):
        raise InvalidArgument(f"download_file takes the path of a file, got {type(path).__name__}")
    dest = Path(path)
    if dest.is_dir():
        raise InvalidArgument(f"destination is a directory: {os.fspath(path)!r}")
    if not dest.parent.is_dir():
        raise InvalidArgument(
            f"the destination's directory does not exist: {os.fspath(dest.parent)!r}"
        )
    body = await open_processed(engine, bucket, key, process, version_id=version_id, part=part)
    tracker = ProgressTracker(progress, body.size if body.size >= 0 else None)
    size = await body.save(dest)
    tracker.add_done(size)
    tracker.finish()
    return TransferResult(
        bucket=bucket,
        key=key,
        size=size,
        etag=body.meta.etag,
        crc64=None,
        version_id=body.meta.version_id,
        request_id=body.meta.request_id,
    )


def _version(version_id: str | None) -> dict[str, str | None]:
    if version_id is None:
        return {}
    return {"versionId": check_single_line("version_id", version_id)}


class ImageOps(OpsBase):
    """Image processing of stored images, image queries, QR codes."""

    async def process_image(
        self, bucket: str, key: str, *, pic_operations: PicOperations
    ) -> ImageProcessResult:
        """Process a stored image and store the results (``POST ?image_process`` with
        ``Pic-Operations``): each :class:`PicRule` of ``pic_operations`` stores one processed
        image. Returns what COS processed: ``original`` (with ``is_pic_info``) and ``objects``."""
        check_bucket(bucket)
        check_key(key)
        ops = check_pic_operations(pic_operations)
        if ops is None or not ops.rules:
            raise InvalidArgument("process_image needs a PicOperations with at least one rule")
        reply, doc = await self._engine.xml(
            Request(
                method="POST",
                bucket=bucket,
                key=key,
                params={"image_process": None},
                headers=ops.header(),
            ),
            "UploadResult",
        )
        return parse_process_result(doc, reply.request_id, reply.headers)

    async def _query(
        self, bucket: str, key: str, params: dict[str, str | None]
    ) -> tuple[bytes, str | None, Mapping[str, str]]:
        check_bucket(bucket)
        check_key(key)
        reply = await self._engine.send(
            Request(method="GET", bucket=bucket, key=key, params=params)
        )
        return reply.body, reply.request_id, reply.headers

    async def get_image_info(
        self, bucket: str, key: str, *, version_id: str | None = None
    ) -> ImageInfo:
        """An image's format, width, height, size and MD5 (``?imageInfo``)."""
        body, rid, headers = await self._query(
            bucket, key, {"imageInfo": None, **_version(version_id)}
        )
        return parse_image_info(body, rid, headers)

    async def get_image_exif(
        self, bucket: str, key: str, *, version_id: str | None = None
    ) -> ImageExif:
        """An image's EXIF tags (``?exif``); empty when it has none."""
        body, rid, headers = await self._query(bucket, key, {"exif": None, **_version(version_id)})
        return parse_exif(body, rid, headers)

    async def get_image_average_color(
        self, bucket: str, key: str, *, version_id: str | None = None
    ) -> AverageColor:
        """An image's average colour (``?imageAve``)."""
        body, rid, headers = await self._query(
            bucket, key, {"imageAve": None, **_version(version_id)}
        )
        return parse_average_color(body, rid, headers)

    async def recognize_qrcode(
        self,
        bucket: str,
        key: str,
        *,
        cover: bool = False,
        version_id: str | None = None,
    ) -> QRCodeResult:
        """Recognise the QR codes of a stored image (``?ci-process=QRcode``): their texts and
        positions; ``cover=True`` also returns the image with them pixelated
        (``result_image``)."""
        if not isinstance(cover, bool):
            raise InvalidArgument(f"cover must be True or False, got {cover!r}")
        params: dict[str, str | None] = {"ci-process": "QRcode", "cover": str(int(cover))}
        params.update(_version(version_id))
        check_bucket(bucket)
        check_key(key)
        reply, doc = await self._engine.xml(
            Request(method="GET", bucket=bucket, key=key, params=params), "Response"
        )
        return parse_qrcode_result(doc, reply.request_id, reply.headers)

    async def generate_qrcode(
        self,
        bucket: str,
        *,
        content: str,
        width: int,
        barcode: bool = False,
    ) -> GeneratedQRCode:
        """Generate a QR code (or, ``barcode=True``, a barcode) of ``content``, ``width`` pixels
        wide (``?ci-process=qrcode-generate`` on the bucket). Nothing is stored."""
        check_bucket(bucket)
        if not isinstance(content, str) or not content:
            raise InvalidArgument(f"content must be a non-empty string, got {content!r}")
        if len(content.encode("utf-8")) > MAX_QRCODE_CONTENT:
            raise InvalidArgument(
                f"content is {len(content.encode('utf-8'))} bytes; a QR code holds at most "
                f"{MAX_QRCODE_CONTENT}"
            )
        if not isinstance(width, int) or isinstance(width, bool) or not 1 <= width <= 9999:
            raise InvalidArgument(f"width must be 1..9999 pixels, got {width!r}")
        if not isinstance(barcode, bool):
            raise InvalidArgument(f"barcode must be True or False, got {barcode!r}")
        reply, doc = await self._engine.xml(
            Request(
                method="GET",
                bucket=bucket,
                params={
                    "ci-process": "qrcode-generate",
                    "qrcode-content": content,
                    "width": str(width),
                    "mode": str(int(barcode)),
                },
            ),
            "Response",
        )
        return parse_generated_qrcode(doc, reply.request_id, reply.headers)
