"""cos_async: an async-first SDK for Tencent Cloud Object Storage (COS).

    from cos_async import AsyncCosClient, CosConfig

    config = CosConfig(region="ap-guangzhou", secret_id=..., secret_key=...)
    async with AsyncCosClient(config) as cos:
        await cos.put_object("photos-1250000000", "a.jpg", b"...")

Everything public is re-exported here; modules with a leading underscore are private.
:mod:`cos_async.testing` is a local COS server for tests (the SDK core never imports it).
"""

from __future__ import annotations

import contextlib

from ._body import ObjectBody
from ._client import AsyncCosClient
from ._config import CosConfig, RetryConfig
from ._credentials import (
    Credentials,
    CredentialsProvider,
    EnvironmentCredentials,
    RefreshingCredentials,
    StaticCredentials,
)
from ._errors import (
    AccessDenied,
    BadDigest,
    BucketAlreadyExists,
    BucketNotEmpty,
    CosClientError,
    CosError,
    CosServiceError,
    CosTimeoutError,
    CosTransportError,
    CredentialsError,
    EntityTooSmall,
    IntegrityError,
    InvalidAccessKeyId,
    InvalidArgument,
    InvalidObjectState,
    InvalidPart,
    InvalidPartOrder,
    InvalidRange,
    NoSuchBucket,
    NoSuchKey,
    NoSuchUpload,
    NoSuchVersion,
    NotModified,
    ObjectNotAppendable,
    PositionNotEqualToLength,
    PreconditionFailed,
    RequestExpired,
    RetryExhausted,
    SignatureDoesNotMatch,
    SlowDown,
)
from ._models import (
    AccessControlPolicy,
    AppendObjectResult,
    BucketInfo,
    CompleteMultipartUploadResult,
    CopyObjectResult,
    DeletedObject,
    DeleteError,
    DeleteObjectResult,
    DeleteObjectsResult,
    Grant,
    HeadBucketResult,
    ListBucketsResult,
    ListMultipartUploadsPage,
    ListObjectsPage,
    ListObjectVersionsPage,
    ListPartsPage,
    MultipartUpload,
    MultipartUploadInfo,
    ObjectInfo,
    ObjectMeta,
    ObjectVersionInfo,
    PartInfo,
    PutObjectResult,
    Result,
    StorageClass,
    UploadPartCopyResult,
    UploadPartResult,
)
from ._retry import set_testing

__all__ = [
    "AccessControlPolicy",
    "AccessDenied",
    "AppendObjectResult",
    "AsyncCosClient",
    "BadDigest",
    "BucketAlreadyExists",
    "BucketInfo",
    "BucketNotEmpty",
    "CompleteMultipartUploadResult",
    "CopyObjectResult",
    "CosClientError",
    "CosConfig",
    "CosError",
    "CosServiceError",
    "CosTimeoutError",
    "CosTransportError",
    "Credentials",
    "CredentialsError",
    "CredentialsProvider",
    "DeleteError",
    "DeleteObjectResult",
    "DeleteObjectsResult",
    "DeletedObject",
    "EntityTooSmall",
    "EnvironmentCredentials",
    "Grant",
    "HeadBucketResult",
    "IntegrityError",
    "InvalidAccessKeyId",
    "InvalidArgument",
    "InvalidObjectState",
    "InvalidPart",
    "InvalidPartOrder",
    "InvalidRange",
    "ListBucketsResult",
    "ListMultipartUploadsPage",
    "ListObjectVersionsPage",
    "ListObjectsPage",
    "ListPartsPage",
    "MultipartUpload",
    "MultipartUploadInfo",
    "NoSuchBucket",
    "NoSuchKey",
    "NoSuchUpload",
    "NoSuchVersion",
    "NotModified",
    "ObjectBody",
    "ObjectInfo",
    "ObjectMeta",
    "ObjectNotAppendable",
    "ObjectVersionInfo",
    "PartInfo",
    "PositionNotEqualToLength",
    "PreconditionFailed",
    "PutObjectResult",
    "RefreshingCredentials",
    "RequestExpired",
    "Result",
    "RetryConfig",
    "RetryExhausted",
    "SignatureDoesNotMatch",
    "SlowDown",
    "StaticCredentials",
    "StorageClass",
    "UploadPartCopyResult",
    "UploadPartResult",
    "__version__",
    "set_testing",
]


def __getattr__(name: str) -> str:
    if name == "__version__":
        from importlib.metadata import version

        return version("cos-async")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Public names present themselves as cos_async.X (reprs, docs, pickles stay stable).
for _name in __all__:
    _obj = globals().get(_name)
    if isinstance(_obj, type) or callable(_obj):
        with contextlib.suppress(AttributeError, TypeError):
            _obj.__module__ = __name__
del _name, _obj
