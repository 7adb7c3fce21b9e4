"""The limits COS documents, in one place: the client checks input against them before sending,
the transfers size their parts with them, and the local server (``cos_async.testing``) enforces
them. Pure constants; the line references are into ``seeds/003`` and the inventory
(``research/seed-inventory.md``).
"""

from __future__ import annotations

__all__ = [
    "ARCHIVE_STORAGE_CLASSES",
    "BUCKET_ACLS",
    "DELETE_BATCH",
    "MAX_BUCKET_NAME",
    "MAX_BUCKET_PAGE",
    "MAX_KEY_BYTES",
    "MAX_METADATA_BYTES",
    "MAX_OBJECT_TAGS",
    "MAX_PAGE_SIZE",
    "MAX_PARTS",
    "MAX_PART_NUMBER",
    "MAX_PART_SIZE",
    "MAX_PRESIGN_EXPIRES",
    "MAX_SINGLE_PUT",
    "MAX_TAG_KEY",
    "MAX_TAG_VALUE",
    "MIN_PART_SIZE",
    "OBJECT_ACLS",
    "STORAGE_CLASSES",
    "TRAFFIC_LIMIT_MAX",
    "TRAFFIC_LIMIT_MIN",
    "GiB",
    "KiB",
    "MiB",
]

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

#: Bucket names: ``<name>-<appid>``, at most this many characters in all.
MAX_BUCKET_NAME = 60
#: Object keys: at most 850 bytes of UTF-8.
MAX_KEY_BYTES = 850
#: One PUT Object (or one copy_object) carries at most 5 GB.
MAX_SINGLE_PUT = 5 * GiB
#: Multipart: parts 1..10000, each 1 MB..5 GB (the last part may be smaller).
MIN_PART_SIZE = 1 * MiB
MAX_PART_SIZE = 5 * GiB
MAX_PARTS = 10000
MAX_PART_NUMBER = MAX_PARTS
#: User metadata (``x-cos-meta-*`` names and values) in all.
MAX_METADATA_BYTES = 2048
#: Object tags: at most 10; keys 1..128, values 0..256 characters.
MAX_OBJECT_TAGS = 10
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
#: ``x-cos-traffic-limit`` in bit/s: 100 KB/s .. 100 MB/s.
TRAFFIC_LIMIT_MIN = 819200
TRAFFIC_LIMIT_MAX = 838860800
#: DELETE Multiple Objects takes at most 1000 keys; listings return at most 1000 entries a page.
DELETE_BATCH = 1000
MAX_PAGE_SIZE = 1000
#: GET Service (list buckets): the largest page, and the default
MAX_BUCKET_PAGE = 2000
#: A signature (and so a presigned URL) is valid at most 7 days.
MAX_PRESIGN_EXPIRES = 7 * 86400

STORAGE_CLASSES = (
    "STANDARD",
    "STANDARD_IA",
    "ARCHIVE",
    "DEEP_ARCHIVE",
    "INTELLIGENT_TIERING",
    "MAZ_STANDARD",
    "MAZ_STANDARD_IA",
    "MAZ_INTELLIGENT_TIERING",
)
ARCHIVE_STORAGE_CLASSES = ("ARCHIVE", "DEEP_ARCHIVE")
OBJECT_ACLS = ("default", "private", "public-read")
BUCKET_ACLS = ("private", "public-read", "public-read-write")
