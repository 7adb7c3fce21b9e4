"""The handlers of the local COS server, one module per family, and the table from each
:class:`Operation` to its handler.

A handler is ``async (app, ctx, bucket) -> response``: when it runs, the request is
authenticated, ``bucket`` exists and the key (if any) is of a valid length. The two operations
that need no existing bucket (listing the buckets, creating one) are ``async (app, ctx)``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from aiohttp import web

from cos_async.testing._context import Ctx
from cos_async.testing._operations import BUCKET_CONFIGS, Operation
from cos_async.testing._state import AppState
from cos_async.testing._store import BucketState

from . import bucket_config, forms, image, listing, listing_v2, multipart, objects, select, service
from .common import valid_bucket_name
from .control import control
from .fetch import get_async_fetch_task, put_async_fetch_task
from .symlink import get_symlink, put_symlink

__all__ = [
    "HANDLERS",
    "SERVICE_HANDLERS",
    "BucketHandler",
    "ServiceHandler",
    "control",
    "valid_bucket_name",
]

BucketHandler = Callable[[AppState, Ctx, BucketState], Awaitable[web.StreamResponse]]
ServiceHandler = Callable[[AppState, Ctx], Awaitable[web.StreamResponse]]

_O = Operation

#: Operations answered without an existing bucket.
SERVICE_HANDLERS: Mapping[Operation, ServiceHandler] = {
    _O.ListBuckets: service.list_buckets,
    _O.PutBucket: service.put_bucket,
}


def _config_handlers() -> dict[Operation, BucketHandler]:
    """The stored-document families share three handlers; ACL and versioning have their own."""
    table: dict[Operation, BucketHandler] = {
        _O.GetBucketACL: bucket_config.get_bucket_acl,
        _O.PutBucketACL: bucket_config.put_bucket_acl,
        _O.GetBucketVersioning: bucket_config.get_bucket_versioning,
        _O.PutBucketVersioning: bucket_config.put_bucket_versioning,
        _O.GetBucketDomainCertificate: bucket_config.get_domain_certificate,
        _O.PutBucketDomainCertificate: bucket_config.put_domain_certificate,
        _O.DeleteBucketDomainCertificate: bucket_config.delete_domain_certificate,
    }
    generic = (
        bucket_config.get_bucket_config,
        bucket_config.put_bucket_config,
        bucket_config.delete_bucket_config,
    )
    for ops in BUCKET_CONFIGS.values():
        for op, handler in zip(ops, generic, strict=True):
            if op is not None:
                table.setdefault(op, handler)
    return table


#: Every other operation: a bucket that exists is looked up first.
HANDLERS: Mapping[Operation, BucketHandler] = {
    # service and buckets
    _O.HeadBucket: service.head_bucket,
    _O.DeleteBucket: service.delete_bucket,
    _O.GetBucketLocation: service.get_bucket_location,
    # bucket configuration
    **_config_handlers(),
    _O.ListBucketInventoryConfigurations: bucket_config.list_inventory_configurations,
    _O.ListBucketIntelligentTieringConfigurations: bucket_config.list_tiering_rules,
    _O.PostBucketInventory: bucket_config.post_bucket_inventory,
    # listing
    _O.GetBucket: listing.get_bucket,
    _O.ListObjectsV2: listing_v2.list_objects_v2,
    _O.ListObjectVersions: listing.list_object_versions,
    _O.ListMultipartUploads: listing.list_multipart_uploads,
    # objects
    _O.PutObject: objects.put_object,
    _O.GetObject: objects.get_object,
    _O.HeadObject: objects.head_object,
    _O.DeleteObject: objects.delete_object,
    _O.DeleteMultipleObjects: objects.delete_multiple,
    _O.PutObjectCopy: objects.copy_object,
    _O.AppendObject: objects.append_object,
    _O.PostObjectRestore: objects.restore_object,
    _O.PutSymlink: put_symlink,
    _O.GetSymlink: get_symlink,
    # async fetch (the migration service)
    _O.PutAsyncFetchTask: put_async_fetch_task,
    _O.GetAsyncFetchTask: get_async_fetch_task,
    _O.GetObjectACL: objects.get_object_acl,
    _O.PutObjectACL: objects.put_object_acl,
    _O.GetObjectTagging: objects.get_object_tagging,
    _O.PutObjectTagging: objects.put_object_tagging,
    _O.DeleteObjectTagging: objects.delete_object_tagging,
    # multipart
    _O.InitiateMultipartUpload: multipart.initiate_upload,
    _O.UploadPart: multipart.upload_part,
    _O.UploadPartCopy: multipart.upload_part_copy,
    _O.ListParts: multipart.list_parts,
    _O.CompleteMultipartUpload: multipart.complete_upload,
    _O.AbortMultipartUpload: multipart.abort_upload,
    # select, forms, preflight
    _O.SelectObjectContent: select.select_object_content,
    _O.PostObject: forms.post_object,
    _O.OptionsObject: forms.options_object,
    # image processing
    _O.PutObjectWithProcessing: image.put_object_processed,
    _O.ImageProcess: image.image_process,
    _O.GetObjectProcessed: image.get_object_processed,
    _O.GenerateQRCode: image.generate_qrcode,
}
