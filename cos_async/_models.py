"""Result models: frozen attrs classes. Every operation result carries ``request_id`` and the
response ``headers`` (a case-insensitive mapping), so nothing COS said is lost."""

from __future__ import annotations

import datetime as _dt
import email.utils
import enum
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any

import attrs
from multidict import CIMultiDict, CIMultiDictProxy

from ._image_results import ImageProcessResult

__all__ = [
    "AccessControlPolicy",
    "AppendObjectResult",
    "BucketInfo",
    "BucketLocation",
    "BucketPolicy",
    "CommonPrefix",
    "CompleteMultipartUploadResult",
    "CopyObjectResult",
    "CorsPreflight",
    "DeleteError",
    "DeleteObjectResult",
    "DeleteObjectsResult",
    "DeletedObject",
    "Grant",
    "HeadBucketResult",
    "InventoryConfigurations",
    "ListBucketsPage",
    "ListMultipartUploadsPage",
    "ListObjectVersionsPage",
    "ListObjectsPage",
    "ListPartsPage",
    "MultipartUpload",
    "MultipartUploadInfo",
    "ObjectInfo",
    "ObjectMeta",
    "ObjectTagging",
    "ObjectVersionInfo",
    "PartInfo",
    "PresignedPost",
    "PutObjectResult",
    "RequestEvent",
    "RequestHook",
    "ResponseEvent",
    "ResponseHook",
    "RestoreObjectResult",
    "Result",
    "SignedAuthorization",
    "StorageClass",
    "Symlink",
    "SymlinkResult",
    "TransferResult",
    "TransferSummary",
    "UploadPartCopyResult",
    "UploadPartResult",
]


class StorageClass(str, enum.Enum):
    """COS storage classes."""

    STANDARD = "STANDARD"
    STANDARD_IA = "STANDARD_IA"
    ARCHIVE = "ARCHIVE"
    DEEP_ARCHIVE = "DEEP_ARCHIVE"
    INTELLIGENT_TIERING = "INTELLIGENT_TIERING"
    MAZ_STANDARD = "MAZ_STANDARD"
    MAZ_STANDARD_IA = "MAZ_STANDARD_IA"
    MAZ_INTELLIGENT_TIERING = "MAZ_INTELLIGENT_TIERING"

    def __str__(self) -> str:
        return self.value


Headers = Mapping[str, str]
_EMPTY: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict())


def freeze_headers(headers: Mapping[str, str] | None) -> CIMultiDictProxy[str]:
    if headers is None:
        return _EMPTY
    if isinstance(headers, CIMultiDictProxy):
        return headers
    return CIMultiDictProxy(CIMultiDict(headers))


_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                                        "Sep", "Oct", "Nov", "Dec"), 1)}  # fmt: skip
#: "Fri, 04 Dec 2026 05:06:07 GMT", the form HTTP and COS send (RFC 9110 IMF-fixdate)
_IMF_FIXDATE = re.compile(r"[A-Z][a-z]{2}, (\d\d) ([A-Z][a-z]{2}) (\d{4}) (\d\d):(\d\d):(\d\d) GMT")


def parse_http_date(value: str | None) -> _dt.datetime | None:
    if not value:
        return None
    m = _IMF_FIXDATE.fullmatch(value)
    if m is not None and m.group(2) in _MONTHS:  # the usual form, 5x faster than email.utils
        day, _, year, hour, minute, second = m.groups()
        try:
            return _dt.datetime(
                int(year),
                _MONTHS[m.group(2)],
                int(day),
                int(hour),
                int(minute),
                int(second),
                tzinfo=_dt.timezone.utc,
            )
        except ValueError:
            return None
    try:
        return email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


def parse_iso_date(value: str | None) -> _dt.datetime | None:
    if not value:
        return None
    try:
        return _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return parse_http_date(value)


def parse_crc(value: str | None) -> int | None:
    if value is None or not value.strip().isascii() or not value.strip().isdigit():
        return None
    return int(value)


@attrs.frozen(kw_only=True)
class Result:
    """Base of operation results."""

    request_id: str | None = None
    headers: Headers = attrs.field(default=_EMPTY, repr=False, eq=False)


class _AnswerFields:
    """``request_id`` and ``headers`` on a result that is a builtin value (a ``str``, an
    ``int``, a ``tuple``): the value behaves as before, the answer's fields ride along."""

    request_id: str | None
    headers: Headers


class BucketLocation(str, _AnswerFields):
    """The region of a bucket (``get_bucket_location``): a ``str``, with ``request_id`` and
    ``headers``."""

    def __new__(
        cls, region: str, *, request_id: str | None = None, headers: Headers | None = None
    ) -> BucketLocation:
        self = super().__new__(cls, region)
        self.request_id = request_id
        self.headers = freeze_headers(headers)
        return self

    @property
    def region(self) -> str:
        return str(self)


class RestoreObjectResult(int, _AnswerFields):
    """What ``restore_object`` answered: an ``int``, the status (202: the restore started, 200:
    it was already restored, its expiry extended), with ``request_id`` and ``headers``."""

    def __new__(
        cls, status: int, *, request_id: str | None = None, headers: Headers | None = None
    ) -> RestoreObjectResult:
        self = super().__new__(cls, status)
        self.request_id = request_id
        self.headers = freeze_headers(headers)
        return self

    @property
    def status(self) -> int:
        return int(self)


@attrs.frozen(kw_only=True, eq=False)
class ObjectTagging(Result, Mapping[str, str]):
    """An object's tags (``get_object_tagging``): a read-only mapping of key to value (equal to
    a ``dict`` of the same tags), with ``request_id`` and ``headers``."""

    tags: Mapping[str, str] = attrs.field(factory=dict)

    def __getitem__(self, key: str) -> str:
        return self.tags[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tags)

    def __len__(self) -> int:
        return len(self.tags)

    def __eq__(self, other: object) -> bool:
        return Mapping.__eq__(self, other)  # equal to any mapping of the same tags

    __hash__ = None  # type: ignore[assignment]


@attrs.frozen(kw_only=True, eq=False)
class BucketPolicy(Result, Mapping[str, Any]):
    """A bucket policy (``get_bucket_policy``): the JSON document as a read-only mapping (equal
    to the ``dict`` of the same document), with ``request_id`` and ``headers``."""

    document: Mapping[str, Any] = attrs.field(factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.document[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.document)

    def __len__(self) -> int:
        return len(self.document)

    def __eq__(self, other: object) -> bool:
        return Mapping.__eq__(self, other)  # equal to any mapping of the same document

    __hash__ = None  # type: ignore[assignment]


class InventoryConfigurations(tuple, _AnswerFields):  # type: ignore[type-arg]
    """Every inventory configuration of a bucket (``list_bucket_inventory_configurations``): a
    ``tuple``, with the ``request_ids`` of the pages that listed them."""

    request_ids: tuple[str, ...]

    def __new__(
        cls, configurations: Iterable[Any], *, request_ids: Iterable[str] = ()
    ) -> InventoryConfigurations:
        self = super().__new__(cls, configurations)
        self.request_ids = tuple(request_ids)
        self.request_id = self.request_ids[-1] if self.request_ids else None
        self.headers = freeze_headers(None)
        return self


@attrs.frozen(kw_only=True)
class BucketInfo:
    """A bucket in ``list_buckets``: name, region and creation time."""

    name: str
    region: str
    created: _dt.datetime | None


@attrs.frozen(kw_only=True)
class ListBucketsPage(Result):
    """One page of ``list_buckets``: buckets in name order, and the marker to continue from."""

    buckets: tuple[BucketInfo, ...]
    owner_id: str | None = None
    owner_display_name: str | None = None
    is_truncated: bool = False
    next_marker: str | None = None
    marker: str = ""


@attrs.frozen(kw_only=True)
class HeadBucketResult(Result):
    """The answer of ``head_bucket`` / ``create_bucket`` (``region`` from ``x-cos-bucket-region``)."""

    region: str | None = None


@attrs.frozen(kw_only=True)
class PutObjectResult(Result):
    """The answer of ``put_object``: ETag, CRC64 and version id; with ``pic_operations``, what
    COS processed (``processing``)."""

    etag: str
    crc64: int | None = None
    version_id: str | None = None
    #: the ``UploadResult`` of processing on upload (``pic_operations=``), else ``None``
    processing: ImageProcessResult | None = None


@attrs.frozen(kw_only=True)
class ObjectMeta(Result):
    """What HEAD (and GET) say about an object."""

    size: int
    etag: str
    last_modified: _dt.datetime | None
    content_type: str | None = None
    content_encoding: str | None = None
    content_disposition: str | None = None
    content_language: str | None = None
    cache_control: str | None = None
    expires: str | None = None
    #: user metadata without the ``x-cos-meta-`` prefix
    metadata: Mapping[str, str] = attrs.field(factory=dict)
    storage_class: str = "STANDARD"
    version_id: str | None = None
    crc64: int | None = None
    object_type: str = "normal"
    restore: str | None = None
    tagging_count: int = 0
    server_side_encryption: str | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], request_id: str | None) -> ObjectMeta:
        h = freeze_headers(headers)
        size_text = h.get("Content-Range", "").rpartition("/")[2] if "Content-Range" in h else ""
        size = int(size_text) if size_text.isdigit() else int(h.get("Content-Length", "0") or 0)
        tagging = h.get("x-cos-tagging-count", "0")
        return cls(
            request_id=request_id,
            headers=h,
            size=size,
            etag=h.get("ETag", ""),
            last_modified=parse_http_date(h.get("Last-Modified")),
            content_type=h.get("Content-Type"),
            content_encoding=h.get("Content-Encoding"),
            content_disposition=h.get("Content-Disposition"),
            content_language=h.get("Content-Language"),
            cache_control=h.get("Cache-Control"),
            expires=h.get("Expires"),
            metadata={
                k[len("x-cos-meta-") :]: v
                for k, v in h.items()
                if k.lower().startswith("x-cos-meta-")
            },
            storage_class=h.get("x-cos-storage-class", "STANDARD"),
            version_id=h.get("x-cos-version-id"),
            crc64=parse_crc(h.get("x-cos-hash-crc64ecma")),
            object_type=h.get("x-cos-object-type", "normal"),
            restore=h.get("x-cos-restore"),
            tagging_count=int(tagging) if tagging.isdigit() else 0,
            server_side_encryption=h.get("x-cos-server-side-encryption"),
        )


@attrs.frozen(kw_only=True)
class ObjectInfo:
    """One entry of a listing."""

    key: str
    size: int
    etag: str
    last_modified: _dt.datetime | None
    storage_class: str = "STANDARD"
    owner_id: str | None = None


@attrs.frozen
class CommonPrefix:
    """A "directory" of a listing with a delimiter: every key under ``prefix`` (which ends with
    the delimiter) is grouped into it (``list_dir`` yields these beside the objects)."""

    prefix: str


@attrs.frozen(kw_only=True)
class ListObjectsPage(Result):
    """One page of ``list_objects``: objects, common prefixes, and the marker to continue from."""

    objects: tuple[ObjectInfo, ...]
    common_prefixes: tuple[str, ...]
    is_truncated: bool
    next_marker: str | None
    prefix: str = ""
    delimiter: str = ""
    marker: str = ""


@attrs.frozen(kw_only=True)
class ObjectVersionInfo:
    """One version or delete marker in ``list_object_versions``."""

    key: str
    version_id: str
    is_latest: bool
    is_delete_marker: bool
    last_modified: _dt.datetime | None
    size: int = 0
    etag: str | None = None
    storage_class: str | None = None


@attrs.frozen(kw_only=True)
class ListObjectVersionsPage(Result):
    """One page of ``list_object_versions``."""

    versions: tuple[ObjectVersionInfo, ...]
    common_prefixes: tuple[str, ...]
    is_truncated: bool
    next_key_marker: str | None
    next_version_id_marker: str | None


@attrs.frozen(kw_only=True)
class DeleteObjectResult(Result):
    """The answer of ``delete_object``."""

    version_id: str | None = None
    delete_marker: bool = False


@attrs.frozen(kw_only=True)
class DeletedObject:
    """A key that ``delete_objects`` deleted."""

    key: str
    version_id: str | None = None
    delete_marker: bool = False
    delete_marker_version_id: str | None = None


@attrs.frozen(kw_only=True)
class DeleteError:
    """A key that ``delete_objects`` could not delete, with COS's code and message."""

    key: str
    code: str
    message: str
    version_id: str | None = None


@attrs.frozen(kw_only=True)
class DeleteObjectsResult:
    """Merged results of all the batches (at most 1000 keys each) a ``delete_objects`` sent."""

    deleted: tuple[DeletedObject, ...]
    errors: tuple[DeleteError, ...]
    request_ids: tuple[str, ...] = ()


@attrs.frozen(kw_only=True)
class CopyObjectResult(Result):
    """The answer of ``copy_object``."""

    etag: str
    last_modified: _dt.datetime | None
    crc64: int | None = None
    version_id: str | None = None
    source_version_id: str | None = None


@attrs.frozen(kw_only=True)
class AppendObjectResult(Result):
    """The answer of ``append_object``; ``next_position`` is where the next append goes."""

    etag: str
    next_position: int
    crc64: int | None = None


@attrs.frozen(kw_only=True)
class Grant:
    """A grantee (``id`` like ``qcs::cam::uin/1:uin/1``, or ``uri`` for groups) and a permission."""

    permission: str
    id: str | None = None
    uri: str | None = None
    display_name: str | None = None


@attrs.frozen(kw_only=True)
class AccessControlPolicy(Result):
    """An object's or bucket's ACL."""

    owner_id: str | None
    grants: tuple[Grant, ...]


@attrs.frozen(kw_only=True)
class MultipartUpload(Result):
    """A started multipart upload (its ``upload_id``)."""

    bucket: str
    key: str
    upload_id: str


@attrs.frozen(kw_only=True)
class UploadPartResult(Result):
    """The answer of ``upload_part``: the part's ETag and CRC64."""

    part_number: int
    etag: str
    crc64: int | None = None


@attrs.frozen(kw_only=True)
class UploadPartCopyResult(Result):
    """The answer of ``upload_part_copy``."""

    part_number: int
    etag: str
    last_modified: _dt.datetime | None
    crc64: int | None = None


@attrs.frozen(kw_only=True)
class PartInfo:
    """An uploaded part in ``list_parts``."""

    part_number: int
    etag: str
    size: int
    last_modified: _dt.datetime | None
    crc64: int | None = None


@attrs.frozen(kw_only=True)
class ListPartsPage(Result):
    """One page of ``list_parts``."""

    parts: tuple[PartInfo, ...]
    is_truncated: bool
    next_part_number_marker: int | None
    storage_class: str | None = None


@attrs.frozen(kw_only=True)
class CompleteMultipartUploadResult(Result):
    """The answer of ``complete_multipart_upload``: the object's ETag and CRC64."""

    etag: str
    location: str | None
    bucket: str
    key: str
    crc64: int | None = None
    version_id: str | None = None


@attrs.frozen(kw_only=True)
class MultipartUploadInfo:
    """A multipart upload in progress, in ``list_multipart_uploads``."""

    key: str
    upload_id: str
    initiated: _dt.datetime | None
    storage_class: str | None = None
    #: who owns the upload, and who started it (COS's ``Owner`` and ``Initiator``)
    owner_id: str | None = None
    owner_display_name: str | None = None
    initiator_id: str | None = None
    initiator_display_name: str | None = None


@attrs.frozen(kw_only=True)
class ListMultipartUploadsPage(Result):
    """One page of ``list_multipart_uploads``."""

    uploads: tuple[MultipartUploadInfo, ...]
    common_prefixes: tuple[str, ...]
    is_truncated: bool
    next_key_marker: str | None
    next_upload_id_marker: str | None


@attrs.frozen(kw_only=True)
class TransferResult:
    """The outcome of ``upload_file`` / ``upload_stream`` / ``copy`` / ``download_file``."""

    bucket: str
    key: str
    size: int
    etag: str
    crc64: int | None
    version_id: str | None = None
    parts: int = 1
    #: parts found done in the checkpoint and not transferred again
    resumed_parts: int = 0
    request_id: str | None = None
    #: the ``UploadResult`` of processing on upload (``upload_file(..., pic_operations=)``)
    processing: ImageProcessResult | None = None


@attrs.frozen(kw_only=True)
class TransferSummary:
    """The outcome of a directory transfer or a prefix delete."""

    #: keys written (upload) or read (download, delete)
    transferred: tuple[str, ...]
    #: what was passed over: special files and unfollowed links (upload), directory markers
    #: (download)
    skipped: tuple[str, ...]
    #: ``(key, "ErrorClass: message")`` of each file or object that failed; the others went on
    failed: tuple[tuple[str, str], ...]
    bytes: int
    #: keys not sent again because both sides already held the same bytes (``skip_unchanged``)
    unchanged: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.failed


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


@attrs.frozen(kw_only=True)
class PresignedPost:
    """A signed browser form upload (``presign_post``): POST a ``multipart/form-data`` form to
    ``url`` with every item of ``fields`` and then the ``file`` field, last. The repr lists the
    field names only: the policy signature (and a temporary token) are credentials."""

    url: str
    fields: dict[str, str] = attrs.field(repr=lambda f: "{" + ", ".join(sorted(f)) + "}")
    expires: _dt.datetime
    policy: dict[str, Any] = attrs.field(repr=False)


@attrs.frozen(kw_only=True)
class CorsPreflight(Result):
    """The answer to a CORS preflight (``options_object``): what the bucket's CORS rules allow
    for the origin, method and request headers asked about."""

    allowed_origin: str
    allowed_methods: tuple[str, ...]
    allowed_headers: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int | None


@attrs.frozen(kw_only=True)
class RequestEvent:
    """Passed to a client's ``on_request`` hook before each attempt of a request. ``url`` is
    the request URL with its sub-resource and option parameters (never a signature: requests
    are signed in a header)."""

    method: str
    url: str
    bucket: str | None
    key: str | None
    attempt: int


@attrs.frozen(kw_only=True)
class ResponseEvent:
    """Passed to a client's ``on_response`` hook after each attempt: the HTTP ``status`` and
    ``request_id`` when COS answered, the ``error`` that ended the attempt if any (a retried
    503, a reset connection...), and the attempt's ``duration`` in seconds."""

    method: str
    url: str
    bucket: str | None
    key: str | None
    attempt: int
    status: int | None
    request_id: str | None
    duration: float
    error: BaseException | None


#: an ``on_request`` hook: a function of a RequestEvent, possibly returning an awaitable
RequestHook = Callable[[RequestEvent], "Awaitable[None] | None"]
#: an ``on_response`` hook: a function of a ResponseEvent, possibly returning an awaitable
ResponseHook = Callable[[ResponseEvent], "Awaitable[None] | None"]


@attrs.frozen(kw_only=True)
class SignedAuthorization:
    """What :meth:`~cos_async.AsyncCosClient.get_auth` makes: the ``Authorization`` value of a
    request someone else sends, and the headers that go with it. ``str()`` of it is the
    ``Authorization`` value. Its ``repr`` shows no signature."""

    #: the ``Authorization`` header's value
    authorization: str = attrs.field(repr=False)
    #: the token of temporary credentials, sent as ``x-cos-security-token`` (signed)
    security_token: str | None = attrs.field(default=None, repr=False)
    #: the ``Host`` the signature covers (``None``: signed without it)
    host: str | None = None

    def as_headers(self) -> dict[str, str]:
        """The headers to send: ``Authorization``, and ``x-cos-security-token`` when the
        credentials are temporary."""
        headers = {"Authorization": self.authorization}
        if self.security_token:
            headers["x-cos-security-token"] = self.security_token
        return headers

    def __str__(self) -> str:
        return self.authorization


@attrs.frozen(kw_only=True)
class SymlinkResult(Result):
    """The answer of ``put_symlink``: the link's version id (a versioned bucket)."""

    version_id: str | None = None


@attrs.frozen(kw_only=True)
class Symlink(Result):
    """A symbolic link (``get_symlink``): the key it points to (``target``) and its version."""

    target: str
    version_id: str | None = None
