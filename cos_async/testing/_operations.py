"""The COS operations the local server answers, named as in the COS API.

Every request the server accepts is classified as one :class:`Operation` (see ``_routes``); the
request log records it and fault rules match on it. Pure data, no I/O.
"""

from __future__ import annotations

import difflib
import enum

__all__ = ["BUCKET_CONFIGS", "CONFIG_SUBRESOURCE", "Operation", "operation_named"]


class Operation(str, enum.Enum):
    """A COS operation, by its COS API name (``Operation.UploadPart == "UploadPart"``).

    A ``str`` enum: a member compares equal to its name as a string, so
    ``record.operation == "GetObject"`` and ``FaultRule(operation="UploadPart")`` keep working,
    while a misspelled name is refused instead of never matching.
    """

    # --- service ------------------------------------------------------------------------------
    ListBuckets = "ListBuckets"

    # --- buckets ------------------------------------------------------------------------------
    PutBucket = "PutBucket"
    HeadBucket = "HeadBucket"
    DeleteBucket = "DeleteBucket"
    GetBucketLocation = "GetBucketLocation"

    # --- listing ------------------------------------------------------------------------------
    GetBucket = "GetBucket"  # List Objects
    ListObjectsV2 = "ListObjectsV2"  # GET Bucket with list-type=2 (S3's ListObjectsV2)
    ListObjectVersions = "ListObjectVersions"
    ListMultipartUploads = "ListMultipartUploads"

    # --- bucket configuration (``?acl``, ``?cors``, ...: see BUCKET_CONFIGS) -------------------
    GetBucketACL = "GetBucketACL"
    PutBucketACL = "PutBucketACL"
    GetBucketCORS = "GetBucketCORS"
    PutBucketCORS = "PutBucketCORS"
    DeleteBucketCORS = "DeleteBucketCORS"
    GetBucketLifecycle = "GetBucketLifecycle"
    PutBucketLifecycle = "PutBucketLifecycle"
    DeleteBucketLifecycle = "DeleteBucketLifecycle"
    GetBucketVersioning = "GetBucketVersioning"
    PutBucketVersioning = "PutBucketVersioning"
    GetBucketReplication = "GetBucketReplication"
    PutBucketReplication = "PutBucketReplication"
    DeleteBucketReplication = "DeleteBucketReplication"
    GetBucketWebsite = "GetBucketWebsite"
    PutBucketWebsite = "PutBucketWebsite"
    DeleteBucketWebsite = "DeleteBucketWebsite"
    GetBucketLogging = "GetBucketLogging"
    PutBucketLogging = "PutBucketLogging"
    DeleteBucketLogging = "DeleteBucketLogging"
    GetBucketPolicy = "GetBucketPolicy"
    PutBucketPolicy = "PutBucketPolicy"
    DeleteBucketPolicy = "DeleteBucketPolicy"
    GetBucketDomain = "GetBucketDomain"
    PutBucketDomain = "PutBucketDomain"
    DeleteBucketDomain = "DeleteBucketDomain"
    GetBucketInventory = "GetBucketInventory"
    PutBucketInventory = "PutBucketInventory"
    DeleteBucketInventory = "DeleteBucketInventory"
    ListBucketInventoryConfigurations = "ListBucketInventoryConfigurations"
    GetBucketTagging = "GetBucketTagging"
    PutBucketTagging = "PutBucketTagging"
    DeleteBucketTagging = "DeleteBucketTagging"
    GetBucketReferer = "GetBucketReferer"
    PutBucketReferer = "PutBucketReferer"
    DeleteBucketReferer = "DeleteBucketReferer"
    GetBucketEncryption = "GetBucketEncryption"
    PutBucketEncryption = "PutBucketEncryption"
    DeleteBucketEncryption = "DeleteBucketEncryption"
    GetBucketIntelligentTiering = "GetBucketIntelligentTiering"
    PutBucketIntelligentTiering = "PutBucketIntelligentTiering"
    DeleteBucketIntelligentTiering = "DeleteBucketIntelligentTiering"
    GetBucketObjectLock = "GetBucketObjectLock"
    PutBucketObjectLock = "PutBucketObjectLock"
    DeleteBucketObjectLock = "DeleteBucketObjectLock"
    GetBucketOrigin = "GetBucketOrigin"
    PutBucketOrigin = "PutBucketOrigin"
    DeleteBucketOrigin = "DeleteBucketOrigin"
    GetBucketResponseControl = "GetBucketResponseControl"
    PutBucketResponseControl = "PutBucketResponseControl"
    DeleteBucketResponseControl = "DeleteBucketResponseControl"
    GetBucketDomainCertificate = "GetBucketDomainCertificate"
    PutBucketDomainCertificate = "PutBucketDomainCertificate"
    DeleteBucketDomainCertificate = "DeleteBucketDomainCertificate"
    # intelligent-tiering rules by id (``?intelligent-tiering&id=``; v1 is ``?intelligenttiering``)
    GetBucketIntelligentTieringRule = "GetBucketIntelligentTieringRule"
    PutBucketIntelligentTieringRule = "PutBucketIntelligentTieringRule"
    DeleteBucketIntelligentTieringRule = "DeleteBucketIntelligentTieringRule"
    ListBucketIntelligentTieringConfigurations = "ListBucketIntelligentTieringConfigurations"
    PostBucketInventory = "PostBucketInventory"  # a one-off inventory

    # --- objects ------------------------------------------------------------------------------
    PutObject = "PutObject"
    GetObject = "GetObject"
    HeadObject = "HeadObject"
    DeleteObject = "DeleteObject"
    DeleteMultipleObjects = "DeleteMultipleObjects"
    PutObjectCopy = "PutObjectCopy"
    AppendObject = "AppendObject"
    PostObjectRestore = "PostObjectRestore"
    PutSymlink = "PutSymlink"
    GetSymlink = "GetSymlink"
    GetObjectACL = "GetObjectACL"
    PutObjectACL = "PutObjectACL"
    GetObjectTagging = "GetObjectTagging"
    PutObjectTagging = "PutObjectTagging"
    DeleteObjectTagging = "DeleteObjectTagging"

    # --- multipart ----------------------------------------------------------------------------
    InitiateMultipartUpload = "InitiateMultipartUpload"
    UploadPart = "UploadPart"
    UploadPartCopy = "UploadPartCopy"
    ListParts = "ListParts"
    CompleteMultipartUpload = "CompleteMultipartUpload"
    AbortMultipartUpload = "AbortMultipartUpload"

    # --- image processing (Cloud Infinite, the documented subset: see _imaging) ------------------
    PutObjectWithProcessing = "PutObjectWithProcessing"  # PUT Object with Pic-Operations
    ImageProcess = "ImageProcess"  # POST ?image_process
    GetObjectProcessed = "GetObjectProcessed"  # GET with a rule, ?imageInfo, ?ci-process=QRcode
    GenerateQRCode = "GenerateQRCode"  # GET bucket ?ci-process=qrcode-generate

    # --- async fetch (the migration service, on a host of its own: see _routes) ---------------
    PutAsyncFetchTask = "PutAsyncFetchTask"
    GetAsyncFetchTask = "GetAsyncFetchTask"

    # --- select, HTML forms, CORS preflight ----------------------------------------------------
    SelectObjectContent = "SelectObjectContent"
    PostObject = "PostObject"
    OptionsObject = "OptionsObject"

    def __str__(self) -> str:
        return self.value


def operation_named(value: object) -> Operation:
    """``value`` as an :class:`Operation`: a member, or a string equal to one's name.

    Raises ``ValueError`` naming the bad value (and the closest names) and listing the valid ones.
    """
    if isinstance(value, Operation):
        return value
    if not isinstance(value, str):
        raise ValueError(f"operation must be a string, got {value!r}")
    try:
        return Operation(value)
    except ValueError:
        pass
    names = [op.value for op in Operation]
    close = difflib.get_close_matches(value, names, n=3)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    raise ValueError(
        f"unknown operation {value!r}{hint}; valid operations: {', '.join(sorted(names))}"
    )


_O = Operation

#: The bucket-configuration families, by sub-resource (in the order the server looks for them in
#: a query string): the operations of GET, PUT and DELETE on ``?<sub-resource>``. ``None``: COS
#: has no such request (DELETE ``?acl``, DELETE ``?versioning``), answered 405.
BUCKET_CONFIGS: dict[str, tuple[Operation, Operation, Operation | None]] = {
    "acl": (_O.GetBucketACL, _O.PutBucketACL, None),
    "cors": (_O.GetBucketCORS, _O.PutBucketCORS, _O.DeleteBucketCORS),
    "lifecycle": (_O.GetBucketLifecycle, _O.PutBucketLifecycle, _O.DeleteBucketLifecycle),
    "versioning": (_O.GetBucketVersioning, _O.PutBucketVersioning, None),
    "replication": (_O.GetBucketReplication, _O.PutBucketReplication, _O.DeleteBucketReplication),
    "website": (_O.GetBucketWebsite, _O.PutBucketWebsite, _O.DeleteBucketWebsite),
    "logging": (_O.GetBucketLogging, _O.PutBucketLogging, _O.DeleteBucketLogging),
    "policy": (_O.GetBucketPolicy, _O.PutBucketPolicy, _O.DeleteBucketPolicy),
    "domain": (_O.GetBucketDomain, _O.PutBucketDomain, _O.DeleteBucketDomain),
    "inventory": (_O.GetBucketInventory, _O.PutBucketInventory, _O.DeleteBucketInventory),
    "tagging": (_O.GetBucketTagging, _O.PutBucketTagging, _O.DeleteBucketTagging),
    "referer": (_O.GetBucketReferer, _O.PutBucketReferer, _O.DeleteBucketReferer),
    "encryption": (_O.GetBucketEncryption, _O.PutBucketEncryption, _O.DeleteBucketEncryption),
    "intelligenttiering": (
        _O.GetBucketIntelligentTiering,
        _O.PutBucketIntelligentTiering,
        _O.DeleteBucketIntelligentTiering,
    ),
    "object-lock": (_O.GetBucketObjectLock, _O.PutBucketObjectLock, _O.DeleteBucketObjectLock),
    "origin": (_O.GetBucketOrigin, _O.PutBucketOrigin, _O.DeleteBucketOrigin),
    "response-control": (
        _O.GetBucketResponseControl,
        _O.PutBucketResponseControl,
        _O.DeleteBucketResponseControl,
    ),
    "domaincertificate": (
        _O.GetBucketDomainCertificate,
        _O.PutBucketDomainCertificate,
        _O.DeleteBucketDomainCertificate,
    ),
    "intelligent-tiering": (
        _O.GetBucketIntelligentTieringRule,
        _O.PutBucketIntelligentTieringRule,
        _O.DeleteBucketIntelligentTieringRule,
    ),
}

#: Each bucket-configuration operation's sub-resource (``PutBucketCORS`` -> ``"cors"``).
CONFIG_SUBRESOURCE: dict[Operation, str] = {
    op: sub for sub, ops in BUCKET_CONFIGS.items() for op in ops if op is not None
}
