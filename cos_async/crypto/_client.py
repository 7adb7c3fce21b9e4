"""``AsyncCosEncryptionClient``: client-side encryption over an :class:`AsyncCosClient`.

It is a view over the client it is given (its connection pool, configuration and hooks): the
writing methods make a fresh data key per object, wrap it with the key provider, put it in the
object's metadata and send the bytes enciphered; the reading methods take the key from the
object's metadata and hand over (or write) plaintext. The transfers are the client's own
(concurrent parts and ranges, CRC-64 checked on the bytes COS stores), given the cipher.
"""

from __future__ import annotations

import hmac
import inspect
import os
from collections.abc import AsyncIterable, Awaitable, Callable, Iterable, Mapping
from typing import IO, Any, Literal, TypeVar

import attrs

from cos_async._body import Body, CipheredBody, ObjectBody, make_body
from cos_async._client import AsyncCosClient
from cos_async._errors import DecryptionError, InvalidArgument
from cos_async._limits import MAX_PARTS
from cos_async._models import (
    CompleteMultipartUploadResult,
    MultipartUpload,
    ObjectMeta,
    PartInfo,
    PutObjectResult,
    Result,
    StorageClass,
    TransferResult,
    UploadPartCopyResult,
    UploadPartResult,
)
from cos_async._ops import multipart, objects
from cos_async._ops.multipart import part_pairs
from cos_async._options import (
    PartOptions,
    WriteOptions,
    checked_extra_headers,
    takes_read_conditions,
    takes_write_options,
)
from cos_async._progress import ProgressCallback, check_progress
from cos_async._transfer import download, upload
from cos_async._transfer._common import DEFAULT_CONCURRENCY
from cos_async._validate import (
    DateLike,
    check_bucket,
    check_key,
    check_local_path,
    check_part_number,
    check_part_size,
    check_upload_id,
)

from ._format import (
    KEY_HEADER,
    RESERVED_META_PREFIX,
    CtrCipher,
    DataKey,
    WrappedKey,
    first_byte,
    key_metadata,
    read_key_metadata,
)
from ._providers import KeyProvider

__all__ = ["AsyncCosEncryptionClient"]

T = TypeVar("T")
_RESERVED_HEADER = "x-cos-meta-" + RESERVED_META_PREFIX


async def _resolved(value: T | Awaitable[T]) -> T:
    if inspect.isawaitable(value):
        return await value
    return value


def _check_metadata_names(metadata: object) -> None:
    if isinstance(metadata, Mapping):
        for name in metadata:
            if isinstance(name, str) and name.lower().removeprefix("x-cos-meta-").startswith(
                RESERVED_META_PREFIX
            ):
                raise InvalidArgument(
                    f"metadata name {name!r} is reserved for client-side encryption"
                )


def _checked_extra(extra_headers: Mapping[str, str] | None) -> dict[str, str]:
    extra = checked_extra_headers(extra_headers)
    for name in extra:
        if name.lower().startswith(_RESERVED_HEADER):
            raise InvalidArgument(
                f"extra_headers must not set {name!r}: client-side encryption sets it"
            )
    return extra


@attrs.define(repr=False, eq=False)
class _Upload:
    """An encrypted multipart upload in progress: its cipher lives here only."""

    bucket: str
    key: str
    cipher: CtrCipher
    part_size: int
    #: part number -> bytes sent
    sizes: dict[int, int] = attrs.field(factory=dict)


class AsyncCosEncryptionClient:
    """Client-side encryption, interoperable with the official SDK's ``CosEncryptionClient``.

    ``AsyncCosEncryptionClient(cos, provider)`` wraps an open :class:`~cos_async.AsyncCosClient`
    (it shares its pool; closing ``cos`` ends it) with a key provider
    (:class:`AesKeyProvider`, :class:`RsaKeyProvider` or your own :class:`KeyProvider`). Objects
    are written with AES-256-CTR under a fresh data key each, wrapped by the provider into the
    object's metadata; reads take the key from the metadata. An object that is not encrypted is
    refused with :class:`~cos_async.DecryptionError` unless ``allow_unencrypted=True`` (then it
    is read as it is). Several wrappers over one client (one per provider) cost nothing.

    The methods are those of the client, with its options; the transfers have no checkpoint,
    and ``create_multipart_upload`` takes the ``part_size`` of the parts to come (their offsets
    in the object select their keystream)."""

    def __init__(
        self, client: AsyncCosClient, provider: KeyProvider, *, allow_unencrypted: bool = False
    ) -> None:
        if not isinstance(client, AsyncCosClient):
            raise InvalidArgument(f"client must be an AsyncCosClient, got {type(client).__name__}")
        if not isinstance(provider, KeyProvider):
            raise InvalidArgument(
                f"provider must be a key provider (wrap and unwrap), got {type(provider).__name__}"
            )
        self._client = client
        self._engine = client._engine
        self._provider = provider
        self._allow_unencrypted = bool(allow_unencrypted)
        self._uploads: dict[str, _Upload] = {}

    @property
    def client(self) -> AsyncCosClient:
        """The client this one encrypts for (for everything else: listing, deleting...)."""
        return self._client

    @property
    def provider(self) -> KeyProvider:
        """The key provider."""
        return self._provider

    def _rebound(self, client: AsyncCosClient) -> AsyncCosEncryptionClient:
        """The same wrapper over another client (the sync facade's, after a fork)."""
        other = AsyncCosEncryptionClient(
            client, self._provider, allow_unencrypted=self._allow_unencrypted
        )
        other._uploads = self._uploads
        return other

    def __repr__(self) -> str:
        return f"AsyncCosEncryptionClient({self._client!r}, {self._provider!r})"

    # --- keys ---------------------------------------------------------------------------------

    async def _new_key(self, arguments: Mapping[str, Any]) -> tuple[DataKey, WriteOptions]:
        """A fresh data key, and the object options of ``arguments`` with its metadata."""
        user = arguments["metadata"]
        _check_metadata_names(user)
        WriteOptions.from_arguments(arguments)  # bad options are refused before the wrap
        data_key = DataKey.generate()
        wrapped = await _resolved(self._provider.wrap(data_key.key, data_key.iv))
        if not isinstance(wrapped, WrappedKey):
            raise InvalidArgument(
                f"the key provider's wrap() returned a {type(wrapped).__name__}, not a WrappedKey"
            )
        merged = {**(user or {}), **key_metadata(wrapped, data_key)}
        # the metadata limit (2 KB) counts the wrapped key: refused here when it is exceeded
        return data_key, WriteOptions.from_arguments({**arguments, "metadata": merged})

    async def _cipher_of(self, meta: ObjectMeta, what: str) -> CtrCipher | None:
        """The cipher of an object from its metadata (``None``: not encrypted, and allowed)."""
        found = read_key_metadata(meta.headers, what)
        if found is None:
            if self._allow_unencrypted:
                return None
            raise DecryptionError(
                f"{what} is not client-side encrypted (no {KEY_HEADER} in its metadata); "
                "allow_unencrypted=True reads such objects as they are"
            )
        wrapped, check = found
        unwrapped = await _resolved(self._provider.unwrap(wrapped))
        if not (
            isinstance(unwrapped, tuple)
            and len(unwrapped) == 2
            and all(isinstance(part, bytes) for part in unwrapped)
        ):
            raise DecryptionError(
                f"{what}: the key provider's unwrap() returned a {type(unwrapped).__name__}, "
                "not (data_key, iv) bytes"
            )
        try:
            data_key = DataKey(*unwrapped)
        except DecryptionError as exc:
            raise DecryptionError(f"{what}: {exc.message}") from None
        if check is not None and not hmac.compare_digest(data_key.check_value(), check):
            raise DecryptionError(
                f"{what}: the key does not open this object's data key (another master key, "
                "or its encryption metadata was altered)"
            )
        return data_key.cipher()

    # --- objects ------------------------------------------------------------------------------

    @takes_write_options
    async def put_object(
        self,
        bucket: str,
        key: str,
        data: Body,
        *,
        content_type: str | None = None,
        content_disposition: str | None = None,
        content_encoding: str | None = None,
        content_language: str | None = None,
        cache_control: str | None = None,
        expires: DateLike | None = None,
        metadata: Mapping[str, str] | None = None,
        storage_class: StorageClass | str | None = None,
        acl: Literal["default", "private", "public-read"] | None = None,
        grant_read: str | None = None,
        grant_read_acp: str | None = None,
        grant_write_acp: str | None = None,
        grant_full_control: str | None = None,
        tagging: Mapping[str, str] | None = None,
        traffic_limit: int | None = None,
        content_md5: bool = False,
        sse: Literal["AES256", "cos/kms"] | None = None,
        sse_kms_key_id: str | None = None,
        sse_kms_context: str | None = None,
        sse_customer_key: bytes | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> PutObjectResult:
        """Encrypt ``data`` (what :meth:`AsyncCosClient.put_object` takes) and upload it in one
        request, with a fresh data key in its metadata. The CRC-64 COS reports is checked
        against what was sent (the ciphertext)."""
        check_bucket(bucket)
        check_key(key)
        extra = _checked_extra(extra_headers)
        part = PartOptions(traffic_limit=traffic_limit, sse_customer_key=sse_customer_key)
        body = make_body(data)
        data_key, write = await self._new_key(locals())
        return await objects.put_object(
            self._engine,
            bucket,
            key,
            CipheredBody(body, data_key.cipher()),
            write=write,
            part=part,
            content_md5=content_md5,
            extra=extra,
        )

    @takes_read_conditions
    async def get_object(
        self,
        bucket: str,
        key: str,
        *,
        range: tuple[int, int | None] | None = None,
        version_id: str | None = None,
        if_match: str | None = None,
        if_none_match: str | None = None,
        if_modified_since: DateLike | None = None,
        if_unmodified_since: DateLike | None = None,
        response_content_type: str | None = None,
        response_content_disposition: str | None = None,
        response_content_encoding: str | None = None,
        response_content_language: str | None = None,
        response_cache_control: str | None = None,
        response_expires: str | None = None,
        traffic_limit: int | None = None,
        sse_customer_key: bytes | None = None,
        verify_crc: bool = True,
        extra_headers: Mapping[str, str] | None = None,
    ) -> ObjectBody:
        """Open an encrypted object for reading: the :class:`ObjectBody` yields plaintext. One
        GET: the key comes from its own answer's metadata (:class:`DecryptionError` before any
        byte is read when it cannot be unwrapped). ``range=(first, last)`` reads plaintext
        bytes ``first..last`` (any offsets: the keystream is entered mid-block). A complete
        read is checked against the CRC-64 of the ciphertext, as COS computes it."""
        check_bucket(bucket)
        check_key(key)
        request = objects.get_object_request(bucket, key, locals())
        what = f"{bucket}/{key}"

        async def decipher(meta: ObjectMeta) -> Callable[[bytes], bytes] | None:
            cipher = await self._cipher_of(meta, what)
            if cipher is None:
                return None
            return cipher.at(first_byte(meta.headers, what)).update

        return await objects.open_object(
            self._engine, request, verify_crc=verify_crc, decipher=decipher
        )

    # --- transfers ----------------------------------------------------------------------------

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
    ) -> TransferResult:
        """Encrypt and upload a file as :meth:`AsyncCosClient.upload_file` does (one PUT up to
        ``threshold``, else concurrent parts, each enciphered at its offset as it is read, every
        CRC-64 checked on the ciphertext); memory does not grow with the file. No checkpoint:
        resuming would need the data key on disk."""
        check_bucket(bucket)
        check_key(key)
        check_local_path("path", path)
        check_part_size(part_size)
        extra = _checked_extra(extra_headers)
        part = PartOptions(traffic_limit=traffic_limit, sse_customer_key=sse_customer_key)
        data_key, write = await self._new_key(locals())
        async with self._engine.activity("upload_file"):
            return await upload.upload_file(
                self._engine,
                bucket,
                key,
                path,
                part_size=part_size,
                concurrency=concurrency,
                threshold=threshold,
                checkpoint=None,
                progress=check_progress(progress),
                write=write,
                part=part,
                content_md5=content_md5,
                extra=extra,
                cipher=data_key.cipher(),
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
        """Encrypt and upload a stream of unknown length as
        :meth:`AsyncCosClient.upload_stream` does (at most ``concurrency + 1`` parts in
        memory)."""
        check_bucket(bucket)
        check_key(key)
        extra = _checked_extra(extra_headers)
        part = PartOptions(traffic_limit=traffic_limit, sse_customer_key=sse_customer_key)
        data_key, write = await self._new_key(locals())
        async with self._engine.activity("upload_stream"):
            return await upload.upload_stream(
                self._engine,
                bucket,
                key,
                source,
                part_size=part_size,
                concurrency=concurrency,
                progress=check_progress(progress),
                write=write,
                part=part,
                extra=extra,
                cipher=data_key.cipher(),
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
        progress: ProgressCallback | None = None,
        version_id: str | None = None,
        traffic_limit: int | None = None,
        sse_customer_key: bytes | None = None,
        verify_crc: bool = True,
        fsync: bool = False,
    ) -> TransferResult:
        """Download and decrypt to ``path`` as :meth:`AsyncCosClient.download_file` does:
        concurrent ranges pinned to the ETag of the HEAD whose metadata gave the key, each
        deciphered at its offset as it arrives, written into a temporary file beside ``path``
        and renamed only once the CRC-64 of the ciphertext matches. A key that cannot be
        unwrapped fails with :class:`DecryptionError` before any file is made. No checkpoint."""
        check_bucket(bucket)
        check_key(key)
        check_local_path("path", path)
        check_part_size(part_size)
        what = f"{bucket}/{key}"

        async def decipher(meta: ObjectMeta) -> CtrCipher | None:
            return await self._cipher_of(meta, what)

        async with self._engine.activity("download_file"):
            return await download.download_file(
                self._engine,
                bucket,
                key,
                path,
                part_size=part_size,
                concurrency=concurrency,
                threshold=threshold,
                checkpoint=None,
                progress=check_progress(progress),
                version_id=version_id,
                part=PartOptions(traffic_limit=traffic_limit, sse_customer_key=sse_customer_key),
                verify_crc=verify_crc,
                fsync=fsync,
                decipher=decipher,
            )

    # --- multipart uploads, part by part ------------------------------------------------------

    @takes_write_options
    async def create_multipart_upload(
        self,
        bucket: str,
        key: str,
        *,
        part_size: int,
        content_type: str | None = None,
        content_disposition: str | None = None,
        content_encoding: str | None = None,
        content_language: str | None = None,
        cache_control: str | None = None,
        expires: DateLike | None = None,
        metadata: Mapping[str, str] | None = None,
        storage_class: StorageClass | str | None = None,
        acl: Literal["default", "private", "public-read"] | None = None,
        grant_read: str | None = None,
        grant_full_control: str | None = None,
        tagging: Mapping[str, str] | None = None,
        sse: Literal["AES256", "cos/kms"] | None = None,
        sse_kms_key_id: str | None = None,
        sse_kms_context: str | None = None,
        sse_customer_key: bytes | None = None,
        extra_headers: Mapping[str, str] | None = None,
        grant_read_acp: str | None = None,
        grant_write_acp: str | None = None,
    ) -> MultipartUpload:
        """Start an encrypted multipart upload: a fresh data key goes into its metadata and
        stays in this client (only it can upload the parts). Every part but the last must be
        ``part_size`` bytes: part ``n`` is enciphered as the bytes from ``(n - 1) * part_size``
        on (the object is one CTR stream, which the official SDK reads whole or in ranges)."""
        check_bucket(bucket)
        check_key(key)
        check_part_size(part_size)
        if part_size is None:
            raise InvalidArgument("part_size is required for an encrypted multipart upload")
        extra = _checked_extra(extra_headers)
        data_key, write = await self._new_key(locals())
        created = await multipart.create_multipart_upload(
            self._engine,
            bucket,
            key,
            write=write,
            sse_customer_key=sse_customer_key,
            extra=extra,
        )
        self._uploads[created.upload_id] = _Upload(
            bucket=bucket, key=key, cipher=data_key.cipher(), part_size=part_size
        )
        return created

    def _upload_of(self, bucket: str, key: str, upload_id: str) -> _Upload:
        upload_ = self._uploads.get(upload_id)
        if upload_ is None:
            raise InvalidArgument(
                f"upload {upload_id!r} was not started by this encryption client: the data key "
                "of an encrypted multipart upload lives only in the client that started it"
            )
        if (upload_.bucket, upload_.key) != (bucket, key):
            raise InvalidArgument(
                f"upload {upload_id!r} is of {upload_.bucket}/{upload_.key}, not {bucket}/{key}"
            )
        return upload_

    async def upload_part(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        part_number: int,
        data: Body,
        *,
        content_md5: bool = False,
        traffic_limit: int | None = None,
        sse_customer_key: bytes | None = None,
        extra_headers: Mapping[str, str] | None = None,
    ) -> UploadPartResult:
        """Encrypt and upload part ``part_number`` of an upload this client started: at most
        its ``part_size`` bytes (exactly, unless it is the last). Uploading a part again with
        other bytes reuses its keystream (the server would see both): send the same bytes."""
        check_bucket(bucket)
        check_key(key)
        check_part_number(part_number)
        check_upload_id(upload_id)
        upload_ = self._upload_of(bucket, key, upload_id)
        extra = _checked_extra(extra_headers)
        part = PartOptions(traffic_limit=traffic_limit, sse_customer_key=sse_customer_key)
        body = make_body(data)
        if body.length is not None and body.length > upload_.part_size:
            raise InvalidArgument(
                f"part {part_number} is {body.length} bytes, more than the upload's part_size "
                f"{upload_.part_size}"
            )
        offset = (part_number - 1) * upload_.part_size
        ciphered = CipheredBody(body, upload_.cipher, offset, limit=upload_.part_size)
        result = await multipart.upload_part(
            self._engine,
            bucket,
            key,
            upload_id,
            part_number,
            ciphered,
            part=part,
            content_md5=content_md5,
            extra=extra,
        )
        upload_.sizes[part_number] = ciphered.crc.length
        return result

    async def complete_multipart_upload(
        self,
        bucket: str,
        key: str,
        upload_id: str,
        parts: Iterable[tuple[int, str] | UploadPartResult | UploadPartCopyResult | PartInfo],
    ) -> CompleteMultipartUploadResult:
        """Assemble the parts, after checking they make one CTR stream: parts 1..N, each sent
        by this client, all but the last of ``part_size`` bytes (``InvalidArgument`` before the
        request otherwise)."""
        check_bucket(bucket)
        check_key(key)
        check_upload_id(upload_id)
        upload_ = self._upload_of(bucket, key, upload_id)
        pairs = part_pairs(parts)
        numbers = [n for n, _ in pairs]
        if numbers != list(range(1, len(numbers) + 1)) or len(numbers) > MAX_PARTS:
            raise InvalidArgument(
                f"an encrypted upload is completed with parts 1..N without gaps, got {numbers}"
            )
        for n in numbers:
            size = upload_.sizes.get(n)
            if size is None:
                raise InvalidArgument(f"part {n} was not uploaded through this client")
            if n < len(numbers) and size != upload_.part_size:
                raise InvalidArgument(
                    f"part {n} is {size} bytes; every part but the last must be part_size "
                    f"({upload_.part_size}) for the object to be one stream"
                )
        result = await multipart.complete_multipart_upload(
            self._engine, bucket, key, upload_id, pairs
        )
        self._uploads.pop(upload_id, None)
        return result

    async def abort_multipart_upload(self, bucket: str, key: str, upload_id: str) -> Result:
        """Abort an encrypted multipart upload (and forget its data key)."""
        check_bucket(bucket)
        check_key(key)
        check_upload_id(upload_id)
        result = await multipart.abort_multipart_upload(self._engine, bucket, key, upload_id)
        self._uploads.pop(upload_id, None)
        return result
