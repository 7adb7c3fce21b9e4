"""The transfers as methods of the client: thin wrappers that check the caller's arguments, build
the option bundles once and hand them to the transfer functions."""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from typing import IO, Any, Literal, Protocol

from cos_async._errors import InvalidArgument
from cos_async._image_rules import ImageRule, PicOperations
from cos_async._models import StorageClass, TransferResult, TransferSummary
from cos_async._ops import image
from cos_async._ops._base import OpsBase
from cos_async._options import (
    CopySource,
    PartOptions,
    WriteOptions,
    checked_extra_headers,
    takes_write_options,
)
from cos_async._progress import ProgressCallback, check_progress
from cos_async._validate import (
    DateLike,
    check_bucket,
    check_key,
    check_local_path,
    check_part_size,
)

from . import bulk, download, stream, upload
from . import copy as copies
from ._common import DEFAULT_CONCURRENCY

__all__ = ["BinaryWritable", "TransferOps"]


class BinaryWritable(Protocol):
    """What ``download_fileobj`` writes into: an object with ``write(bytes)``, plain (run in a
    worker thread) or ``async def``."""

    def write(self, data: bytes, /) -> Any: ...


class TransferOps(OpsBase):
    """Large and many-object transfers: concurrent, resumable, CRC-64-verified."""

    @takes_write_options
    async def upload_file(
        self,
        bucket: str,
        key: str,
        path: str | os.PathLike[str],
        *,
        part_size: int | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        threshold: int | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        progress: ProgressCallback | None = None,
        content_type: str | None = None,
        content_disposition: str | None = None,
        content_encoding: str | None = None,
        cache_control: str | None = None,
        metadata: Mapping[str, str] | None = None,
        storage_class: StorageClass | str | None = None,
        acl: Literal["default", "private", "public-read"] | None = None,
        tagging: Mapping[str, str] | None = None,
        traffic_limit: int | None = None,
        content_md5: bool = False,
        sse: Literal["AES256", "cos/kms"] | None = None,
        sse_customer_key: bytes | None = None,
        extra_headers: Mapping[str, str] | None = None,
        content_language: str | None = None,
        expires: DateLike | None = None,
        grant_read: str | None = None,
        grant_read_acp: str | None = None,
        grant_write_acp: str | None = None,
        grant_full_control: str | None = None,
        sse_kms_key_id: str | None = None,
        sse_kms_context: str | None = None,
        pic_operations: PicOperations | None = None,
    ) -> TransferResult:
        """Upload a file: one PUT up to ``threshold`` (default: the part size), else a concurrent
        multipart upload with ``part_size`` parts (default 16 MiB, grown to stay within 10,000
        parts), every part and the whole object CRC64-checked. With ``checkpoint`` (a file path)
        an interrupted upload resumes without re-sending finished parts; without it a failed or
        cancelled upload is aborted. ``progress`` receives :class:`Progress` reports. The object
        options are those of :meth:`put_object`.

        ``pic_operations`` processes the image on upload (the result's ``processing``): COS
        documents that for one PUT of up to 20 MB, so the file is sent in one PUT whatever
        ``threshold`` says, a larger file is refused before anything is sent, and
        ``checkpoint`` does not apply."""
        check_bucket(bucket)
        check_key(key)
        check_local_path("path", path)
        check_local_path("checkpoint", checkpoint)
        check_part_size(part_size)
        ops = image.check_pic_operations(pic_operations)
        if ops is not None:
            if checkpoint is not None:
                raise InvalidArgument(
                    "upload_file with pic_operations sends one PUT: checkpoint does not apply"
                )
            async with self._engine.activity("upload_file"):
                return await image.upload_file_processed(
                    self._engine,
                    bucket,
                    key,
                    path,
                    pic_operations=ops,
                    progress=check_progress(progress),
                    write=WriteOptions.from_arguments(locals()),
                    part=PartOptions(
                        traffic_limit=traffic_limit, sse_customer_key=sse_customer_key
                    ),
                    content_md5=content_md5,
                    extra=checked_extra_headers(extra_headers),
                )
        async with self._engine.activity("upload_file"):
            return await upload.upload_file(
                self._engine,
                bucket,
                key,
                path,
                part_size=part_size,
                concurrency=concurrency,
                threshold=threshold,
                checkpoint=checkpoint,
                progress=check_progress(progress),
                write=WriteOptions.from_arguments(locals()),
                part=PartOptions(traffic_limit=traffic_limit, sse_customer_key=sse_customer_key),
                content_md5=content_md5,
                extra=checked_extra_headers(extra_headers),
            )

    @takes_write_options
    async def upload_stream(
        self,
        bucket: str,
        key: str,
        source: IO[bytes] | Iterable[bytes] | AsyncIterable[bytes],
        *,
        part_size: int = 8 * 1024 * 1024,
        concurrency: int = 4,
        progress: ProgressCallback | None = None,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        storage_class: StorageClass | str | None = None,
        traffic_limit: int | None = None,
        extra_headers: Mapping[str, str] | None = None,
        content_disposition: str | None = None,
        content_encoding: str | None = None,
        content_language: str | None = None,
        cache_control: str | None = None,
        expires: DateLike | None = None,
        acl: Literal["default", "private", "public-read"] | None = None,
        grant_read: str | None = None,
        grant_read_acp: str | None = None,
        grant_write_acp: str | None = None,
        grant_full_control: str | None = None,
        tagging: Mapping[str, str] | None = None,
        sse: Literal["AES256", "cos/kms"] | None = None,
        sse_kms_key_id: str | None = None,
        sse_kms_context: str | None = None,
        sse_customer_key: bytes | None = None,
    ) -> TransferResult:
        """Upload a binary file object or a (sync or async) iterable of bytes of unknown length:
        one PUT if it fits in one part, else multipart with at most ``concurrency + 1`` parts in
        memory. A failure aborts the multipart upload. The object options are those of
        :meth:`put_object`."""
        check_bucket(bucket)
        check_key(key)
        async with self._engine.activity("upload_stream"):
            return await upload.upload_stream(
                self._engine,
                bucket,
                key,
                source,
                part_size=part_size,
                concurrency=concurrency,
                progress=check_progress(progress),
                write=WriteOptions.from_arguments(locals()),
                part=PartOptions(traffic_limit=traffic_limit, sse_customer_key=sse_customer_key),
                extra=checked_extra_headers(extra_headers),
            )

    async def download_file(
        self,
        bucket: str,
        key: str,
        path: str | os.PathLike[str],
        *,
        part_size: int | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        threshold: int | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        progress: ProgressCallback | None = None,
        version_id: str | None = None,
        traffic_limit: int | None = None,
        sse_customer_key: bytes | None = None,
        verify_crc: bool = True,
        fsync: bool = False,
        process: ImageRule | str | None = None,
    ) -> TransferResult:
        """Download to ``path``: concurrent ranged GETs pinned to the object's ETag, written into
        a temporary file beside ``path`` and renamed only once the combined CRC64 matches. An
        object replaced mid-download fails with :class:`IntegrityError` and leaves no file. With
        ``checkpoint`` an interrupted download resumes. ``fsync=True`` flushes the file to disk
        before the rename, so that it also survives a power loss (a crash of the process alone
        never leaves a partial file under ``path``); it costs the time the disk takes.

        ``process`` (an :class:`ImageRule` or its text, e.g. ``ImageMogr2(format="avif")`` for
        advanced compression) downloads the image as COS processes it: one GET with the rule in
        the query string, written atomically; the result is not the stored object, so there is
        no CRC-64 to check, no range and no ``checkpoint``."""
        check_bucket(bucket)
        check_key(key)
        check_local_path("path", path)
        check_local_path("checkpoint", checkpoint)
        check_part_size(part_size)
        if process is not None:
            if checkpoint is not None:
                raise InvalidArgument("download_file with process sends one GET: no checkpoint")
            async with self._engine.activity("download_file"):
                return await image.download_processed(
                    self._engine,
                    bucket,
                    key,
                    path,
                    process,
                    version_id=version_id,
                    part=PartOptions(
                        traffic_limit=traffic_limit, sse_customer_key=sse_customer_key
                    ),
                    progress=check_progress(progress),
                )
        async with self._engine.activity("download_file"):
            return await download.download_file(
                self._engine,
                bucket,
                key,
                path,
                part_size=part_size,
                concurrency=concurrency,
                threshold=threshold,
                checkpoint=checkpoint,
                progress=check_progress(progress),
                version_id=version_id,
                part=PartOptions(traffic_limit=traffic_limit, sse_customer_key=sse_customer_key),
                verify_crc=verify_crc,
                fsync=fsync,
            )

    @takes_write_options
    async def copy(
        self,
        src_bucket: str,
        src_key: str,
        dst_bucket: str,
        dst_key: str,
        *,
        source_version_id: str | None = None,
        source_region: str | None = None,
        source_endpoint: str | None = None,
        part_size: int | None = None,
        concurrency: int = DEFAULT_CONCURRENCY,
        threshold: int = 5 * 1024**3,
        progress: ProgressCallback | None = None,
        metadata_directive: Literal["Copy", "Replaced"] = "Copy",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        storage_class: StorageClass | str | None = None,
        traffic_limit: int | None = None,
        content_disposition: str | None = None,
        content_encoding: str | None = None,
        content_language: str | None = None,
        cache_control: str | None = None,
        expires: DateLike | None = None,
        acl: Literal["default", "private", "public-read"] | None = None,
        grant_read: str | None = None,
        grant_read_acp: str | None = None,
        grant_write_acp: str | None = None,
        grant_full_control: str | None = None,
        tagging: Mapping[str, str] | None = None,
        sse: Literal["AES256", "cos/kms"] | None = None,
        sse_kms_key_id: str | None = None,
        sse_kms_context: str | None = None,
        sse_customer_key: bytes | None = None,
        source_sse_customer_key: bytes | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> TransferResult:
        """Copy an object of any size (``copy_object`` up to ``threshold``, 5 GiB, concurrent part
        copies above); metadata is preserved unless ``metadata_directive="Replaced"``. The object
        options are those of :meth:`copy_object`, at any size: without ``storage_class`` the copy
        is STANDARD, as COS documents for copies. A source in another region: ``source_region``
        (or ``source_endpoint``); its HEAD goes there too. SSE-C: ``sse_customer_key`` for the
        copy, ``source_sse_customer_key`` for the source."""
        check_bucket(dst_bucket)
        check_key(dst_key)
        check_part_size(part_size)
        async with self._engine.activity("copy"):
            return await copies.copy(
                self._engine,
                CopySource(
                    bucket=src_bucket,
                    key=src_key,
                    version_id=source_version_id,
                    sse_customer_key=source_sse_customer_key,
                    region=source_region,
                    endpoint=source_endpoint,
                ),
                dst_bucket,
                dst_key,
                part_size=part_size,
                concurrency=concurrency,
                threshold=threshold,
                progress=check_progress(progress),
                metadata_directive=metadata_directive,
                write=WriteOptions.from_arguments(locals()),
                part=PartOptions(traffic_limit=traffic_limit, sse_customer_key=sse_customer_key),
                extra=checked_extra_headers(extra_headers),
            )

    async def upload_dir(
        self,
        local_dir: str | os.PathLike[str],
        bucket: str,
        prefix: str = "",
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        part_size: int | None = None,
        progress: ProgressCallback | None = None,
        follow_symlinks: bool = True,
        skip_unchanged: bool = False,
    ) -> TransferSummary:
        """Upload every file under ``local_dir`` into the directory ``prefix``, concurrently:
        ``prefix="backup"`` (or ``"backup/"``) stores ``local_dir/x/y.txt`` as
        ``backup/x/y.txt``; ``""`` the bucket's root. Symbolic links are followed unless
        ``follow_symlinks=False`` (then they are reported in ``skipped``, with special files).
        With ``skip_unchanged``, a file whose object already has its size and CRC-64 is not
        sent again (reported in ``unchanged``). A file that fails (an unreadable file, a name
        that is no valid key) is reported in ``failed`` and the others carry on. ``progress``
        counts bytes as they move."""
        check_bucket(bucket)
        check_local_path("local_dir", local_dir)
        check_part_size(part_size)
        async with self._engine.activity("upload_dir"):
            return await bulk.upload_dir(
                self._engine,
                local_dir,
                bucket,
                prefix,
                concurrency=concurrency,
                part_size=part_size,
                progress=check_progress(progress),
                follow_symlinks=follow_symlinks,
                skip_unchanged=skip_unchanged,
            )

    async def download_prefix(
        self,
        bucket: str,
        prefix: str,
        local_dir: str | os.PathLike[str],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        part_size: int | None = None,
        progress: ProgressCallback | None = None,
        skip_unchanged: bool = False,
    ) -> TransferSummary:
        """Download every object of the directory ``prefix`` (``"backup"`` or ``"backup/"``:
        the objects under ``backup/``; a prefix that is one object's key: that object) into
        ``local_dir``; keys that would land outside it are refused before anything is written.
        With ``skip_unchanged``, a local file with the object's size and CRC-64 is not fetched
        again (reported in ``unchanged``)."""
        check_bucket(bucket)
        check_local_path("local_dir", local_dir)
        check_part_size(part_size)
        async with self._engine.activity("download_prefix"):
            return await bulk.download_prefix(
                self._engine,
                bucket,
                prefix,
                local_dir,
                concurrency=concurrency,
                part_size=part_size,
                progress=check_progress(progress),
                skip_unchanged=skip_unchanged,
            )

    async def download_fileobj(
        self,
        bucket: str,
        key: str,
        fileobj: BinaryWritable,
        *,
        part_size: int = 8 * 1024 * 1024,
        concurrency: int = 4,
        progress: ProgressCallback | None = None,
        version_id: str | None = None,
        traffic_limit: int | None = None,
        sse_customer_key: bytes | None = None,
        verify_crc: bool = True,
    ) -> TransferResult:
        """Write the object into a writable binary file object (``io.BytesIO``, a socket's file,
        a pipe, an object with a plain or ``async def write``): ranged GETs pinned to the ETag,
        ``concurrency`` parts of ``part_size`` (at most 64 MiB) fetched ahead and written in
        order, the CRC-64 of the whole checked at the end. What was written stays written: on
        an error (an object replaced meanwhile, a CRC-64 that does not match) discard what
        ``fileobj`` received. For a file on disk, :meth:`download_file` is faster and never
        leaves a partial file."""
        check_bucket(bucket)
        check_key(key)
        async with self._engine.activity("download_fileobj"):
            return await stream.download_fileobj(
                self._engine,
                bucket,
                key,
                fileobj,
                part_size=part_size,
                concurrency=concurrency,
                progress=check_progress(progress),
                version_id=version_id,
                part=PartOptions(traffic_limit=traffic_limit, sse_customer_key=sse_customer_key),
                verify_crc=verify_crc,
            )

    async def download_stream(
        self,
        bucket: str,
        key: str,
        *,
        part_size: int = 8 * 1024 * 1024,
        concurrency: int = 4,
        version_id: str | None = None,
        traffic_limit: int | None = None,
        sse_customer_key: bytes | None = None,
        verify_crc: bool = True,
    ) -> AsyncIterator[bytes]:
        """The object's bytes in order, a part at a time (``async for chunk in
        cos.download_stream(bucket, key)``): ranged GETs pinned to the ETag, ``concurrency``
        parts of ``part_size`` (at most 64 MiB) fetched ahead, so memory stays within
        ``concurrency`` parts; the CRC-64 of the whole is checked after the last part
        (:class:`IntegrityError` then, after the bytes were handed over)."""
        check_bucket(bucket)
        check_key(key)
        async with self._engine.activity("download_stream"):
            async for chunk in stream.stream_object(
                self._engine,
                bucket,
                key,
                part_size=part_size,
                concurrency=concurrency,
                version_id=version_id,
                part=PartOptions(traffic_limit=traffic_limit, sse_customer_key=sse_customer_key),
                verify_crc=verify_crc,
            ):
                yield chunk

    async def delete_prefix(self, bucket: str, prefix: str) -> TransferSummary:
        """Delete every object whose key starts with ``prefix``."""
        check_bucket(bucket)
        async with self._engine.activity("delete_prefix"):
            return await bulk.delete_prefix(self._engine, bucket, prefix)
