"""The helpers of ceph's s3-tests (``s3tests/functional/__init__.py`` and ``utils.py``, commit
8f0ae7b, MIT: see LICENSE beside this file) that the vendored tests use, adapted to the local
server: the configuration comes from a :class:`LocalCosServer` (:func:`configure`) instead of
an ``S3TEST_CONF`` file, clients name the server's region, and the clean-up between tests uses
the main client only (every key pair of the local server is the same account).
"""

# ruff: noqa
from __future__ import annotations

import gc
import itertools
import random
import string
import types
import warnings
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.client import Config
from botocore.exceptions import ClientError

config: Any = types.SimpleNamespace()

# this will be assigned by configure()
prefix = None


def configure(server: Any, keys: dict[str, tuple[str, str]]) -> None:
    """Point the helpers at ``server`` (adapted: the original reads ``S3TEST_CONF``)."""
    global prefix
    config.default_endpoint = server.endpoint
    config.default_is_secure = False
    config.default_ssl_verify = False
    config.region = server.region
    config.main_access_key, config.main_secret_key = keys["main"]
    config.alt_access_key, config.alt_secret_key = keys["alt"]
    config.tenant_access_key, config.tenant_secret_key = keys["tenant"]
    owner = server.app.account()
    config.main_user_id = config.alt_user_id = owner["ID"]
    config.main_display_name = config.alt_display_name = owner["DisplayName"]
    config.alt_email = "alt@example.com"
    prefix = choose_bucket_prefix(template="s3tests-{random}-")


def get_prefix():
    assert prefix is not None
    return prefix


def choose_bucket_prefix(template, max_len=30):
    """
    Choose a prefix for our test buckets, so they're easy to identify.

    Use template and feed it more and more random filler, until it's
    as long as possible but still below max_len.
    """
    rand = "".join(random.choice(string.ascii_lowercase + string.digits) for c in range(255))

    while rand:
        s = template.format(random=rand)
        if len(s) <= max_len:
            return s
        rand = rand[:-1]

    raise RuntimeError(
        "Bucket prefix template is impossible to fulfill: {template!r}".format(
            template=template,
        ),
    )


def get_buckets_list(client=None, prefix=None):
    if client == None:
        client = get_client()
    if prefix == None:
        prefix = get_prefix()
    response = client.list_buckets()
    bucket_dicts = response["Buckets"]
    buckets_list = []
    for bucket in bucket_dicts:
        if prefix in bucket["Name"]:
            buckets_list.append(bucket["Name"])

    return buckets_list


def get_objects_list(bucket, client=None, prefix=None):
    if client == None:
        client = get_client()

    if prefix == None:
        response = client.list_objects(Bucket=bucket)
    else:
        response = client.list_objects(Bucket=bucket, Prefix=prefix)
    objects_list = []

    if "Contents" in response:
        contents = response["Contents"]
        for obj in contents:
            objects_list.append(obj["Key"])

    return objects_list


# generator function that returns object listings in batches, where each
# batch is a list of dicts compatible with delete_objects()
def list_versions(client, bucket, batch_size):
    kwargs = {"Bucket": bucket, "MaxKeys": batch_size}
    truncated = True
    while truncated:
        listing = client.list_object_versions(**kwargs)

        kwargs["KeyMarker"] = listing.get("NextKeyMarker")
        kwargs["VersionIdMarker"] = listing.get("NextVersionIdMarker")
        truncated = listing["IsTruncated"]

        objs = listing.get("Versions", []) + listing.get("DeleteMarkers", [])
        if len(objs):
            yield [{"Key": o["Key"], "VersionId": o["VersionId"]} for o in objs]


def nuke_bucket(client, bucket):
    # adapted: no object lock retention to wait out (the local server has none to enforce)
    batch_size = 128
    for objects in list_versions(client, bucket, batch_size):
        client.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
    uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    for upload in uploads:  # adapted: abort what a failed test left
        client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    client.delete_bucket(Bucket=bucket)


def nuke_prefixed_buckets(prefix, client=None):
    if client == None:
        client = get_client()

    buckets = get_buckets_list(client, prefix)

    err = None
    for bucket_name in buckets:
        try:
            nuke_bucket(client, bucket_name)
        except Exception as e:
            # The exception shouldn't be raised when doing cleanup. Pass and continue
            # the bucket cleanup process. Otherwise left buckets wouldn't be cleared
            # resulting in some kind of resource leak. err is used to hint user some
            # exception once occurred.
            err = e
            pass
    if err:
        raise err


#: adapted: the clients made for a test, closed after it (a client left to the garbage
#: collector leaves its sockets unclosed: a ResourceWarning, an error in this test suite)
_clients: list[Any] = []


def close_clients():
    while _clients:
        _clients.pop().close()
    # adapted: the vendored tests leave some answers unread (an error's response held in a
    # reference cycle by its exception, a body never read), whose pooled connection close()
    # cannot reach; the garbage collector then closes its socket whenever it runs, with a
    # ResourceWarning that lands on whatever test runs then (an error under our settings).
    # Collected here, at the end of the s3-tests test that left it, without the warning.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def _client(access_key, secret_key, client_config):
    # adapted: the server's region (the original lets boto3 pick one)
    client = _new_client(access_key, secret_key, client_config)
    _clients.append(client)
    return client


def _new_client(access_key, secret_key, client_config):
    return boto3.client(
        service_name="s3",
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        endpoint_url=config.default_endpoint,
        region_name=config.region,
        use_ssl=config.default_is_secure,
        verify=config.default_ssl_verify,
        config=client_config,
    )


def get_client(client_config=None):
    if client_config == None:
        client_config = Config(signature_version="s3v4")
    return _client(config.main_access_key, config.main_secret_key, client_config)


def get_alt_client(client_config=None):
    if client_config == None:
        client_config = Config(signature_version="s3v4")
    return _client(config.alt_access_key, config.alt_secret_key, client_config)


def get_tenant_client(client_config=None):
    if client_config == None:
        client_config = Config(signature_version="s3v4")
    return _client(config.tenant_access_key, config.tenant_secret_key, client_config)


def get_unauthenticated_client():
    return _client("", "", Config(signature_version=UNSIGNED))


bucket_counter = itertools.count(1)


def get_new_bucket_name():
    """
    Get a bucket name that probably does not exist.

    We make every attempt to use a unique random prefix, so if a
    bucket by this name happens to exist, it's ok if tests give
    false negatives.
    """
    name = "{prefix}{num}".format(
        prefix=prefix,
        num=next(bucket_counter),
    )
    return name


def get_new_bucket_resource(name=None):
    """
    Get a bucket that exists and is empty.

    Always recreates a bucket from scratch. This is useful to also
    reset ACLs and such.
    """
    s3 = boto3.resource(
        "s3",
        aws_access_key_id=config.main_access_key,
        aws_secret_access_key=config.main_secret_key,
        endpoint_url=config.default_endpoint,
        region_name=config.region,
        use_ssl=config.default_is_secure,
        verify=config.default_ssl_verify,
    )
    if name is None:
        name = get_new_bucket_name()
    _clients.append(s3.meta.client)
    bucket = s3.Bucket(name)
    bucket_location = bucket.create()
    return bucket


def get_new_bucket(client=None, name=None):
    """
    Get a bucket that exists and is empty.

    Always recreates a bucket from scratch. This is useful to also
    reset ACLs and such.
    """
    if client is None:
        client = get_client()
    if name is None:
        name = get_new_bucket_name()

    client.create_bucket(Bucket=name)
    return name


def get_config_endpoint():
    return config.default_endpoint


def get_config_ssl_verify():
    return config.default_ssl_verify


def get_main_display_name():
    return config.main_display_name


def get_main_user_id():
    return config.main_user_id


def get_alt_user_id():
    return config.alt_user_id


# --- utils.py ---------------------------------------------------------------------------------


def assert_raises(excClass, callableObj, *args, **kwargs):
    """
    Like unittest.TestCase.assertRaises, but returns the exception.
    """
    try:
        callableObj(*args, **kwargs)
    except excClass as e:
        return e
    else:
        if hasattr(excClass, "__name__"):
            excName = excClass.__name__
        else:
            excName = str(excClass)
        raise AssertionError("%s not raised" % excName)


def generate_random(size, part_size=5 * 1024 * 1024):
    """
    Generate the specified number random data.
    (actually each MB is a repetition of the first KB)
    """
    chunk = 1024
    allowed = string.ascii_letters
    for x in range(0, size, part_size):
        strpart = "".join([allowed[random.randint(0, len(allowed) - 1)] for _ in range(chunk)])
        s = ""
        left = size - x
        this_part_size = min(left, part_size)
        for y in range(this_part_size // chunk):
            s = s + strpart
        s = s + strpart[: (this_part_size % chunk)]
        yield s
        if x == size:
            return


def _get_status(response):
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    return status


def _get_status_and_error_code(response):
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    error_code = response["Error"]["Code"]
    return status, error_code


def get_main_aws_access_key():
    return config.main_access_key


def get_main_aws_secret_key():
    return config.main_secret_key


def get_alt_display_name():
    return config.alt_display_name


def get_alt_email():
    return config.alt_email


# adapted: the one use of pytz is ``pytz.utc``
pytz = types.SimpleNamespace(utc=__import__("datetime").timezone.utc)
