"""A subset of ceph's s3-tests (github.com/ceph/s3-tests, ``s3tests/functional/test_s3.py`` at
commit 8f0ae7b, MIT license: see LICENSE beside this file) run against the local server's S3
side with boto3: objects, multipart uploads, listings (v1 and v2), copies, ranges, conditional
requests, ACL basics, bucket creation and deletion.

Taken: the 257 ``test_*`` functions below and the 59 helpers they use, as they are in
the source but for formatting (``ruff format``); the source's imports that they use; its
``__init__.py``/``utils.py`` helpers, adapted, are in ``s3tests_support.py``. Which of them are
skipped, and why, is ``SKIPPED`` in ``conftest.py`` (and docs/testing.md, "Conformance").
"""

# ruff: noqa
from botocore.exceptions import ClientError
import datetime
from collections import OrderedDict
import requests
import json
import base64
import hmac
import hashlib
import xml.etree.ElementTree as ET
import time
import pytest
import os
import string
import random

from .s3tests_support import (
    _get_status,
    _get_status_and_error_code,
    assert_raises,
    generate_random,
    get_alt_client,
    get_alt_display_name,
    get_alt_email,
    get_alt_user_id,
    get_client,
    get_config_endpoint,
    get_config_ssl_verify,
    get_main_aws_access_key,
    get_main_aws_secret_key,
    get_main_display_name,
    get_main_user_id,
    get_new_bucket,
    get_new_bucket_name,
    get_new_bucket_resource,
    get_objects_list,
    get_prefix,
    get_tenant_client,
    get_unauthenticated_client,
    pytz,
)


def _bucket_is_empty(bucket):
    is_empty = True
    for obj in bucket.objects.all():
        is_empty = False
        break
    return is_empty


def test_bucket_list_empty():
    bucket = get_new_bucket_resource()
    is_empty = _bucket_is_empty(bucket)
    assert is_empty == True


@pytest.mark.list_objects_v2
def test_bucket_list_distinct():
    bucket1 = get_new_bucket_resource()
    bucket2 = get_new_bucket_resource()
    obj = bucket1.put_object(Body="str", Key="asdf")
    is_empty = _bucket_is_empty(bucket2)
    assert is_empty == True


def _create_objects(bucket=None, bucket_name=None, keys=[], put_object_args={}):
    """
    Populate a (specified or new) bucket with objects with
    specified names (and contents identical to their names).
    """
    if bucket_name is None:
        bucket_name = get_new_bucket_name()
    if bucket is None:
        bucket = get_new_bucket_resource(name=bucket_name)

    for key in keys:
        obj = bucket.put_object(Body=key, Key=key, **put_object_args)

    return bucket_name


def _get_keys(response):
    """
    return lists of strings that are the keys from a client.list_objects() response
    """
    keys = []
    if "Contents" in response:
        objects_list = response["Contents"]
        keys = [obj["Key"] for obj in objects_list]
    return keys


def _get_prefixes(response):
    """
    return lists of strings that are prefixes from a client.list_objects() response
    """
    prefixes = []
    if "CommonPrefixes" in response:
        prefix_list = response["CommonPrefixes"]
        prefixes = [prefix["Prefix"] for prefix in prefix_list]
    return prefixes


@pytest.mark.fails_on_dbstore
def test_bucket_list_many():
    bucket_name = _create_objects(keys=["foo", "bar", "baz"])
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, MaxKeys=2)
    keys = _get_keys(response)
    assert len(keys) == 2
    assert keys == ["bar", "baz"]
    assert response["IsTruncated"] == True

    response = client.list_objects(Bucket=bucket_name, Marker="baz", MaxKeys=2)
    keys = _get_keys(response)
    assert len(keys) == 1
    assert response["IsTruncated"] == False
    assert keys == ["foo"]


@pytest.mark.list_objects_v2
@pytest.mark.fails_on_dbstore
def test_bucket_listv2_many():
    bucket_name = _create_objects(keys=["foo", "bar", "baz"])
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, MaxKeys=2)
    keys = _get_keys(response)
    assert len(keys) == 2
    assert keys == ["bar", "baz"]
    assert response["IsTruncated"] == True

    response = client.list_objects_v2(Bucket=bucket_name, StartAfter="baz", MaxKeys=2)
    keys = _get_keys(response)
    assert len(keys) == 1
    assert response["IsTruncated"] == False
    assert keys == ["foo"]


def test_bucket_list_delimiter_basic():
    bucket_name = _create_objects(keys=["foo/bar", "foo/bar/xyzzy", "quux/thud", "asdf"])
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Delimiter="/")
    assert response["Delimiter"] == "/"
    keys = _get_keys(response)
    assert keys == ["asdf"]

    prefixes = _get_prefixes(response)
    assert len(prefixes) == 2
    assert prefixes == ["foo/", "quux/"]


@pytest.mark.list_objects_v2
def test_bucket_listv2_delimiter_basic():
    bucket_name = _create_objects(keys=["foo/bar", "foo/bar/xyzzy", "quux/thud", "asdf"])
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Delimiter="/")
    assert response["Delimiter"] == "/"
    keys = _get_keys(response)
    assert keys == ["asdf"]

    prefixes = _get_prefixes(response)
    assert len(prefixes) == 2
    assert prefixes == ["foo/", "quux/"]
    assert response["KeyCount"] == len(prefixes) + len(keys)


@pytest.mark.list_objects_v2
def test_bucket_listv2_encoding_basic():
    bucket_name = _create_objects(keys=["foo+1/bar", "foo/bar/xyzzy", "quux ab/thud", "asdf+b"])
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Delimiter="/", EncodingType="url")
    assert response["Delimiter"] == "/"
    keys = _get_keys(response)
    assert keys == ["asdf%2Bb"]

    prefixes = _get_prefixes(response)
    assert len(prefixes) == 3
    assert prefixes == ["foo%2B1/", "foo/", "quux%20ab/"]


def test_bucket_list_encoding_basic():
    bucket_name = _create_objects(keys=["foo+1/bar", "foo/bar/xyzzy", "quux ab/thud", "asdf+b"])
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Delimiter="/", EncodingType="url")
    assert response["Delimiter"] == "/"
    keys = _get_keys(response)
    assert keys == ["asdf%2Bb"]

    prefixes = _get_prefixes(response)
    assert len(prefixes) == 3
    assert prefixes == ["foo%2B1/", "foo/", "quux%20ab/"]


def validate_bucket_list(
    bucket_name,
    prefix,
    delimiter,
    marker,
    max_keys,
    is_truncated,
    check_objs,
    check_prefixes,
    next_marker,
):
    client = get_client()

    response = client.list_objects(
        Bucket=bucket_name, Delimiter=delimiter, Marker=marker, MaxKeys=max_keys, Prefix=prefix
    )
    assert response["IsTruncated"] == is_truncated
    if "NextMarker" not in response:
        response["NextMarker"] = None
    assert response["NextMarker"] == next_marker

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)

    assert len(keys) == len(check_objs)
    assert len(prefixes) == len(check_prefixes)
    assert keys == check_objs
    assert prefixes == check_prefixes

    return response["NextMarker"]


def validate_bucket_listv2(
    bucket_name,
    prefix,
    delimiter,
    continuation_token,
    max_keys,
    is_truncated,
    check_objs,
    check_prefixes,
    last=False,
):
    client = get_client()

    params = dict(Bucket=bucket_name, Delimiter=delimiter, MaxKeys=max_keys, Prefix=prefix)
    if continuation_token is not None:
        params["ContinuationToken"] = continuation_token
    else:
        params["StartAfter"] = ""
    response = client.list_objects_v2(**params)
    assert response["IsTruncated"] == is_truncated
    if "NextContinuationToken" not in response:
        response["NextContinuationToken"] = None
    if last:
        assert response["NextContinuationToken"] == None

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)

    assert len(keys) == len(check_objs)
    assert len(prefixes) == len(check_prefixes)
    assert keys == check_objs
    assert prefixes == check_prefixes

    return response["NextContinuationToken"]


@pytest.mark.fails_on_dbstore
def test_bucket_list_delimiter_prefix():
    bucket_name = _create_objects(
        keys=["asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla"]
    )

    delim = "/"
    marker = ""
    prefix = ""

    marker = validate_bucket_list(bucket_name, prefix, delim, "", 1, True, ["asdf"], [], "asdf")
    marker = validate_bucket_list(bucket_name, prefix, delim, marker, 1, True, [], ["boo/"], "boo/")
    marker = validate_bucket_list(
        bucket_name, prefix, delim, marker, 1, False, [], ["cquux/"], None
    )

    marker = validate_bucket_list(
        bucket_name, prefix, delim, "", 2, True, ["asdf"], ["boo/"], "boo/"
    )
    marker = validate_bucket_list(
        bucket_name, prefix, delim, marker, 2, False, [], ["cquux/"], None
    )

    prefix = "boo/"

    marker = validate_bucket_list(
        bucket_name, prefix, delim, "", 1, True, ["boo/bar"], [], "boo/bar"
    )
    marker = validate_bucket_list(
        bucket_name, prefix, delim, marker, 1, False, [], ["boo/baz/"], None
    )

    marker = validate_bucket_list(
        bucket_name, prefix, delim, "", 2, False, ["boo/bar"], ["boo/baz/"], None
    )


@pytest.mark.list_objects_v2
@pytest.mark.fails_on_dbstore
def test_bucket_listv2_delimiter_prefix():
    bucket_name = _create_objects(
        keys=["asdf", "boo/bar", "boo/baz/xyzzy", "cquux/thud", "cquux/bla"]
    )

    delim = "/"
    continuation_token = ""
    prefix = ""

    continuation_token = validate_bucket_listv2(
        bucket_name, prefix, delim, None, 1, True, ["asdf"], []
    )
    continuation_token = validate_bucket_listv2(
        bucket_name, prefix, delim, continuation_token, 1, True, [], ["boo/"]
    )
    continuation_token = validate_bucket_listv2(
        bucket_name, prefix, delim, continuation_token, 1, False, [], ["cquux/"], last=True
    )

    continuation_token = validate_bucket_listv2(
        bucket_name, prefix, delim, None, 2, True, ["asdf"], ["boo/"]
    )
    continuation_token = validate_bucket_listv2(
        bucket_name, prefix, delim, continuation_token, 2, False, [], ["cquux/"], last=True
    )

    prefix = "boo/"

    continuation_token = validate_bucket_listv2(
        bucket_name, prefix, delim, None, 1, True, ["boo/bar"], []
    )
    continuation_token = validate_bucket_listv2(
        bucket_name, prefix, delim, continuation_token, 1, False, [], ["boo/baz/"], last=True
    )

    continuation_token = validate_bucket_listv2(
        bucket_name, prefix, delim, None, 2, False, ["boo/bar"], ["boo/baz/"], last=True
    )


@pytest.mark.list_objects_v2
def test_bucket_listv2_delimiter_prefix_ends_with_delimiter():
    bucket_name = _create_objects(keys=["asdf/"])
    validate_bucket_listv2(bucket_name, "asdf/", "/", None, 1000, False, ["asdf/"], [], last=True)


def test_bucket_list_delimiter_prefix_ends_with_delimiter():
    bucket_name = _create_objects(keys=["asdf/"])
    validate_bucket_list(bucket_name, "asdf/", "/", "", 1000, False, ["asdf/"], [], None)


def test_bucket_list_delimiter_alt():
    bucket_name = _create_objects(keys=["bar", "baz", "cab", "foo"])
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Delimiter="a")
    assert response["Delimiter"] == "a"

    keys = _get_keys(response)
    # foo contains no 'a' and so is a complete key
    assert keys == ["foo"]

    # bar, baz, and cab should be broken up by the 'a' delimiters
    prefixes = _get_prefixes(response)
    assert len(prefixes) == 2
    assert prefixes == ["ba", "ca"]


@pytest.mark.list_objects_v2
def test_bucket_listv2_delimiter_alt():
    bucket_name = _create_objects(keys=["bar", "baz", "cab", "foo"])
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Delimiter="a")
    assert response["Delimiter"] == "a"

    keys = _get_keys(response)
    # foo contains no 'a' and so is a complete key
    assert keys == ["foo"]

    # bar, baz, and cab should be broken up by the 'a' delimiters
    prefixes = _get_prefixes(response)
    assert len(prefixes) == 2
    assert prefixes == ["ba", "ca"]


@pytest.mark.fails_on_dbstore
def test_bucket_list_delimiter_prefix_underscore():
    bucket_name = _create_objects(
        keys=["_obj1_", "_under1/bar", "_under1/baz/xyzzy", "_under2/thud", "_under2/bla"]
    )

    delim = "/"
    marker = ""
    prefix = ""
    marker = validate_bucket_list(bucket_name, prefix, delim, "", 1, True, ["_obj1_"], [], "_obj1_")
    marker = validate_bucket_list(
        bucket_name, prefix, delim, marker, 1, True, [], ["_under1/"], "_under1/"
    )
    marker = validate_bucket_list(
        bucket_name, prefix, delim, marker, 1, False, [], ["_under2/"], None
    )

    marker = validate_bucket_list(
        bucket_name, prefix, delim, "", 2, True, ["_obj1_"], ["_under1/"], "_under1/"
    )
    marker = validate_bucket_list(
        bucket_name, prefix, delim, marker, 2, False, [], ["_under2/"], None
    )

    prefix = "_under1/"

    marker = validate_bucket_list(
        bucket_name, prefix, delim, "", 1, True, ["_under1/bar"], [], "_under1/bar"
    )
    marker = validate_bucket_list(
        bucket_name, prefix, delim, marker, 1, False, [], ["_under1/baz/"], None
    )

    marker = validate_bucket_list(
        bucket_name, prefix, delim, "", 2, False, ["_under1/bar"], ["_under1/baz/"], None
    )


@pytest.mark.list_objects_v2
@pytest.mark.fails_on_dbstore
def test_bucket_listv2_delimiter_prefix_underscore():
    bucket_name = _create_objects(
        keys=["_obj1_", "_under1/bar", "_under1/baz/xyzzy", "_under2/thud", "_under2/bla"]
    )

    delim = "/"
    continuation_token = ""
    prefix = ""
    continuation_token = validate_bucket_listv2(
        bucket_name, prefix, delim, None, 1, True, ["_obj1_"], []
    )
    continuation_token = validate_bucket_listv2(
        bucket_name, prefix, delim, continuation_token, 1, True, [], ["_under1/"]
    )
    continuation_token = validate_bucket_listv2(
        bucket_name, prefix, delim, continuation_token, 1, False, [], ["_under2/"], last=True
    )

    continuation_token = validate_bucket_listv2(
        bucket_name, prefix, delim, None, 2, True, ["_obj1_"], ["_under1/"]
    )
    continuation_token = validate_bucket_listv2(
        bucket_name, prefix, delim, continuation_token, 2, False, [], ["_under2/"], last=True
    )

    prefix = "_under1/"

    continuation_token = validate_bucket_listv2(
        bucket_name, prefix, delim, None, 1, True, ["_under1/bar"], []
    )
    continuation_token = validate_bucket_listv2(
        bucket_name, prefix, delim, continuation_token, 1, False, [], ["_under1/baz/"], last=True
    )

    continuation_token = validate_bucket_listv2(
        bucket_name, prefix, delim, None, 2, False, ["_under1/bar"], ["_under1/baz/"], last=True
    )


def test_bucket_list_delimiter_percentage():
    bucket_name = _create_objects(keys=["b%ar", "b%az", "c%ab", "foo"])
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Delimiter="%")
    assert response["Delimiter"] == "%"
    keys = _get_keys(response)
    # foo contains no 'a' and so is a complete key
    assert keys == ["foo"]

    prefixes = _get_prefixes(response)
    assert len(prefixes) == 2
    # bar, baz, and cab should be broken up by the 'a' delimiters
    assert prefixes == ["b%", "c%"]


@pytest.mark.list_objects_v2
def test_bucket_listv2_delimiter_percentage():
    bucket_name = _create_objects(keys=["b%ar", "b%az", "c%ab", "foo"])
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Delimiter="%")
    assert response["Delimiter"] == "%"
    keys = _get_keys(response)
    # foo contains no 'a' and so is a complete key
    assert keys == ["foo"]

    prefixes = _get_prefixes(response)
    assert len(prefixes) == 2
    # bar, baz, and cab should be broken up by the 'a' delimiters
    assert prefixes == ["b%", "c%"]


def test_bucket_list_delimiter_whitespace():
    bucket_name = _create_objects(keys=["b ar", "b az", "c ab", "foo"])
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Delimiter=" ")
    assert response["Delimiter"] == " "
    keys = _get_keys(response)
    # foo contains no 'a' and so is a complete key
    assert keys == ["foo"]

    prefixes = _get_prefixes(response)
    assert len(prefixes) == 2
    # bar, baz, and cab should be broken up by the 'a' delimiters
    assert prefixes == ["b ", "c "]


@pytest.mark.list_objects_v2
def test_bucket_listv2_delimiter_whitespace():
    bucket_name = _create_objects(keys=["b ar", "b az", "c ab", "foo"])
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Delimiter=" ")
    assert response["Delimiter"] == " "
    keys = _get_keys(response)
    # foo contains no 'a' and so is a complete key
    assert keys == ["foo"]

    prefixes = _get_prefixes(response)
    assert len(prefixes) == 2
    # bar, baz, and cab should be broken up by the 'a' delimiters
    assert prefixes == ["b ", "c "]


def test_bucket_list_delimiter_dot():
    bucket_name = _create_objects(keys=["b.ar", "b.az", "c.ab", "foo"])
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Delimiter=".")
    assert response["Delimiter"] == "."
    keys = _get_keys(response)
    # foo contains no 'a' and so is a complete key
    assert keys == ["foo"]

    prefixes = _get_prefixes(response)
    assert len(prefixes) == 2
    # bar, baz, and cab should be broken up by the 'a' delimiters
    assert prefixes == ["b.", "c."]


@pytest.mark.list_objects_v2
def test_bucket_listv2_delimiter_dot():
    bucket_name = _create_objects(keys=["b.ar", "b.az", "c.ab", "foo"])
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Delimiter=".")
    assert response["Delimiter"] == "."
    keys = _get_keys(response)
    # foo contains no 'a' and so is a complete key
    assert keys == ["foo"]

    prefixes = _get_prefixes(response)
    assert len(prefixes) == 2
    # bar, baz, and cab should be broken up by the 'a' delimiters
    assert prefixes == ["b.", "c."]


def test_bucket_list_delimiter_unreadable():
    key_names = ["bar", "baz", "cab", "foo"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Delimiter="\x0a")
    assert response["Delimiter"] == "\x0a"

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == key_names
    assert prefixes == []


@pytest.mark.list_objects_v2
def test_bucket_listv2_delimiter_unreadable():
    key_names = ["bar", "baz", "cab", "foo"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Delimiter="\x0a")
    assert response["Delimiter"] == "\x0a"

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == key_names
    assert prefixes == []


def test_bucket_list_delimiter_empty():
    key_names = ["bar", "baz", "cab", "foo"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Delimiter="")
    # putting an empty value into Delimiter will not return a value in the response
    assert not "Delimiter" in response

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == key_names
    assert prefixes == []


@pytest.mark.list_objects_v2
def test_bucket_listv2_delimiter_empty():
    key_names = ["bar", "baz", "cab", "foo"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Delimiter="")
    # putting an empty value into Delimiter will not return a value in the response
    assert not "Delimiter" in response

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == key_names
    assert prefixes == []


def test_bucket_list_delimiter_none():
    key_names = ["bar", "baz", "cab", "foo"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name)
    # putting an empty value into Delimiter will not return a value in the response
    assert not "Delimiter" in response

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == key_names
    assert prefixes == []


@pytest.mark.list_objects_v2
def test_bucket_listv2_delimiter_none():
    key_names = ["bar", "baz", "cab", "foo"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name)
    # putting an empty value into Delimiter will not return a value in the response
    assert not "Delimiter" in response

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == key_names
    assert prefixes == []


@pytest.mark.list_objects_v2
def test_bucket_listv2_fetchowner_notempty():
    key_names = ["foo/bar", "foo/baz", "quux"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, FetchOwner=True)
    objs_list = response["Contents"]
    assert "Owner" in objs_list[0]


@pytest.mark.list_objects_v2
def test_bucket_listv2_fetchowner_defaultempty():
    key_names = ["foo/bar", "foo/baz", "quux"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name)
    objs_list = response["Contents"]
    assert not "Owner" in objs_list[0]


@pytest.mark.list_objects_v2
def test_bucket_listv2_fetchowner_empty():
    key_names = ["foo/bar", "foo/baz", "quux"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, FetchOwner=False)
    objs_list = response["Contents"]
    assert not "Owner" in objs_list[0]


def test_bucket_list_delimiter_not_exist():
    key_names = ["bar", "baz", "cab", "foo"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Delimiter="/")
    # putting an empty value into Delimiter will not return a value in the response
    assert response["Delimiter"] == "/"

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == key_names
    assert prefixes == []


@pytest.mark.list_objects_v2
def test_bucket_listv2_delimiter_not_exist():
    key_names = ["bar", "baz", "cab", "foo"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Delimiter="/")
    # putting an empty value into Delimiter will not return a value in the response
    assert response["Delimiter"] == "/"

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == key_names
    assert prefixes == []


def test_bucket_list_prefix_basic():
    key_names = ["foo/bar", "foo/baz", "quux"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Prefix="foo/")
    assert response["Prefix"] == "foo/"

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == ["foo/bar", "foo/baz"]
    assert prefixes == []


@pytest.mark.list_objects_v2
def test_bucket_listv2_prefix_basic():
    key_names = ["foo/bar", "foo/baz", "quux"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Prefix="foo/")
    assert response["Prefix"] == "foo/"

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == ["foo/bar", "foo/baz"]
    assert prefixes == []


def test_bucket_list_prefix_alt():
    key_names = ["bar", "baz", "foo"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Prefix="ba")
    assert response["Prefix"] == "ba"

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == ["bar", "baz"]
    assert prefixes == []


@pytest.mark.list_objects_v2
def test_bucket_listv2_prefix_alt():
    key_names = ["bar", "baz", "foo"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Prefix="ba")
    assert response["Prefix"] == "ba"

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == ["bar", "baz"]
    assert prefixes == []


def test_bucket_list_prefix_empty():
    key_names = ["foo/bar", "foo/baz", "quux"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Prefix="")
    assert response["Prefix"] == ""

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == key_names
    assert prefixes == []


@pytest.mark.list_objects_v2
def test_bucket_listv2_prefix_empty():
    key_names = ["foo/bar", "foo/baz", "quux"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Prefix="")
    assert response["Prefix"] == ""

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == key_names
    assert prefixes == []


def test_bucket_list_prefix_none():
    key_names = ["foo/bar", "foo/baz", "quux"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Prefix="")
    assert response["Prefix"] == ""

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == key_names
    assert prefixes == []


@pytest.mark.list_objects_v2
def test_bucket_listv2_prefix_none():
    key_names = ["foo/bar", "foo/baz", "quux"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Prefix="")
    assert response["Prefix"] == ""

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == key_names
    assert prefixes == []


def test_bucket_list_prefix_not_exist():
    key_names = ["foo/bar", "foo/baz", "quux"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Prefix="d")
    assert response["Prefix"] == "d"

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == []
    assert prefixes == []


@pytest.mark.list_objects_v2
def test_bucket_listv2_prefix_not_exist():
    key_names = ["foo/bar", "foo/baz", "quux"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Prefix="d")
    assert response["Prefix"] == "d"

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == []
    assert prefixes == []


def test_bucket_list_prefix_unreadable():
    key_names = ["foo/bar", "foo/baz", "quux"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Prefix="\x0a")
    assert response["Prefix"] == "\x0a"

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == []
    assert prefixes == []


@pytest.mark.list_objects_v2
def test_bucket_listv2_prefix_unreadable():
    key_names = ["foo/bar", "foo/baz", "quux"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Prefix="\x0a")
    assert response["Prefix"] == "\x0a"

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == []
    assert prefixes == []


def test_bucket_list_prefix_delimiter_basic():
    key_names = ["foo/bar", "foo/baz/xyzzy", "quux/thud", "asdf"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Delimiter="/", Prefix="foo/")
    assert response["Prefix"] == "foo/"
    assert response["Delimiter"] == "/"

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == ["foo/bar"]
    assert prefixes == ["foo/baz/"]


@pytest.mark.list_objects_v2
def test_bucket_listv2_prefix_delimiter_basic():
    key_names = ["foo/bar", "foo/baz/xyzzy", "quux/thud", "asdf"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Delimiter="/", Prefix="foo/")
    assert response["Prefix"] == "foo/"
    assert response["Delimiter"] == "/"

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == ["foo/bar"]
    assert prefixes == ["foo/baz/"]


def test_bucket_list_prefix_delimiter_alt():
    key_names = ["bar", "bazar", "cab", "foo"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Delimiter="a", Prefix="ba")
    assert response["Prefix"] == "ba"
    assert response["Delimiter"] == "a"

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == ["bar"]
    assert prefixes == ["baza"]


@pytest.mark.list_objects_v2
def test_bucket_listv2_prefix_delimiter_alt():
    key_names = ["bar", "bazar", "cab", "foo"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Delimiter="a", Prefix="ba")
    assert response["Prefix"] == "ba"
    assert response["Delimiter"] == "a"

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == ["bar"]
    assert prefixes == ["baza"]


def test_bucket_list_prefix_delimiter_prefix_not_exist():
    key_names = ["b/a/r", "b/a/c", "b/a/g", "g"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Delimiter="d", Prefix="/")

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == []
    assert prefixes == []


@pytest.mark.list_objects_v2
def test_bucket_listv2_prefix_delimiter_prefix_not_exist():
    key_names = ["b/a/r", "b/a/c", "b/a/g", "g"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Delimiter="d", Prefix="/")

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == []
    assert prefixes == []


def test_bucket_list_prefix_delimiter_delimiter_not_exist():
    key_names = ["b/a/c", "b/a/g", "b/a/r", "g"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Delimiter="z", Prefix="b")

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == ["b/a/c", "b/a/g", "b/a/r"]
    assert prefixes == []


@pytest.mark.list_objects_v2
def test_bucket_listv2_prefix_delimiter_delimiter_not_exist():
    key_names = ["b/a/c", "b/a/g", "b/a/r", "g"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Delimiter="z", Prefix="b")

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == ["b/a/c", "b/a/g", "b/a/r"]
    assert prefixes == []


def test_bucket_list_prefix_delimiter_prefix_delimiter_not_exist():
    key_names = ["b/a/c", "b/a/g", "b/a/r", "g"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Delimiter="z", Prefix="y")

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == []
    assert prefixes == []


@pytest.mark.list_objects_v2
def test_bucket_listv2_prefix_delimiter_prefix_delimiter_not_exist():
    key_names = ["b/a/c", "b/a/g", "b/a/r", "g"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, Delimiter="z", Prefix="y")

    keys = _get_keys(response)
    prefixes = _get_prefixes(response)
    assert keys == []
    assert prefixes == []


@pytest.mark.fails_on_dbstore
def test_bucket_list_maxkeys_one():
    key_names = ["bar", "baz", "foo", "quxx"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, MaxKeys=1)
    assert response["IsTruncated"] == True

    keys = _get_keys(response)
    assert keys == key_names[0:1]

    response = client.list_objects(Bucket=bucket_name, Marker=key_names[0])
    assert response["IsTruncated"] == False

    keys = _get_keys(response)
    assert keys == key_names[1:]


@pytest.mark.list_objects_v2
@pytest.mark.fails_on_dbstore
def test_bucket_listv2_maxkeys_one():
    key_names = ["bar", "baz", "foo", "quxx"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, MaxKeys=1)
    assert response["IsTruncated"] == True

    keys = _get_keys(response)
    assert keys == key_names[0:1]

    response = client.list_objects_v2(Bucket=bucket_name, StartAfter=key_names[0])
    assert response["IsTruncated"] == False

    keys = _get_keys(response)
    assert keys == key_names[1:]


def test_bucket_list_maxkeys_zero():
    key_names = ["bar", "baz", "foo", "quxx"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, MaxKeys=0)

    assert response["IsTruncated"] == False
    keys = _get_keys(response)
    assert keys == []


@pytest.mark.list_objects_v2
def test_bucket_listv2_maxkeys_zero():
    key_names = ["bar", "baz", "foo", "quxx"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, MaxKeys=0)

    assert response["IsTruncated"] == False
    keys = _get_keys(response)
    assert keys == []


def test_bucket_list_maxkeys_none():
    key_names = ["bar", "baz", "foo", "quxx"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name)
    assert response["IsTruncated"] == False
    keys = _get_keys(response)
    assert keys == key_names
    assert response["MaxKeys"] == 1000


@pytest.mark.list_objects_v2
def test_bucket_listv2_maxkeys_none():
    key_names = ["bar", "baz", "foo", "quxx"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name)
    assert response["IsTruncated"] == False
    keys = _get_keys(response)
    assert keys == key_names
    assert response["MaxKeys"] == 1000


def test_bucket_list_maxkeys_invalid():
    key_names = ["bar", "baz", "foo", "quxx"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    # adds invalid max keys to url
    # before list_objects is called
    def add_invalid_maxkeys(**kwargs):
        kwargs["params"]["url"] += "&max-keys=blah"

    client.meta.events.register("before-call.s3.ListObjects", add_invalid_maxkeys)

    e = assert_raises(ClientError, client.list_objects, Bucket=bucket_name)
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 400
    assert error_code == "InvalidArgument"


def test_bucket_list_marker_none():
    key_names = ["bar", "baz", "foo", "quxx"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name)
    assert response["Marker"] == ""


def test_bucket_list_marker_empty():
    key_names = ["bar", "baz", "foo", "quxx"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Marker="")
    assert response["Marker"] == ""
    assert response["IsTruncated"] == False
    keys = _get_keys(response)
    assert keys == key_names


@pytest.mark.list_objects_v2
def test_bucket_listv2_continuationtoken_empty():
    key_names = ["bar", "baz", "foo", "quxx"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, ContinuationToken="")
    assert response["ContinuationToken"] == ""
    assert response["IsTruncated"] == False
    keys = _get_keys(response)
    assert keys == key_names


@pytest.mark.list_objects_v2
def test_bucket_listv2_continuationtoken():
    key_names = ["bar", "baz", "foo", "quxx"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response1 = client.list_objects_v2(Bucket=bucket_name, MaxKeys=1)
    next_continuation_token = response1["NextContinuationToken"]

    response2 = client.list_objects_v2(
        Bucket=bucket_name, ContinuationToken=next_continuation_token
    )
    assert response2["ContinuationToken"] == next_continuation_token
    assert response2["IsTruncated"] == False
    key_names2 = ["baz", "foo", "quxx"]
    keys = _get_keys(response2)
    assert keys == key_names2


@pytest.mark.list_objects_v2
@pytest.mark.fails_on_dbstore
def test_bucket_listv2_both_continuationtoken_startafter():
    key_names = ["bar", "baz", "foo", "quxx"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response1 = client.list_objects_v2(Bucket=bucket_name, StartAfter="bar", MaxKeys=1)
    next_continuation_token = response1["NextContinuationToken"]

    response2 = client.list_objects_v2(
        Bucket=bucket_name, StartAfter="bar", ContinuationToken=next_continuation_token
    )
    assert response2["ContinuationToken"] == next_continuation_token
    assert response2["StartAfter"] == "bar"
    assert response2["IsTruncated"] == False
    key_names2 = ["foo", "quxx"]
    keys = _get_keys(response2)
    assert keys == key_names2


def test_bucket_list_marker_unreadable():
    key_names = ["bar", "baz", "foo", "quxx"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Marker="\x0a")
    assert response["Marker"] == "\x0a"
    assert response["IsTruncated"] == False
    keys = _get_keys(response)
    assert keys == key_names


@pytest.mark.list_objects_v2
def test_bucket_listv2_startafter_unreadable():
    key_names = ["bar", "baz", "foo", "quxx"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, StartAfter="\x0a")
    assert response["StartAfter"] == "\x0a"
    assert response["IsTruncated"] == False
    keys = _get_keys(response)
    assert keys == key_names


def test_bucket_list_marker_not_in_list():
    key_names = ["bar", "baz", "foo", "quxx"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Marker="blah")
    assert response["Marker"] == "blah"
    keys = _get_keys(response)
    assert keys == ["foo", "quxx"]


@pytest.mark.list_objects_v2
def test_bucket_listv2_startafter_not_in_list():
    key_names = ["bar", "baz", "foo", "quxx"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, StartAfter="blah")
    assert response["StartAfter"] == "blah"
    keys = _get_keys(response)
    assert keys == ["foo", "quxx"]


def test_bucket_list_marker_after_list():
    key_names = ["bar", "baz", "foo", "quxx"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects(Bucket=bucket_name, Marker="zzz")
    assert response["Marker"] == "zzz"
    keys = _get_keys(response)
    assert response["IsTruncated"] == False
    assert keys == []


@pytest.mark.list_objects_v2
def test_bucket_listv2_startafter_after_list():
    key_names = ["bar", "baz", "foo", "quxx"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    response = client.list_objects_v2(Bucket=bucket_name, StartAfter="zzz")
    assert response["StartAfter"] == "zzz"
    keys = _get_keys(response)
    assert response["IsTruncated"] == False
    assert keys == []


def _compare_dates(datetime1, datetime2):
    """
    changes ms from datetime1 to 0, compares it to datetime2
    """
    # both times are in datetime format but datetime1 has
    # microseconds and datetime2 does not
    datetime1 = datetime1.replace(microsecond=0)
    assert datetime1 == datetime2


@pytest.mark.fails_on_dbstore
def test_bucket_list_return_data():
    key_names = ["bar", "baz", "foo"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    data = {}
    for key_name in key_names:
        obj_response = client.head_object(Bucket=bucket_name, Key=key_name)
        acl_response = client.get_object_acl(Bucket=bucket_name, Key=key_name)
        data.update(
            {
                key_name: {
                    "DisplayName": acl_response["Owner"]["DisplayName"],
                    "ID": acl_response["Owner"]["ID"],
                    "ETag": obj_response["ETag"],
                    "LastModified": obj_response["LastModified"],
                    "ContentLength": obj_response["ContentLength"],
                }
            }
        )

    response = client.list_objects(Bucket=bucket_name)
    objs_list = response["Contents"]
    for obj in objs_list:
        key_name = obj["Key"]
        key_data = data[key_name]
        assert obj["ETag"] == key_data["ETag"]
        assert obj["Size"] == key_data["ContentLength"]
        assert obj["Owner"]["DisplayName"] == key_data["DisplayName"]
        assert obj["Owner"]["ID"] == key_data["ID"]
        _compare_dates(obj["LastModified"], key_data["LastModified"])


def test_bucket_list_objects_anonymous():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_bucket_acl(Bucket=bucket_name, ACL="public-read")

    unauthenticated_client = get_unauthenticated_client()
    unauthenticated_client.list_objects(Bucket=bucket_name)


@pytest.mark.list_objects_v2
def test_bucket_listv2_objects_anonymous():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_bucket_acl(Bucket=bucket_name, ACL="public-read")

    unauthenticated_client = get_unauthenticated_client()
    unauthenticated_client.list_objects_v2(Bucket=bucket_name)


def test_bucket_list_objects_anonymous_fail():
    bucket_name = get_new_bucket()

    unauthenticated_client = get_unauthenticated_client()
    e = assert_raises(ClientError, unauthenticated_client.list_objects, Bucket=bucket_name)

    status, error_code = _get_status_and_error_code(e.response)
    assert status == 403
    assert error_code == "AccessDenied"


@pytest.mark.list_objects_v2
def test_bucket_listv2_objects_anonymous_fail():
    bucket_name = get_new_bucket()

    unauthenticated_client = get_unauthenticated_client()
    e = assert_raises(ClientError, unauthenticated_client.list_objects_v2, Bucket=bucket_name)

    status, error_code = _get_status_and_error_code(e.response)
    assert status == 403
    assert error_code == "AccessDenied"


def test_bucket_delete_notexist():
    bucket_name = get_new_bucket_name()
    client = get_client()

    e = assert_raises(ClientError, client.delete_bucket, Bucket=bucket_name)

    status, error_code = _get_status_and_error_code(e.response)
    assert status == 404
    assert error_code == "NoSuchBucket"


def test_bucket_delete_nonempty():
    key_names = ["foo"]
    bucket_name = _create_objects(keys=key_names)
    client = get_client()

    e = assert_raises(ClientError, client.delete_bucket, Bucket=bucket_name)

    status, error_code = _get_status_and_error_code(e.response)
    assert status == 409
    assert error_code == "BucketNotEmpty"


def test_object_write_to_nonexist_bucket():
    key_names = ["foo"]
    bucket_name = "whatchutalkinboutwillis"
    client = get_client()

    e = assert_raises(ClientError, client.put_object, Bucket=bucket_name, Key="foo", Body="foo")

    status, error_code = _get_status_and_error_code(e.response)
    assert status == 404
    assert error_code == "NoSuchBucket"


def _ev_add_te_header(request, **kwargs):
    request.headers.add_header("Transfer-Encoding", "chunked")


def test_object_write_with_chunked_transfer_encoding():
    bucket_name = get_new_bucket()
    client = get_client()

    client.meta.events.register_first("before-sign.*.*", _ev_add_te_header)
    response = client.put_object(Bucket=bucket_name, Key="foo", Body="bar")

    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_bucket_create_delete():
    bucket_name = get_new_bucket()
    client = get_client()
    client.delete_bucket(Bucket=bucket_name)

    e = assert_raises(ClientError, client.delete_bucket, Bucket=bucket_name)

    status, error_code = _get_status_and_error_code(e.response)
    assert status == 404
    assert error_code == "NoSuchBucket"


def test_object_read_not_exist():
    bucket_name = get_new_bucket()
    client = get_client()

    e = assert_raises(ClientError, client.get_object, Bucket=bucket_name, Key="bar")

    status, error_code = _get_status_and_error_code(e.response)
    assert status == 404
    assert error_code == "NoSuchKey"


http_response = None


def get_http_response(**kwargs):
    global http_response
    http_response = kwargs["http_response"].__dict__


@pytest.mark.fails_on_dbstore
def test_object_requestid_matches_header_on_error():
    bucket_name = get_new_bucket()
    client = get_client()

    # get http response after failed request
    client.meta.events.register("after-call.s3.GetObject", get_http_response)
    e = assert_raises(ClientError, client.get_object, Bucket=bucket_name, Key="bar")

    response_body = http_response["_content"]
    resp_body_xml = ET.fromstring(response_body)
    request_id = resp_body_xml.find(".//RequestId").text

    assert request_id is not None
    assert request_id == e.response["ResponseMetadata"]["RequestId"]


def test_object_head_zero_bytes():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo", Body="")

    response = client.head_object(Bucket=bucket_name, Key="foo")
    assert response["ContentLength"] == 0


def test_object_write_check_etag():
    bucket_name = get_new_bucket()
    client = get_client()
    response = client.put_object(Bucket=bucket_name, Key="foo", Body="bar")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ETag"] == '"37b51d194a7513e45b56f6524f2d51f2"'


def test_object_write_cache_control():
    bucket_name = get_new_bucket()
    client = get_client()
    cache_control = "public, max-age=14400"
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar", CacheControl=cache_control)

    response = client.head_object(Bucket=bucket_name, Key="foo")
    assert response["ResponseMetadata"]["HTTPHeaders"]["cache-control"] == cache_control


def _get_body(response):
    body = response["Body"]
    got = body.read()
    if type(got) is bytes:
        got = got.decode()
    return got


def test_object_write_read_update_read_delete():
    bucket_name = get_new_bucket()
    client = get_client()

    # Write
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")
    # Read
    response = client.get_object(Bucket=bucket_name, Key="foo")
    body = _get_body(response)
    assert body == "bar"
    # Update
    client.put_object(Bucket=bucket_name, Key="foo", Body="soup")
    # Read
    response = client.get_object(Bucket=bucket_name, Key="foo")
    body = _get_body(response)
    assert body == "soup"
    # Delete
    client.delete_object(Bucket=bucket_name, Key="foo")


def _set_get_metadata(metadata, bucket_name=None):
    """
    create a new bucket new or use an existing
    name to create an object that bucket,
    set the meta1 property to a specified, value,
    and then re-read and return that property
    """
    if bucket_name is None:
        bucket_name = get_new_bucket()

    client = get_client()
    metadata_dict = {"meta1": metadata}
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar", Metadata=metadata_dict)

    response = client.get_object(Bucket=bucket_name, Key="foo")
    return response["Metadata"]["meta1"]


def test_object_set_get_metadata_none_to_good():
    got = _set_get_metadata("mymeta")
    assert got == "mymeta"


def test_object_set_get_metadata_none_to_empty():
    got = _set_get_metadata("")
    assert got == ""


def test_object_set_get_metadata_overwrite_to_empty():
    bucket_name = get_new_bucket()
    got = _set_get_metadata("oldmeta", bucket_name)
    assert got == "oldmeta"
    got = _set_get_metadata("", bucket_name)
    assert got == ""


@pytest.mark.fails_on_rgw
def test_object_set_get_unicode_metadata():
    bucket_name = get_new_bucket()
    client = get_client()

    def set_unicode_metadata(**kwargs):
        kwargs["params"]["headers"]["x-amz-meta-meta1"] = "Hello World\xe9"

    client.meta.events.register("before-call.s3.PutObject", set_unicode_metadata)
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")

    response = client.get_object(Bucket=bucket_name, Key="foo")
    got = response["Metadata"]["meta1"]
    print(got)
    print("Hello World\xe9")
    assert got == "Hello World\xe9"


def test_object_metadata_replaced_on_put():
    bucket_name = get_new_bucket()
    client = get_client()
    metadata_dict = {"meta1": "bar"}
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar", Metadata=metadata_dict)

    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")

    response = client.get_object(Bucket=bucket_name, Key="foo")
    got = response["Metadata"]
    assert got == {}


def test_object_write_file():
    bucket_name = get_new_bucket()
    client = get_client()
    data_str = "bar"
    data = bytes(data_str, "utf-8")
    client.put_object(Bucket=bucket_name, Key="foo", Body=data)
    response = client.get_object(Bucket=bucket_name, Key="foo")
    body = _get_body(response)
    assert body == "bar"


def _get_post_url(bucket_name):
    endpoint = get_config_endpoint()
    return "{endpoint}/{bucket_name}".format(endpoint=endpoint, bucket_name=bucket_name)


def test_post_object_anonymous_request():
    bucket_name = get_new_bucket_name()
    client = get_client()
    url = _get_post_url(bucket_name)
    payload = OrderedDict(
        [
            ("key", "foo.txt"),
            ("acl", "public-read"),
            ("Content-Type", "text/plain"),
            ("file", ("bar")),
        ]
    )

    client.create_bucket(ACL="public-read-write", Bucket=bucket_name)
    r = requests.post(url, files=payload, verify=get_config_ssl_verify())
    assert r.status_code == 204
    response = client.get_object(Bucket=bucket_name, Key="foo.txt")
    body = _get_body(response)
    assert body == "bar"


def test_post_object_set_success_code():
    bucket_name = get_new_bucket_name()
    client = get_client()
    client.create_bucket(ACL="public-read-write", Bucket=bucket_name)

    url = _get_post_url(bucket_name)
    payload = OrderedDict(
        [
            ("key", "foo.txt"),
            ("acl", "public-read"),
            ("success_action_status", "201"),
            ("Content-Type", "text/plain"),
            ("file", ("bar")),
        ]
    )

    r = requests.post(url, files=payload, verify=get_config_ssl_verify())
    assert r.status_code == 201
    message = ET.fromstring(r.content).find("Key")
    assert message.text == "foo.txt"


def test_post_object_set_invalid_success_code():
    bucket_name = get_new_bucket_name()
    client = get_client()
    client.create_bucket(ACL="public-read-write", Bucket=bucket_name)

    url = _get_post_url(bucket_name)
    payload = OrderedDict(
        [
            ("key", "foo.txt"),
            ("acl", "public-read"),
            ("success_action_status", "404"),
            ("Content-Type", "text/plain"),
            ("file", ("bar")),
        ]
    )

    r = requests.post(url, files=payload, verify=get_config_ssl_verify())
    assert r.status_code == 204
    content = r.content.decode()
    assert content == ""


def test_post_object_set_key_from_filename():
    bucket_name = get_new_bucket()
    client = get_client()

    url = _get_post_url(bucket_name)
    utc = pytz.utc
    expires = datetime.datetime.now(utc) + datetime.timedelta(seconds=+6000)

    policy_document = {
        "expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "conditions": [
            {"bucket": bucket_name},
            ["starts-with", "$key", "foo"],
            {"acl": "private"},
            ["starts-with", "$Content-Type", "text/plain"],
            ["content-length-range", 0, 1024],
        ],
    }

    json_policy_document = json.JSONEncoder().encode(policy_document)
    bytes_json_policy_document = bytes(json_policy_document, "utf-8")
    policy = base64.b64encode(bytes_json_policy_document)
    aws_secret_access_key = get_main_aws_secret_key()
    aws_access_key_id = get_main_aws_access_key()

    signature = base64.b64encode(
        hmac.new(bytes(aws_secret_access_key, "utf-8"), policy, hashlib.sha1).digest()
    )

    payload = OrderedDict(
        [
            ("key", "${filename}"),
            ("AWSAccessKeyId", aws_access_key_id),
            ("acl", "private"),
            ("signature", signature),
            ("policy", policy),
            ("Content-Type", "text/plain"),
            ("file", ("foo.txt", "bar")),
        ]
    )

    r = requests.post(url, files=payload, verify=get_config_ssl_verify())
    assert r.status_code == 204
    response = client.get_object(Bucket=bucket_name, Key="foo.txt")
    body = _get_body(response)
    assert body == "bar"


def test_get_object_ifmatch_good():
    bucket_name = get_new_bucket()
    client = get_client()
    response = client.put_object(Bucket=bucket_name, Key="foo", Body="bar")
    etag = response["ETag"]

    response = client.get_object(Bucket=bucket_name, Key="foo", IfMatch=etag)
    body = _get_body(response)
    assert body == "bar"


def test_get_object_ifmatch_failed():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")

    e = assert_raises(
        ClientError, client.get_object, Bucket=bucket_name, Key="foo", IfMatch='"ABCORZ"'
    )
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 412
    assert error_code == "PreconditionFailed"


def test_get_object_ifnonematch_good():
    bucket_name = get_new_bucket()
    client = get_client()
    response = client.put_object(Bucket=bucket_name, Key="foo", Body="bar")
    etag = response["ETag"]

    e = assert_raises(
        ClientError, client.get_object, Bucket=bucket_name, Key="foo", IfNoneMatch=etag
    )
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 304
    assert e.response["Error"]["Message"] == "Not Modified"
    assert e.response["ResponseMetadata"]["HTTPHeaders"]["etag"] == etag


def test_get_object_ifnonematch_failed():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")

    response = client.get_object(Bucket=bucket_name, Key="foo", IfNoneMatch="ABCORZ")
    body = _get_body(response)
    assert body == "bar"


def test_get_object_ifmodifiedsince_good():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")

    response = client.get_object(
        Bucket=bucket_name, Key="foo", IfModifiedSince="Sat, 29 Oct 1994 19:43:31 GMT"
    )
    body = _get_body(response)
    assert body == "bar"


@pytest.mark.fails_on_dbstore
def test_get_object_ifmodifiedsince_failed():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")
    response = client.get_object(Bucket=bucket_name, Key="foo")
    etag = response["ETag"]
    last_modified = str(response["LastModified"])

    last_modified = last_modified.split("+")[0]
    mtime = datetime.datetime.strptime(last_modified, "%Y-%m-%d %H:%M:%S")

    after = mtime + datetime.timedelta(seconds=1)
    after_str = time.strftime("%a, %d %b %Y %H:%M:%S GMT", after.timetuple())

    time.sleep(1)

    e = assert_raises(
        ClientError, client.get_object, Bucket=bucket_name, Key="foo", IfModifiedSince=after_str
    )
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 304
    assert e.response["Error"]["Message"] == "Not Modified"
    assert e.response["ResponseMetadata"]["HTTPHeaders"]["etag"] == etag


@pytest.mark.fails_on_dbstore
def test_get_object_ifunmodifiedsince_good():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")

    e = assert_raises(
        ClientError,
        client.get_object,
        Bucket=bucket_name,
        Key="foo",
        IfUnmodifiedSince="Sat, 29 Oct 1994 19:43:31 GMT",
    )
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 412
    assert error_code == "PreconditionFailed"


def test_get_object_ifunmodifiedsince_failed():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")

    response = client.get_object(
        Bucket=bucket_name, Key="foo", IfUnmodifiedSince="Sat, 29 Oct 2100 19:43:31 GMT"
    )
    body = _get_body(response)
    assert body == "bar"


@pytest.mark.fails_on_aws
def test_put_object_ifmatch_good():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")

    response = client.get_object(Bucket=bucket_name, Key="foo")
    body = _get_body(response)
    assert body == "bar"

    etag = response["ETag"].replace('"', "")

    # pass in custom header 'If-Match' before PutObject call
    lf = lambda **kwargs: kwargs["params"]["headers"].update({"If-Match": etag})
    client.meta.events.register("before-call.s3.PutObject", lf)
    response = client.put_object(Bucket=bucket_name, Key="foo", Body="zar")

    response = client.get_object(Bucket=bucket_name, Key="foo")
    body = _get_body(response)
    assert body == "zar"


@pytest.mark.fails_on_dbstore
def test_put_object_ifmatch_failed():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")
    response = client.get_object(Bucket=bucket_name, Key="foo")
    body = _get_body(response)
    assert body == "bar"

    # pass in custom header 'If-Match' before PutObject call
    lf = lambda **kwargs: kwargs["params"]["headers"].update({"If-Match": '"ABCORZ"'})
    client.meta.events.register("before-call.s3.PutObject", lf)

    e = assert_raises(ClientError, client.put_object, Bucket=bucket_name, Key="foo", Body="zar")
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 412
    assert error_code == "PreconditionFailed"

    response = client.get_object(Bucket=bucket_name, Key="foo")
    body = _get_body(response)
    assert body == "bar"


@pytest.mark.fails_on_aws
def test_put_object_ifmatch_overwrite_existed_good():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")
    response = client.get_object(Bucket=bucket_name, Key="foo")
    body = _get_body(response)
    assert body == "bar"

    lf = lambda **kwargs: kwargs["params"]["headers"].update({"If-Match": "*"})
    client.meta.events.register("before-call.s3.PutObject", lf)
    response = client.put_object(Bucket=bucket_name, Key="foo", Body="zar")

    response = client.get_object(Bucket=bucket_name, Key="foo")
    body = _get_body(response)
    assert body == "zar"


@pytest.mark.fails_on_aws
@pytest.mark.fails_on_dbstore
def test_put_object_ifmatch_nonexisted_failed():
    bucket_name = get_new_bucket()
    client = get_client()

    lf = lambda **kwargs: kwargs["params"]["headers"].update({"If-Match": "*"})
    client.meta.events.register("before-call.s3.PutObject", lf)
    e = assert_raises(ClientError, client.put_object, Bucket=bucket_name, Key="foo", Body="bar")
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 404
    assert error_code == "NoSuchKey"

    e = assert_raises(ClientError, client.get_object, Bucket=bucket_name, Key="foo")
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 404
    assert error_code == "NoSuchKey"


@pytest.mark.fails_on_aws
def test_put_object_ifnonmatch_good():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")
    response = client.get_object(Bucket=bucket_name, Key="foo")
    body = _get_body(response)
    assert body == "bar"

    lf = lambda **kwargs: kwargs["params"]["headers"].update({"If-None-Match": "ABCORZ"})
    client.meta.events.register("before-call.s3.PutObject", lf)
    response = client.put_object(Bucket=bucket_name, Key="foo", Body="zar")

    response = client.get_object(Bucket=bucket_name, Key="foo")
    body = _get_body(response)
    assert body == "zar"


@pytest.mark.fails_on_aws
@pytest.mark.fails_on_dbstore
def test_put_object_ifnonmatch_failed():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")

    response = client.get_object(Bucket=bucket_name, Key="foo")
    body = _get_body(response)
    assert body == "bar"

    etag = response["ETag"].replace('"', "")

    lf = lambda **kwargs: kwargs["params"]["headers"].update({"If-None-Match": etag})
    client.meta.events.register("before-call.s3.PutObject", lf)
    e = assert_raises(ClientError, client.put_object, Bucket=bucket_name, Key="foo", Body="zar")

    status, error_code = _get_status_and_error_code(e.response)
    assert status == 412
    assert error_code == "PreconditionFailed"

    response = client.get_object(Bucket=bucket_name, Key="foo")
    body = _get_body(response)
    assert body == "bar"


@pytest.mark.fails_on_aws
def test_put_object_ifnonmatch_nonexisted_good():
    bucket_name = get_new_bucket()
    client = get_client()

    lf = lambda **kwargs: kwargs["params"]["headers"].update({"If-None-Match": "*"})
    client.meta.events.register("before-call.s3.PutObject", lf)
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")

    response = client.get_object(Bucket=bucket_name, Key="foo")
    body = _get_body(response)
    assert body == "bar"


@pytest.mark.fails_on_aws
@pytest.mark.fails_on_dbstore
def test_put_object_ifnonmatch_overwrite_existed_failed():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")

    response = client.get_object(Bucket=bucket_name, Key="foo")
    body = _get_body(response)
    assert body == "bar"

    lf = lambda **kwargs: kwargs["params"]["headers"].update({"If-None-Match": "*"})
    client.meta.events.register("before-call.s3.PutObject", lf)
    e = assert_raises(ClientError, client.put_object, Bucket=bucket_name, Key="foo", Body="zar")

    status, error_code = _get_status_and_error_code(e.response)
    assert status == 412
    assert error_code == "PreconditionFailed"

    response = client.get_object(Bucket=bucket_name, Key="foo")
    body = _get_body(response)
    assert body == "bar"


def _setup_bucket_object_acl(bucket_acl, object_acl, client=None):
    """
    add a foo key, and specified key and bucket acls to
    a (new or existing) bucket.
    """
    if client is None:
        client = get_client()
    bucket_name = get_new_bucket_name()
    client.create_bucket(ACL=bucket_acl, Bucket=bucket_name)
    client.put_object(ACL=object_acl, Bucket=bucket_name, Key="foo")

    return bucket_name


def _setup_bucket_acl(bucket_acl=None):
    """
    set up a new bucket with specified acl
    """
    bucket_name = get_new_bucket_name()
    client = get_client()
    client.create_bucket(ACL=bucket_acl, Bucket=bucket_name)

    return bucket_name


def test_object_raw_get():
    bucket_name = _setup_bucket_object_acl("public-read", "public-read")

    unauthenticated_client = get_unauthenticated_client()
    response = unauthenticated_client.get_object(Bucket=bucket_name, Key="foo")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_object_raw_get_bucket_gone():
    bucket_name = _setup_bucket_object_acl("public-read", "public-read")
    client = get_client()

    client.delete_object(Bucket=bucket_name, Key="foo")
    client.delete_bucket(Bucket=bucket_name)

    unauthenticated_client = get_unauthenticated_client()

    e = assert_raises(ClientError, unauthenticated_client.get_object, Bucket=bucket_name, Key="foo")
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 404
    assert error_code == "NoSuchBucket"


def test_object_raw_get_object_gone():
    bucket_name = _setup_bucket_object_acl("public-read", "public-read")
    client = get_client()

    client.delete_object(Bucket=bucket_name, Key="foo")

    unauthenticated_client = get_unauthenticated_client()

    e = assert_raises(ClientError, unauthenticated_client.get_object, Bucket=bucket_name, Key="foo")
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 404
    assert error_code == "NoSuchKey"


def test_bucket_head():
    bucket_name = get_new_bucket()
    client = get_client()

    response = client.head_bucket(Bucket=bucket_name)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_bucket_head_notexist():
    bucket_name = get_new_bucket_name()
    client = get_client()

    e = assert_raises(ClientError, client.head_bucket, Bucket=bucket_name)

    status, error_code = _get_status_and_error_code(e.response)
    assert status == 404


@pytest.mark.fails_on_aws
@pytest.mark.fails_on_dbstore
def test_bucket_head_extended():
    bucket_name = get_new_bucket()
    client = get_client()

    def add_read_stats_param(request, **kwargs):
        request.params["read-stats"] = "true"

    client.meta.events.register("request-created.s3.HeadBucket", add_read_stats_param)

    response = client.head_bucket(Bucket=bucket_name)
    assert int(response["ResponseMetadata"]["HTTPHeaders"]["x-rgw-object-count"]) == 0
    assert int(response["ResponseMetadata"]["HTTPHeaders"]["x-rgw-bytes-used"]) == 0

    _create_objects(bucket_name=bucket_name, keys=["foo", "bar", "baz"])
    response = client.head_bucket(Bucket=bucket_name)

    assert int(response["ResponseMetadata"]["HTTPHeaders"]["x-rgw-object-count"]) == 3
    assert int(response["ResponseMetadata"]["HTTPHeaders"]["x-rgw-bytes-used"]) == 9


def test_object_raw_get_bucket_acl():
    bucket_name = _setup_bucket_object_acl("private", "public-read")

    unauthenticated_client = get_unauthenticated_client()
    response = unauthenticated_client.get_object(Bucket=bucket_name, Key="foo")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_object_raw_get_object_acl():
    bucket_name = _setup_bucket_object_acl("public-read", "private")

    unauthenticated_client = get_unauthenticated_client()
    e = assert_raises(ClientError, unauthenticated_client.get_object, Bucket=bucket_name, Key="foo")
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 403
    assert error_code == "AccessDenied"


def test_object_raw_authenticated():
    bucket_name = _setup_bucket_object_acl("public-read", "public-read")

    client = get_client()
    response = client.get_object(Bucket=bucket_name, Key="foo")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_object_raw_response_headers():
    bucket_name = _setup_bucket_object_acl("private", "private")

    client = get_client()

    response = client.get_object(
        Bucket=bucket_name,
        Key="foo",
        ResponseCacheControl="no-cache",
        ResponseContentDisposition="bla",
        ResponseContentEncoding="aaa",
        ResponseContentLanguage="esperanto",
        ResponseContentType="foo/bar",
        ResponseExpires="123",
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "foo/bar"
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-disposition"] == "bla"
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-language"] == "esperanto"
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-encoding"] == "aaa"
    assert response["ResponseMetadata"]["HTTPHeaders"]["cache-control"] == "no-cache"


def test_object_raw_authenticated_bucket_acl():
    bucket_name = _setup_bucket_object_acl("private", "public-read")

    client = get_client()
    response = client.get_object(Bucket=bucket_name, Key="foo")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_object_raw_authenticated_object_acl():
    bucket_name = _setup_bucket_object_acl("public-read", "private")

    client = get_client()
    response = client.get_object(Bucket=bucket_name, Key="foo")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_object_raw_authenticated_bucket_gone():
    bucket_name = _setup_bucket_object_acl("public-read", "public-read")
    client = get_client()

    client.delete_object(Bucket=bucket_name, Key="foo")
    client.delete_bucket(Bucket=bucket_name)

    e = assert_raises(ClientError, client.get_object, Bucket=bucket_name, Key="foo")
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 404
    assert error_code == "NoSuchBucket"


def test_object_raw_authenticated_object_gone():
    bucket_name = _setup_bucket_object_acl("public-read", "public-read")
    client = get_client()

    client.delete_object(Bucket=bucket_name, Key="foo")

    e = assert_raises(ClientError, client.get_object, Bucket=bucket_name, Key="foo")
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 404
    assert error_code == "NoSuchKey"


def _test_object_raw_get_x_amz_expires_not_expired(client):
    bucket_name = _setup_bucket_object_acl("public-read", "public-read", client=client)
    params = {"Bucket": bucket_name, "Key": "foo"}

    url = client.generate_presigned_url(
        ClientMethod="get_object", Params=params, ExpiresIn=100000, HttpMethod="GET"
    )

    res = requests.options(url, verify=get_config_ssl_verify()).__dict__
    assert res["status_code"] == 400

    res = requests.get(url, verify=get_config_ssl_verify()).__dict__
    assert res["status_code"] == 200


def test_object_raw_get_x_amz_expires_not_expired():
    _test_object_raw_get_x_amz_expires_not_expired(client=get_client())


def test_object_raw_get_x_amz_expires_not_expired_tenant():
    _test_object_raw_get_x_amz_expires_not_expired(client=get_tenant_client())


def test_object_raw_get_x_amz_expires_out_range_zero():
    bucket_name = _setup_bucket_object_acl("public-read", "public-read")
    client = get_client()
    params = {"Bucket": bucket_name, "Key": "foo"}

    url = client.generate_presigned_url(
        ClientMethod="get_object", Params=params, ExpiresIn=0, HttpMethod="GET"
    )

    res = requests.get(url, verify=get_config_ssl_verify()).__dict__
    assert res["status_code"] == 403


def test_object_raw_get_x_amz_expires_out_max_range():
    bucket_name = _setup_bucket_object_acl("public-read", "public-read")
    client = get_client()
    params = {"Bucket": bucket_name, "Key": "foo"}

    url = client.generate_presigned_url(
        ClientMethod="get_object", Params=params, ExpiresIn=609901, HttpMethod="GET"
    )

    res = requests.get(url, verify=get_config_ssl_verify()).__dict__
    assert res["status_code"] == 403


def test_object_raw_get_x_amz_expires_out_positive_range():
    bucket_name = _setup_bucket_object_acl("public-read", "public-read")
    client = get_client()
    params = {"Bucket": bucket_name, "Key": "foo"}

    url = client.generate_presigned_url(
        ClientMethod="get_object", Params=params, ExpiresIn=-7, HttpMethod="GET"
    )

    res = requests.get(url, verify=get_config_ssl_verify()).__dict__
    assert res["status_code"] == 403


def test_object_content_encoding_aws_chunked():
    client = get_client()
    bucket = get_new_bucket(client)
    key = "encoding"

    client.put_object(Bucket=bucket, Key=key, ContentEncoding="gzip")
    response = client.head_object(Bucket=bucket, Key=key)
    assert response["ContentEncoding"] == "gzip"

    client.put_object(Bucket=bucket, Key=key, ContentEncoding="deflate, gzip")
    response = client.head_object(Bucket=bucket, Key=key)
    assert response["ContentEncoding"] == "deflate, gzip"

    client.put_object(Bucket=bucket, Key=key, ContentEncoding="gzip, aws-chunked")
    response = client.head_object(Bucket=bucket, Key=key)
    assert response["ContentEncoding"] == "gzip"

    client.put_object(Bucket=bucket, Key=key, ContentEncoding="aws-chunked, gzip")
    response = client.head_object(Bucket=bucket, Key=key)
    assert response["ContentEncoding"] == "gzip"

    client.put_object(Bucket=bucket, Key=key, ContentEncoding="aws-chunked")
    response = client.head_object(Bucket=bucket, Key=key)
    assert "ContentEncoding" not in response

    client.put_object(Bucket=bucket, Key=key, ContentEncoding="aws-chunked, aws-chunked")
    response = client.head_object(Bucket=bucket, Key=key)
    assert "ContentEncoding" not in response


def test_object_anon_put():
    bucket_name = get_new_bucket()
    client = get_client()

    client.put_object(Bucket=bucket_name, Key="foo")

    unauthenticated_client = get_unauthenticated_client()

    e = assert_raises(
        ClientError, unauthenticated_client.put_object, Bucket=bucket_name, Key="foo", Body="foo"
    )
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 403
    assert error_code == "AccessDenied"


def test_object_anon_put_write_access():
    bucket_name = _setup_bucket_acl("public-read-write")
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo")

    unauthenticated_client = get_unauthenticated_client()

    response = unauthenticated_client.put_object(Bucket=bucket_name, Key="foo", Body="foo")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_object_put_authenticated():
    bucket_name = get_new_bucket()
    client = get_client()

    response = client.put_object(Bucket=bucket_name, Key="foo", Body="foo")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_object_raw_put_authenticated_expired():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo")

    params = {"Bucket": bucket_name, "Key": "foo"}
    url = client.generate_presigned_url(
        ClientMethod="put_object", Params=params, ExpiresIn=-1000, HttpMethod="PUT"
    )

    # params wouldn't take a 'Body' parameter so we're passing it in here
    res = requests.put(url, data="foo", verify=get_config_ssl_verify()).__dict__
    assert res["status_code"] == 403


def check_bad_bucket_name(bucket_name):
    """
    Attempt to create a bucket with a specified name, and confirm
    that the request fails because of an invalid bucket name.
    """
    client = get_client()
    e = assert_raises(ClientError, client.create_bucket, Bucket=bucket_name)
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 400
    assert error_code == "InvalidBucketName"


@pytest.mark.fails_on_aws
# Breaks DNS with SubdomainCallingFormat
def test_bucket_create_naming_bad_starts_nonalpha():
    bucket_name = get_new_bucket_name()
    check_bad_bucket_name("_" + bucket_name)


def check_invalid_bucketname(invalid_name):
    """
    Send a create bucket_request with an invalid bucket name
    that will bypass the ParamValidationError that would be raised
    if the invalid bucket name that was passed in normally.
    This function returns the status and error code from the failure
    """
    client = get_client()
    valid_bucket_name = get_new_bucket_name()

    def replace_bucketname_from_url(**kwargs):
        url = kwargs["params"]["url"]
        new_url = url.replace(valid_bucket_name, invalid_name)
        kwargs["params"]["url"] = new_url

    client.meta.events.register("before-call.s3.CreateBucket", replace_bucketname_from_url)
    e = assert_raises(ClientError, client.create_bucket, Bucket=invalid_name)
    status, error_code = _get_status_and_error_code(e.response)
    return (status, error_code)


def test_bucket_create_naming_bad_short_one():
    check_bad_bucket_name("a")


def test_bucket_create_naming_bad_short_two():
    check_bad_bucket_name("aa")


def check_good_bucket_name(name, _prefix=None):
    """
    Attempt to create a bucket with a specified name
    and (specified or default) prefix, returning the
    results of that effort.
    """
    # tests using this with the default prefix must *not* rely on
    # being able to set the initial character, or exceed the max len

    # tests using this with a custom prefix are responsible for doing
    # their own setup/teardown nukes, with their custom prefix; this
    # should be very rare
    if _prefix is None:
        _prefix = get_prefix()
    bucket_name = "{prefix}{name}".format(
        prefix=_prefix,
        name=name,
    )
    client = get_client()
    response = client.create_bucket(Bucket=bucket_name)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def _test_bucket_create_naming_good_long(length):
    """
    Attempt to create a bucket whose name (including the
    prefix) is of a specified length.
    """
    # tests using this with the default prefix must *not* rely on
    # being able to set the initial character, or exceed the max len

    # tests using this with a custom prefix are responsible for doing
    # their own setup/teardown nukes, with their custom prefix; this
    # should be very rare
    prefix = get_new_bucket_name()
    assert len(prefix) < 63
    num = length - len(prefix)
    name = num * "a"

    bucket_name = "{prefix}{name}".format(
        prefix=prefix,
        name=name,
    )
    client = get_client()
    response = client.create_bucket(Bucket=bucket_name)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.fails_on_aws
# Should now pass on AWS even though it has 'fails_on_aws' attr.
def test_bucket_create_naming_good_long_60():
    _test_bucket_create_naming_good_long(60)


@pytest.mark.fails_on_aws
# Should now pass on AWS even though it has 'fails_on_aws' attr.
def test_bucket_create_naming_good_long_61():
    _test_bucket_create_naming_good_long(61)


@pytest.mark.fails_on_aws
# Should now pass on AWS even though it has 'fails_on_aws' attr.
def test_bucket_create_naming_good_long_62():
    _test_bucket_create_naming_good_long(62)


def test_bucket_create_naming_good_long_63():
    _test_bucket_create_naming_good_long(63)


@pytest.mark.fails_on_aws
# Should now pass on AWS even though it has 'fails_on_aws' attr.
def test_bucket_list_long_name():
    prefix = get_new_bucket_name()
    length = 61
    num = length - len(prefix)
    name = num * "a"

    bucket_name = "{prefix}{name}".format(
        prefix=prefix,
        name=name,
    )
    bucket = get_new_bucket_resource(name=bucket_name)
    is_empty = _bucket_is_empty(bucket)
    assert is_empty == True


@pytest.mark.fails_on_aws
def test_bucket_create_naming_bad_ip():
    check_bad_bucket_name("192.168.5.123")


@pytest.mark.fails_on_aws
# Should now pass on AWS even though it has 'fails_on_aws' attr.
def test_bucket_create_naming_dns_underscore():
    invalid_bucketname = "foo_bar"
    status, error_code = check_invalid_bucketname(invalid_bucketname)
    assert status == 400
    assert error_code == "InvalidBucketName"


@pytest.mark.fails_on_aws
def test_bucket_create_naming_dns_long():
    prefix = get_prefix()
    assert len(prefix) < 50
    num = 63 - len(prefix)
    check_good_bucket_name(num * "a")


@pytest.mark.fails_on_aws
# Should now pass on AWS even though it has 'fails_on_aws' attr.
def test_bucket_create_naming_dns_dash_at_end():
    invalid_bucketname = "foo-"
    status, error_code = check_invalid_bucketname(invalid_bucketname)
    assert status == 400
    assert error_code == "InvalidBucketName"


@pytest.mark.fails_on_aws
# Should now pass on AWS even though it has 'fails_on_aws' attr.
def test_bucket_create_naming_dns_dot_dot():
    invalid_bucketname = "foo..bar"
    status, error_code = check_invalid_bucketname(invalid_bucketname)
    assert status == 400
    assert error_code == "InvalidBucketName"


@pytest.mark.fails_on_aws
# Should now pass on AWS even though it has 'fails_on_aws' attr.
def test_bucket_create_naming_dns_dot_dash():
    invalid_bucketname = "foo.-bar"
    status, error_code = check_invalid_bucketname(invalid_bucketname)
    assert status == 400
    assert error_code == "InvalidBucketName"


@pytest.mark.fails_on_aws
# Should now pass on AWS even though it has 'fails_on_aws' attr.
def test_bucket_create_naming_dns_dash_dot():
    invalid_bucketname = "foo-.bar"
    status, error_code = check_invalid_bucketname(invalid_bucketname)
    assert status == 400
    assert error_code == "InvalidBucketName"


def test_bucket_create_exists():
    # aws-s3 default region allows recreation of buckets
    # but all other regions fail with BucketAlreadyOwnedByYou.
    bucket_name = get_new_bucket_name()
    client = get_client()

    client.create_bucket(Bucket=bucket_name)
    try:
        response = client.create_bucket(Bucket=bucket_name)
    except ClientError as e:
        status, error_code = _get_status_and_error_code(e.response)
        assert e.status == 409
        assert e.error_code == "BucketAlreadyOwnedByYou"


@pytest.mark.fails_on_dbstore
def test_bucket_create_exists_nonowner():
    # Names are shared across a global namespace. As such, no two
    # users can create a bucket with that same name.
    bucket_name = get_new_bucket_name()
    client = get_client()

    alt_client = get_alt_client()

    client.create_bucket(Bucket=bucket_name)
    e = assert_raises(ClientError, alt_client.create_bucket, Bucket=bucket_name)
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 409
    assert error_code == "BucketAlreadyExists"


@pytest.mark.fails_on_dbstore
def test_bucket_recreate_overwrite_acl():
    bucket_name = get_new_bucket_name()
    client = get_client()

    client.create_bucket(Bucket=bucket_name, ACL="public-read")
    e = assert_raises(ClientError, client.create_bucket, Bucket=bucket_name)
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 409
    assert error_code == "BucketAlreadyExists"


@pytest.mark.fails_on_dbstore
def test_bucket_recreate_new_acl():
    bucket_name = get_new_bucket_name()
    client = get_client()

    client.create_bucket(Bucket=bucket_name)
    e = assert_raises(ClientError, client.create_bucket, Bucket=bucket_name, ACL="public-read")
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 409
    assert error_code == "BucketAlreadyExists"


def check_access_denied(fn, *args, **kwargs):
    e = assert_raises(ClientError, fn, *args, **kwargs)
    status = _get_status(e.response)
    assert status == 403


def check_grants(got, want):
    """
    Check that grants list in got matches the dictionaries in want,
    in any order.
    """
    assert len(got) == len(want)

    # There are instances when got does not match due the order of item.
    if got[0]["Grantee"].get("DisplayName"):
        got.sort(key=lambda x: x["Grantee"].get("DisplayName"))
        want.sort(key=lambda x: x["DisplayName"])

    for g, w in zip(got, want):
        w = dict(w)
        g = dict(g)
        assert g.pop("Permission", None) == w["Permission"]
        assert g["Grantee"].pop("DisplayName", None) == w["DisplayName"]
        assert g["Grantee"].pop("ID", None) == w["ID"]
        assert g["Grantee"].pop("Type", None) == w["Type"]
        assert g["Grantee"].pop("URI", None) == w["URI"]
        assert g["Grantee"].pop("EmailAddress", None) == w["EmailAddress"]
        assert g == {"Grantee": {}}


def test_bucket_acl_default():
    bucket_name = get_new_bucket()
    client = get_client()

    response = client.get_bucket_acl(Bucket=bucket_name)

    display_name = get_main_display_name()
    user_id = get_main_user_id()

    assert response["Owner"]["DisplayName"] == display_name
    assert response["Owner"]["ID"] == user_id

    grants = response["Grants"]
    check_grants(
        grants,
        [
            dict(
                Permission="FULL_CONTROL",
                ID=user_id,
                DisplayName=display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )


@pytest.mark.fails_on_aws
def test_bucket_acl_canned_during_create():
    bucket_name = get_new_bucket_name()
    client = get_client()
    client.create_bucket(ACL="public-read", Bucket=bucket_name)
    response = client.get_bucket_acl(Bucket=bucket_name)

    display_name = get_main_display_name()
    user_id = get_main_user_id()

    grants = response["Grants"]
    check_grants(
        grants,
        [
            dict(
                Permission="READ",
                ID=None,
                DisplayName=None,
                URI="http://acs.amazonaws.com/groups/global/AllUsers",
                EmailAddress=None,
                Type="Group",
            ),
            dict(
                Permission="FULL_CONTROL",
                ID=user_id,
                DisplayName=display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )


def test_bucket_acl_canned():
    bucket_name = get_new_bucket_name()
    client = get_client()
    client.create_bucket(ACL="public-read", Bucket=bucket_name)
    response = client.get_bucket_acl(Bucket=bucket_name)

    display_name = get_main_display_name()
    user_id = get_main_user_id()

    grants = response["Grants"]
    check_grants(
        grants,
        [
            dict(
                Permission="READ",
                ID=None,
                DisplayName=None,
                URI="http://acs.amazonaws.com/groups/global/AllUsers",
                EmailAddress=None,
                Type="Group",
            ),
            dict(
                Permission="FULL_CONTROL",
                ID=user_id,
                DisplayName=display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )

    client.put_bucket_acl(ACL="private", Bucket=bucket_name)
    response = client.get_bucket_acl(Bucket=bucket_name)

    grants = response["Grants"]
    check_grants(
        grants,
        [
            dict(
                Permission="FULL_CONTROL",
                ID=user_id,
                DisplayName=display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )


def test_bucket_acl_canned_publicreadwrite():
    bucket_name = get_new_bucket_name()
    client = get_client()
    client.create_bucket(ACL="public-read-write", Bucket=bucket_name)
    response = client.get_bucket_acl(Bucket=bucket_name)

    display_name = get_main_display_name()
    user_id = get_main_user_id()
    grants = response["Grants"]
    check_grants(
        grants,
        [
            dict(
                Permission="READ",
                ID=None,
                DisplayName=None,
                URI="http://acs.amazonaws.com/groups/global/AllUsers",
                EmailAddress=None,
                Type="Group",
            ),
            dict(
                Permission="WRITE",
                ID=None,
                DisplayName=None,
                URI="http://acs.amazonaws.com/groups/global/AllUsers",
                EmailAddress=None,
                Type="Group",
            ),
            dict(
                Permission="FULL_CONTROL",
                ID=user_id,
                DisplayName=display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )


def test_bucket_acl_canned_authenticatedread():
    bucket_name = get_new_bucket_name()
    client = get_client()
    client.create_bucket(ACL="authenticated-read", Bucket=bucket_name)
    response = client.get_bucket_acl(Bucket=bucket_name)

    display_name = get_main_display_name()
    user_id = get_main_user_id()

    grants = response["Grants"]
    check_grants(
        grants,
        [
            dict(
                Permission="READ",
                ID=None,
                DisplayName=None,
                URI="http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
                EmailAddress=None,
                Type="Group",
            ),
            dict(
                Permission="FULL_CONTROL",
                ID=user_id,
                DisplayName=display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )


def test_put_bucket_acl_grant_group_read():
    bucket_name = get_new_bucket()
    client = get_client()
    display_name = get_main_display_name()
    user_id = get_main_user_id()

    grant = {
        "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
        "Permission": "READ",
    }
    policy = add_bucket_user_grant(bucket_name, grant)

    client.put_bucket_acl(Bucket=bucket_name, AccessControlPolicy=policy)

    response = client.get_bucket_acl(Bucket=bucket_name)

    check_grants(
        response["Grants"],
        [
            dict(
                Permission="READ",
                ID=None,
                DisplayName=None,
                URI="http://acs.amazonaws.com/groups/global/AllUsers",
                EmailAddress=None,
                Type="Group",
            ),
            dict(
                Permission="FULL_CONTROL",
                ID=user_id,
                DisplayName=display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )


def test_object_acl_default():
    bucket_name = get_new_bucket()
    client = get_client()

    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")
    response = client.get_object_acl(Bucket=bucket_name, Key="foo")

    display_name = get_main_display_name()
    user_id = get_main_user_id()

    grants = response["Grants"]
    check_grants(
        grants,
        [
            dict(
                Permission="FULL_CONTROL",
                ID=user_id,
                DisplayName=display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )


def test_object_acl_canned_during_create():
    bucket_name = get_new_bucket()
    client = get_client()

    client.put_object(ACL="public-read", Bucket=bucket_name, Key="foo", Body="bar")
    response = client.get_object_acl(Bucket=bucket_name, Key="foo")

    display_name = get_main_display_name()
    user_id = get_main_user_id()

    grants = response["Grants"]
    check_grants(
        grants,
        [
            dict(
                Permission="READ",
                ID=None,
                DisplayName=None,
                URI="http://acs.amazonaws.com/groups/global/AllUsers",
                EmailAddress=None,
                Type="Group",
            ),
            dict(
                Permission="FULL_CONTROL",
                ID=user_id,
                DisplayName=display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )


def test_object_acl_canned():
    bucket_name = get_new_bucket()
    client = get_client()

    # Since it defaults to private, set it public-read first
    client.put_object(ACL="public-read", Bucket=bucket_name, Key="foo", Body="bar")
    response = client.get_object_acl(Bucket=bucket_name, Key="foo")

    display_name = get_main_display_name()
    user_id = get_main_user_id()

    grants = response["Grants"]
    check_grants(
        grants,
        [
            dict(
                Permission="READ",
                ID=None,
                DisplayName=None,
                URI="http://acs.amazonaws.com/groups/global/AllUsers",
                EmailAddress=None,
                Type="Group",
            ),
            dict(
                Permission="FULL_CONTROL",
                ID=user_id,
                DisplayName=display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )

    # Then back to private.
    client.put_object_acl(ACL="private", Bucket=bucket_name, Key="foo")
    response = client.get_object_acl(Bucket=bucket_name, Key="foo")
    grants = response["Grants"]

    check_grants(
        grants,
        [
            dict(
                Permission="FULL_CONTROL",
                ID=user_id,
                DisplayName=display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )


def test_object_acl_canned_publicreadwrite():
    bucket_name = get_new_bucket()
    client = get_client()

    client.put_object(ACL="public-read-write", Bucket=bucket_name, Key="foo", Body="bar")
    response = client.get_object_acl(Bucket=bucket_name, Key="foo")

    display_name = get_main_display_name()
    user_id = get_main_user_id()

    grants = response["Grants"]
    check_grants(
        grants,
        [
            dict(
                Permission="READ",
                ID=None,
                DisplayName=None,
                URI="http://acs.amazonaws.com/groups/global/AllUsers",
                EmailAddress=None,
                Type="Group",
            ),
            dict(
                Permission="WRITE",
                ID=None,
                DisplayName=None,
                URI="http://acs.amazonaws.com/groups/global/AllUsers",
                EmailAddress=None,
                Type="Group",
            ),
            dict(
                Permission="FULL_CONTROL",
                ID=user_id,
                DisplayName=display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )


def test_object_acl_canned_authenticatedread():
    bucket_name = get_new_bucket()
    client = get_client()

    client.put_object(ACL="authenticated-read", Bucket=bucket_name, Key="foo", Body="bar")
    response = client.get_object_acl(Bucket=bucket_name, Key="foo")

    display_name = get_main_display_name()
    user_id = get_main_user_id()

    grants = response["Grants"]
    check_grants(
        grants,
        [
            dict(
                Permission="READ",
                ID=None,
                DisplayName=None,
                URI="http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
                EmailAddress=None,
                Type="Group",
            ),
            dict(
                Permission="FULL_CONTROL",
                ID=user_id,
                DisplayName=display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )


def test_object_acl_canned_bucketownerread():
    bucket_name = get_new_bucket_name()
    main_client = get_client()
    alt_client = get_alt_client()

    main_client.create_bucket(Bucket=bucket_name, ACL="public-read-write")

    alt_client.put_object(Bucket=bucket_name, Key="foo", Body="bar")

    bucket_acl_response = main_client.get_bucket_acl(Bucket=bucket_name)
    bucket_owner_id = bucket_acl_response["Grants"][2]["Grantee"]["ID"]
    bucket_owner_display_name = bucket_acl_response["Grants"][2]["Grantee"]["DisplayName"]

    alt_client.put_object(ACL="bucket-owner-read", Bucket=bucket_name, Key="foo")
    response = alt_client.get_object_acl(Bucket=bucket_name, Key="foo")

    alt_display_name = get_alt_display_name()
    alt_user_id = get_alt_user_id()

    grants = response["Grants"]
    check_grants(
        grants,
        [
            dict(
                Permission="FULL_CONTROL",
                ID=alt_user_id,
                DisplayName=alt_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
            dict(
                Permission="READ",
                ID=bucket_owner_id,
                DisplayName=bucket_owner_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )


def test_object_acl_canned_bucketownerfullcontrol():
    bucket_name = get_new_bucket_name()
    main_client = get_client()
    alt_client = get_alt_client()

    main_client.create_bucket(Bucket=bucket_name, ACL="public-read-write")

    alt_client.put_object(Bucket=bucket_name, Key="foo", Body="bar")

    bucket_acl_response = main_client.get_bucket_acl(Bucket=bucket_name)
    bucket_owner_id = bucket_acl_response["Grants"][2]["Grantee"]["ID"]
    bucket_owner_display_name = bucket_acl_response["Grants"][2]["Grantee"]["DisplayName"]

    alt_client.put_object(ACL="bucket-owner-full-control", Bucket=bucket_name, Key="foo")
    response = alt_client.get_object_acl(Bucket=bucket_name, Key="foo")

    alt_display_name = get_alt_display_name()
    alt_user_id = get_alt_user_id()

    grants = response["Grants"]
    check_grants(
        grants,
        [
            dict(
                Permission="FULL_CONTROL",
                ID=alt_user_id,
                DisplayName=alt_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
            dict(
                Permission="FULL_CONTROL",
                ID=bucket_owner_id,
                DisplayName=bucket_owner_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )


@pytest.mark.fails_on_aws
def test_object_acl_full_control_verify_owner():
    bucket_name = get_new_bucket_name()
    main_client = get_client()
    alt_client = get_alt_client()

    main_client.create_bucket(Bucket=bucket_name, ACL="public-read-write")

    main_client.put_object(Bucket=bucket_name, Key="foo", Body="bar")

    alt_user_id = get_alt_user_id()
    alt_display_name = get_alt_display_name()

    main_user_id = get_main_user_id()
    main_display_name = get_main_display_name()

    grant = {
        "Grants": [
            {"Grantee": {"ID": alt_user_id, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}
        ],
        "Owner": {"DisplayName": main_display_name, "ID": main_user_id},
    }

    main_client.put_object_acl(Bucket=bucket_name, Key="foo", AccessControlPolicy=grant)

    grant = {
        "Grants": [
            {"Grantee": {"ID": alt_user_id, "Type": "CanonicalUser"}, "Permission": "READ_ACP"}
        ],
        "Owner": {"DisplayName": main_display_name, "ID": main_user_id},
    }

    alt_client.put_object_acl(Bucket=bucket_name, Key="foo", AccessControlPolicy=grant)

    response = alt_client.get_object_acl(Bucket=bucket_name, Key="foo")
    assert response["Owner"]["ID"] == main_user_id


def add_obj_user_grant(bucket_name, key, grant):
    """
    Adds a grant to the existing grants meant to be passed into
    the AccessControlPolicy argument of put_object_acls for an object
    owned by the main user, not the alt user
    A grant is a dictionary in the form of:
    {u'Grantee': {u'Type': 'type', u'DisplayName': 'name', u'ID': 'id'}, u'Permission': 'PERM'}

    """
    client = get_client()
    main_user_id = get_main_user_id()
    main_display_name = get_main_display_name()

    response = client.get_object_acl(Bucket=bucket_name, Key=key)

    grants = response["Grants"]
    grants.append(grant)

    grant = {"Grants": grants, "Owner": {"DisplayName": main_display_name, "ID": main_user_id}}

    return grant


def test_bucket_acl_canned_private_to_private():
    bucket_name = get_new_bucket()
    client = get_client()

    response = client.put_bucket_acl(Bucket=bucket_name, ACL="private")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def add_bucket_user_grant(bucket_name, grant):
    """
    Adds a grant to the existing grants meant to be passed into
    the AccessControlPolicy argument of put_object_acls for an object
    owned by the main user, not the alt user
    A grant is a dictionary in the form of:
    {u'Grantee': {u'Type': 'type', u'DisplayName': 'name', u'ID': 'id'}, u'Permission': 'PERM'}
    """
    client = get_client()
    main_user_id = get_main_user_id()
    main_display_name = get_main_display_name()

    response = client.get_bucket_acl(Bucket=bucket_name)

    grants = response["Grants"]
    grants.append(grant)

    grant = {"Grants": grants, "Owner": {"DisplayName": main_display_name, "ID": main_user_id}}

    return grant


def _check_object_acl(permission):
    """
    Sets the permission on an object then checks to see
    if it was set
    """
    bucket_name = get_new_bucket()
    client = get_client()

    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")

    response = client.get_object_acl(Bucket=bucket_name, Key="foo")

    policy = {}
    policy["Owner"] = response["Owner"]
    policy["Grants"] = response["Grants"]
    policy["Grants"][0]["Permission"] = permission

    client.put_object_acl(Bucket=bucket_name, Key="foo", AccessControlPolicy=policy)

    response = client.get_object_acl(Bucket=bucket_name, Key="foo")
    grants = response["Grants"]

    main_user_id = get_main_user_id()
    main_display_name = get_main_display_name()

    check_grants(
        grants,
        [
            dict(
                Permission=permission,
                ID=main_user_id,
                DisplayName=main_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )


@pytest.mark.fails_on_aws
def test_object_acl():
    _check_object_acl("FULL_CONTROL")


@pytest.mark.fails_on_aws
def test_object_acl_write():
    _check_object_acl("WRITE")


@pytest.mark.fails_on_aws
def test_object_acl_writeacp():
    _check_object_acl("WRITE_ACP")


@pytest.mark.fails_on_aws
def test_object_acl_read():
    _check_object_acl("READ")


@pytest.mark.fails_on_aws
def test_object_acl_readacp():
    _check_object_acl("READ_ACP")


def _bucket_acl_grant_userid(permission):
    """
    create a new bucket, grant a specific user the specified
    permission, read back the acl and verify correct setting
    """
    bucket_name = get_new_bucket()
    client = get_client()

    main_user_id = get_main_user_id()
    main_display_name = get_main_display_name()

    alt_user_id = get_alt_user_id()
    alt_display_name = get_alt_display_name()

    grant = {"Grantee": {"ID": alt_user_id, "Type": "CanonicalUser"}, "Permission": permission}

    grant = add_bucket_user_grant(bucket_name, grant)

    client.put_bucket_acl(Bucket=bucket_name, AccessControlPolicy=grant)

    response = client.get_bucket_acl(Bucket=bucket_name)

    grants = response["Grants"]
    check_grants(
        grants,
        [
            dict(
                Permission=permission,
                ID=alt_user_id,
                DisplayName=alt_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
            dict(
                Permission="FULL_CONTROL",
                ID=main_user_id,
                DisplayName=main_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )

    return bucket_name


def _check_bucket_acl_grant_can_read(bucket_name):
    """
    verify ability to read the specified bucket
    """
    alt_client = get_alt_client()
    response = alt_client.head_bucket(Bucket=bucket_name)


def _check_bucket_acl_grant_cant_read(bucket_name):
    """
    verify inability to read the specified bucket
    """
    alt_client = get_alt_client()
    check_access_denied(alt_client.head_bucket, Bucket=bucket_name)


def _check_bucket_acl_grant_can_readacp(bucket_name):
    """
    verify ability to read acls on specified bucket
    """
    alt_client = get_alt_client()
    alt_client.get_bucket_acl(Bucket=bucket_name)


def _check_bucket_acl_grant_cant_readacp(bucket_name):
    """
    verify inability to read acls on specified bucket
    """
    alt_client = get_alt_client()
    check_access_denied(alt_client.get_bucket_acl, Bucket=bucket_name)


def _check_bucket_acl_grant_can_write(bucket_name):
    """
    verify ability to write the specified bucket
    """
    alt_client = get_alt_client()
    alt_client.put_object(Bucket=bucket_name, Key="foo-write", Body="bar")


def _check_bucket_acl_grant_cant_write(bucket_name):
    """
    verify inability to write the specified bucket
    """
    alt_client = get_alt_client()
    check_access_denied(alt_client.put_object, Bucket=bucket_name, Key="foo-write", Body="bar")


def _check_bucket_acl_grant_can_writeacp(bucket_name):
    """
    verify ability to set acls on the specified bucket
    """
    alt_client = get_alt_client()
    alt_client.put_bucket_acl(Bucket=bucket_name, ACL="public-read")


def _check_bucket_acl_grant_cant_writeacp(bucket_name):
    """
    verify inability to set acls on the specified bucket
    """
    alt_client = get_alt_client()
    check_access_denied(alt_client.put_bucket_acl, Bucket=bucket_name, ACL="public-read")


@pytest.mark.fails_on_aws
def test_bucket_acl_grant_userid_fullcontrol():
    bucket_name = _bucket_acl_grant_userid("FULL_CONTROL")

    # alt user can read
    _check_bucket_acl_grant_can_read(bucket_name)
    # can read acl
    _check_bucket_acl_grant_can_readacp(bucket_name)
    # can write
    _check_bucket_acl_grant_can_write(bucket_name)
    # can write acl
    _check_bucket_acl_grant_can_writeacp(bucket_name)

    client = get_client()

    bucket_acl_response = client.get_bucket_acl(Bucket=bucket_name)
    owner_id = bucket_acl_response["Owner"]["ID"]
    owner_display_name = bucket_acl_response["Owner"]["DisplayName"]

    main_display_name = get_main_display_name()
    main_user_id = get_main_user_id()

    assert owner_id == main_user_id
    assert owner_display_name == main_display_name


@pytest.mark.fails_on_aws
def test_bucket_acl_grant_userid_read():
    bucket_name = _bucket_acl_grant_userid("READ")

    # alt user can read
    _check_bucket_acl_grant_can_read(bucket_name)
    # can't read acl
    _check_bucket_acl_grant_cant_readacp(bucket_name)
    # can't write
    _check_bucket_acl_grant_cant_write(bucket_name)
    # can't write acl
    _check_bucket_acl_grant_cant_writeacp(bucket_name)


@pytest.mark.fails_on_aws
def test_bucket_acl_grant_userid_readacp():
    bucket_name = _bucket_acl_grant_userid("READ_ACP")

    # alt user can't read
    _check_bucket_acl_grant_cant_read(bucket_name)
    # can read acl
    _check_bucket_acl_grant_can_readacp(bucket_name)
    # can't write
    _check_bucket_acl_grant_cant_write(bucket_name)
    # can't write acp
    # _check_bucket_acl_grant_cant_writeacp_can_readacp(bucket)
    _check_bucket_acl_grant_cant_writeacp(bucket_name)


@pytest.mark.fails_on_aws
def test_bucket_acl_grant_userid_write():
    bucket_name = _bucket_acl_grant_userid("WRITE")

    # alt user can't read
    _check_bucket_acl_grant_cant_read(bucket_name)
    # can't read acl
    _check_bucket_acl_grant_cant_readacp(bucket_name)
    # can write
    _check_bucket_acl_grant_can_write(bucket_name)
    # can't write acl
    _check_bucket_acl_grant_cant_writeacp(bucket_name)


@pytest.mark.fails_on_aws
def test_bucket_acl_grant_userid_writeacp():
    bucket_name = _bucket_acl_grant_userid("WRITE_ACP")

    # alt user can't read
    _check_bucket_acl_grant_cant_read(bucket_name)
    # can't read acl
    _check_bucket_acl_grant_cant_readacp(bucket_name)
    # can't write
    _check_bucket_acl_grant_cant_write(bucket_name)
    # can write acl
    _check_bucket_acl_grant_can_writeacp(bucket_name)


def test_bucket_acl_grant_nonexist_user():
    bucket_name = get_new_bucket()
    client = get_client()

    bad_user_id = "_foo"

    # response = client.get_bucket_acl(Bucket=bucket_name)
    grant = {"Grantee": {"ID": bad_user_id, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}

    grant = add_bucket_user_grant(bucket_name, grant)

    e = assert_raises(
        ClientError, client.put_bucket_acl, Bucket=bucket_name, AccessControlPolicy=grant
    )
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 400
    assert error_code == "InvalidArgument"


def _get_acl_header(user_id=None, perms=None):
    all_headers = ["read", "write", "read-acp", "write-acp", "full-control"]
    headers = []

    if user_id == None:
        user_id = get_alt_user_id()

    if perms != None:
        for perm in perms:
            header = ("x-amz-grant-{perm}".format(perm=perm), "id={uid}".format(uid=user_id))
            headers.append(header)

    else:
        for perm in all_headers:
            header = ("x-amz-grant-{perm}".format(perm=perm), "id={uid}".format(uid=user_id))
            headers.append(header)

    return headers


@pytest.mark.fails_on_dho
@pytest.mark.fails_on_aws
def test_object_header_acl_grants():
    bucket_name = get_new_bucket()
    client = get_client()

    alt_user_id = get_alt_user_id()
    alt_display_name = get_alt_display_name()

    headers = _get_acl_header()

    def add_headers_before_sign(**kwargs):
        updated_headers = kwargs["request"].__dict__["headers"].__dict__["_headers"] + headers
        kwargs["request"].__dict__["headers"].__dict__["_headers"] = updated_headers

    client.meta.events.register("before-sign.s3.PutObject", add_headers_before_sign)

    client.put_object(Bucket=bucket_name, Key="foo_key", Body="bar")

    response = client.get_object_acl(Bucket=bucket_name, Key="foo_key")

    grants = response["Grants"]
    check_grants(
        grants,
        [
            dict(
                Permission="READ",
                ID=alt_user_id,
                DisplayName=alt_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
            dict(
                Permission="WRITE",
                ID=alt_user_id,
                DisplayName=alt_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
            dict(
                Permission="READ_ACP",
                ID=alt_user_id,
                DisplayName=alt_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
            dict(
                Permission="WRITE_ACP",
                ID=alt_user_id,
                DisplayName=alt_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
            dict(
                Permission="FULL_CONTROL",
                ID=alt_user_id,
                DisplayName=alt_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )


@pytest.mark.fails_on_dho
@pytest.mark.fails_on_aws
def test_bucket_header_acl_grants():
    headers = _get_acl_header()
    bucket_name = get_new_bucket_name()
    client = get_client()

    headers = _get_acl_header()

    def add_headers_before_sign(**kwargs):
        updated_headers = kwargs["request"].__dict__["headers"].__dict__["_headers"] + headers
        kwargs["request"].__dict__["headers"].__dict__["_headers"] = updated_headers

    client.meta.events.register("before-sign.s3.CreateBucket", add_headers_before_sign)

    client.create_bucket(Bucket=bucket_name)

    response = client.get_bucket_acl(Bucket=bucket_name)

    grants = response["Grants"]
    alt_user_id = get_alt_user_id()
    alt_display_name = get_alt_display_name()

    check_grants(
        grants,
        [
            dict(
                Permission="READ",
                ID=alt_user_id,
                DisplayName=alt_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
            dict(
                Permission="WRITE",
                ID=alt_user_id,
                DisplayName=alt_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
            dict(
                Permission="READ_ACP",
                ID=alt_user_id,
                DisplayName=alt_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
            dict(
                Permission="WRITE_ACP",
                ID=alt_user_id,
                DisplayName=alt_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
            dict(
                Permission="FULL_CONTROL",
                ID=alt_user_id,
                DisplayName=alt_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )

    alt_client = get_alt_client()

    alt_client.put_object(Bucket=bucket_name, Key="foo", Body="bar")

    # set bucket acl to public-read-write so that teardown can work
    alt_client.put_bucket_acl(Bucket=bucket_name, ACL="public-read-write")


@pytest.mark.fails_on_aws
def test_bucket_acl_grant_email():
    bucket_name = get_new_bucket()
    client = get_client()

    alt_user_id = get_alt_user_id()
    alt_display_name = get_alt_display_name()
    alt_email_address = get_alt_email()

    main_user_id = get_main_user_id()
    main_display_name = get_main_display_name()

    grant = {
        "Grantee": {"EmailAddress": alt_email_address, "Type": "AmazonCustomerByEmail"},
        "Permission": "FULL_CONTROL",
    }

    grant = add_bucket_user_grant(bucket_name, grant)

    client.put_bucket_acl(Bucket=bucket_name, AccessControlPolicy=grant)

    response = client.get_bucket_acl(Bucket=bucket_name)

    grants = response["Grants"]
    check_grants(
        grants,
        [
            dict(
                Permission="FULL_CONTROL",
                ID=alt_user_id,
                DisplayName=alt_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
            dict(
                Permission="FULL_CONTROL",
                ID=main_user_id,
                DisplayName=main_display_name,
                URI=None,
                EmailAddress=None,
                Type="CanonicalUser",
            ),
        ],
    )


def test_bucket_acl_grant_email_not_exist():
    # behavior not documented by amazon
    bucket_name = get_new_bucket()
    client = get_client()

    alt_user_id = get_alt_user_id()
    alt_display_name = get_alt_display_name()
    alt_email_address = get_alt_email()

    NONEXISTENT_EMAIL = "doesnotexist@dreamhost.com.invalid"
    grant = {
        "Grantee": {"EmailAddress": NONEXISTENT_EMAIL, "Type": "AmazonCustomerByEmail"},
        "Permission": "FULL_CONTROL",
    }

    grant = add_bucket_user_grant(bucket_name, grant)

    e = assert_raises(
        ClientError, client.put_bucket_acl, Bucket=bucket_name, AccessControlPolicy=grant
    )
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 400
    assert error_code == "UnresolvableGrantByEmailAddress"


def test_bucket_acl_revoke_all():
    # revoke all access, including the owner's access
    bucket_name = get_new_bucket()
    client = get_client()

    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")
    response = client.get_bucket_acl(Bucket=bucket_name)
    old_grants = response["Grants"]
    policy = {}
    policy["Owner"] = response["Owner"]
    # clear grants
    policy["Grants"] = []

    # remove read/write permission for everyone
    client.put_bucket_acl(Bucket=bucket_name, AccessControlPolicy=policy)

    response = client.get_bucket_acl(Bucket=bucket_name)

    assert len(response["Grants"]) == 0

    # set policy back to original so that bucket can be cleaned up
    policy["Grants"] = old_grants
    client.put_bucket_acl(Bucket=bucket_name, AccessControlPolicy=policy)


def test_bucket_create_naming_good_starts_alpha(override_prefix_a):
    check_good_bucket_name("foo", _prefix="a" + get_prefix())


def test_bucket_create_naming_good_starts_digit(override_prefix_0):
    check_good_bucket_name("foo", _prefix="0" + get_prefix())


def test_bucket_create_naming_good_contains_period():
    check_good_bucket_name("aaa.111")


def test_bucket_create_naming_good_contains_hyphen():
    check_good_bucket_name("aaa-111")


def test_bucket_recreate_not_overriding():
    key_names = ["mykey1", "mykey2"]
    bucket_name = _create_objects(keys=key_names)

    objs_list = get_objects_list(bucket_name)
    assert key_names == objs_list

    client = get_client()
    client.create_bucket(Bucket=bucket_name)

    objs_list = get_objects_list(bucket_name)
    assert key_names == objs_list


@pytest.mark.fails_on_dbstore
def test_bucket_create_special_key_names():
    key_names = [
        " ",
        '"',
        "$",
        "%",
        "&",
        "'",
        "<",
        ">",
        "_",
        "_ ",
        "_ _",
        "__",
    ]

    bucket_name = _create_objects(keys=key_names)

    objs_list = get_objects_list(bucket_name)
    assert key_names == objs_list

    client = get_client()

    for name in key_names:
        assert name in objs_list
        response = client.get_object(Bucket=bucket_name, Key=name)
        body = _get_body(response)
        assert name == body
        client.put_object_acl(Bucket=bucket_name, Key=name, ACL="private")


def test_bucket_list_special_prefix():
    key_names = ["_bla/1", "_bla/2", "_bla/3", "_bla/4", "abcd"]
    bucket_name = _create_objects(keys=key_names)

    objs_list = get_objects_list(bucket_name)

    assert len(objs_list) == 5

    objs_list = get_objects_list(bucket_name, prefix="_bla/")
    assert len(objs_list) == 4


@pytest.mark.copy
@pytest.mark.fails_on_dbstore
def test_object_copy_zero_size():
    key = "foo123bar"
    bucket_name = _create_objects(keys=[key])
    fp_a = FakeWriteFile(0, "")
    client = get_client()
    client.put_object(Bucket=bucket_name, Key=key, Body=fp_a)

    copy_source = {"Bucket": bucket_name, "Key": key}

    client.copy(copy_source, bucket_name, "bar321foo")
    response = client.get_object(Bucket=bucket_name, Key="bar321foo")
    assert response["ContentLength"] == 0


@pytest.mark.copy
@pytest.mark.fails_on_dbstore
def test_object_copy_16m():
    bucket_name = get_new_bucket()
    key1 = "obj1"
    client = get_client()
    client.put_object(Bucket=bucket_name, Key=key1, Body=bytearray(16 * 1024 * 1024))

    copy_source = {"Bucket": bucket_name, "Key": key1}
    key2 = "obj2"
    client.copy_object(Bucket=bucket_name, Key=key2, CopySource=copy_source)
    response = client.get_object(Bucket=bucket_name, Key=key2)
    assert response["ContentLength"] == 16 * 1024 * 1024


@pytest.mark.copy
@pytest.mark.fails_on_dbstore
def test_object_copy_same_bucket():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo123bar", Body="foo")

    copy_source = {"Bucket": bucket_name, "Key": "foo123bar"}

    client.copy(copy_source, bucket_name, "bar321foo")

    response = client.get_object(Bucket=bucket_name, Key="bar321foo")
    body = _get_body(response)
    assert "foo" == body


@pytest.mark.copy
@pytest.mark.fails_on_dbstore
def test_object_copy_verify_contenttype():
    bucket_name = get_new_bucket()
    client = get_client()

    content_type = "text/bla"
    client.put_object(Bucket=bucket_name, ContentType=content_type, Key="foo123bar", Body="foo")

    copy_source = {"Bucket": bucket_name, "Key": "foo123bar"}

    client.copy(copy_source, bucket_name, "bar321foo")

    response = client.get_object(Bucket=bucket_name, Key="bar321foo")
    body = _get_body(response)
    assert "foo" == body
    response_content_type = response["ContentType"]
    assert response_content_type == content_type


@pytest.mark.copy
def test_object_copy_to_itself():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo123bar", Body="foo")

    copy_source = {"Bucket": bucket_name, "Key": "foo123bar"}

    e = assert_raises(ClientError, client.copy, copy_source, bucket_name, "foo123bar")
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 400
    assert error_code == "InvalidRequest"


@pytest.mark.copy
@pytest.mark.fails_on_dbstore
def test_object_copy_to_itself_with_metadata():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo123bar", Body="foo")
    copy_source = {"Bucket": bucket_name, "Key": "foo123bar"}
    metadata = {"foo": "bar"}

    client.copy_object(
        Bucket=bucket_name,
        CopySource=copy_source,
        Key="foo123bar",
        Metadata=metadata,
        MetadataDirective="REPLACE",
    )
    response = client.get_object(Bucket=bucket_name, Key="foo123bar")
    assert response["Metadata"] == metadata


@pytest.mark.copy
@pytest.mark.fails_on_dbstore
def test_object_copy_diff_bucket():
    bucket_name1 = get_new_bucket()
    bucket_name2 = get_new_bucket()

    client = get_client()
    client.put_object(Bucket=bucket_name1, Key="foo123bar", Body="foo")

    copy_source = {"Bucket": bucket_name1, "Key": "foo123bar"}

    client.copy(copy_source, bucket_name2, "bar321foo")

    response = client.get_object(Bucket=bucket_name2, Key="bar321foo")
    body = _get_body(response)
    assert "foo" == body


@pytest.mark.copy
def test_object_copy_not_owned_bucket():
    client = get_client()
    alt_client = get_alt_client()
    bucket_name1 = get_new_bucket_name()
    bucket_name2 = get_new_bucket_name()
    client.create_bucket(Bucket=bucket_name1)
    alt_client.create_bucket(Bucket=bucket_name2)

    client.put_object(Bucket=bucket_name1, Key="foo123bar", Body="foo")

    copy_source = {"Bucket": bucket_name1, "Key": "foo123bar"}

    e = assert_raises(ClientError, alt_client.copy, copy_source, bucket_name2, "bar321foo")
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 403


@pytest.mark.copy
def test_object_copy_not_owned_object_bucket():
    client = get_client()
    alt_client = get_alt_client()
    bucket_name = get_new_bucket_name()
    client.create_bucket(Bucket=bucket_name)
    client.put_object(Bucket=bucket_name, Key="foo123bar", Body="foo")

    alt_user_id = get_alt_user_id()

    grant = {"Grantee": {"ID": alt_user_id, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}
    grants = add_obj_user_grant(bucket_name, "foo123bar", grant)
    client.put_object_acl(Bucket=bucket_name, Key="foo123bar", AccessControlPolicy=grants)

    grant = add_bucket_user_grant(bucket_name, grant)
    client.put_bucket_acl(Bucket=bucket_name, AccessControlPolicy=grant)

    alt_client.get_object(Bucket=bucket_name, Key="foo123bar")

    copy_source = {"Bucket": bucket_name, "Key": "foo123bar"}
    alt_client.copy(copy_source, bucket_name, "bar321foo")


@pytest.mark.copy
@pytest.mark.fails_on_dbstore
def test_object_copy_canned_acl():
    bucket_name = get_new_bucket()
    client = get_client()
    alt_client = get_alt_client()
    client.put_object(Bucket=bucket_name, Key="foo123bar", Body="foo")

    copy_source = {"Bucket": bucket_name, "Key": "foo123bar"}
    client.copy_object(
        Bucket=bucket_name, CopySource=copy_source, Key="bar321foo", ACL="public-read"
    )
    # check ACL is applied by doing GET from another user
    alt_client.get_object(Bucket=bucket_name, Key="bar321foo")

    metadata = {"abc": "def"}
    copy_source = {"Bucket": bucket_name, "Key": "bar321foo"}
    client.copy_object(
        ACL="public-read",
        Bucket=bucket_name,
        CopySource=copy_source,
        Key="foo123bar",
        Metadata=metadata,
        MetadataDirective="REPLACE",
    )

    # check ACL is applied by doing GET from another user
    alt_client.get_object(Bucket=bucket_name, Key="foo123bar")


@pytest.mark.copy
@pytest.mark.fails_on_dbstore
def test_object_copy_retaining_metadata():
    for size in [3, 1024 * 1024]:
        bucket_name = get_new_bucket()
        client = get_client()
        content_type = "audio/ogg"

        metadata = {"key1": "value1", "key2": "value2"}
        client.put_object(
            Bucket=bucket_name,
            Key="foo123bar",
            Metadata=metadata,
            ContentType=content_type,
            Body=bytearray(size),
        )

        copy_source = {"Bucket": bucket_name, "Key": "foo123bar"}
        client.copy_object(Bucket=bucket_name, CopySource=copy_source, Key="bar321foo")

        response = client.get_object(Bucket=bucket_name, Key="bar321foo")
        assert content_type == response["ContentType"]
        assert metadata == response["Metadata"]
        body = _get_body(response)
        assert size == response["ContentLength"]


@pytest.mark.copy
@pytest.mark.fails_on_dbstore
def test_object_copy_replacing_metadata():
    for size in [3, 1024 * 1024]:
        bucket_name = get_new_bucket()
        client = get_client()
        content_type = "audio/ogg"

        metadata = {"key1": "value1", "key2": "value2"}
        client.put_object(
            Bucket=bucket_name,
            Key="foo123bar",
            Metadata=metadata,
            ContentType=content_type,
            Body=bytearray(size),
        )

        metadata = {"key3": "value3", "key2": "value2"}
        content_type = "audio/mpeg"

        copy_source = {"Bucket": bucket_name, "Key": "foo123bar"}
        client.copy_object(
            Bucket=bucket_name,
            CopySource=copy_source,
            Key="bar321foo",
            Metadata=metadata,
            MetadataDirective="REPLACE",
            ContentType=content_type,
        )

        response = client.get_object(Bucket=bucket_name, Key="bar321foo")
        assert content_type == response["ContentType"]
        assert metadata == response["Metadata"]
        assert size == response["ContentLength"]


@pytest.mark.copy
def test_object_copy_bucket_not_found():
    bucket_name = get_new_bucket()
    client = get_client()

    copy_source = {"Bucket": bucket_name + "-fake", "Key": "foo123bar"}
    e = assert_raises(ClientError, client.copy, copy_source, bucket_name, "bar321foo")
    status = _get_status(e.response)
    assert status == 404


@pytest.mark.copy
def test_object_copy_key_not_found():
    bucket_name = get_new_bucket()
    client = get_client()

    copy_source = {"Bucket": bucket_name, "Key": "foo123bar"}
    e = assert_raises(ClientError, client.copy, copy_source, bucket_name, "bar321foo")
    status = _get_status(e.response)
    assert status == 404


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
        if this_part_size > len(s):
            s = s + strpart[0 : this_part_size - len(s)]
        yield s
        if x == size:
            return


def _multipart_upload(
    bucket_name,
    key,
    size,
    part_size=5 * 1024 * 1024,
    client=None,
    content_type=None,
    metadata=None,
    resend_parts=[],
    tagging=None,
):
    """
    generate a multi-part upload for a random file of specifed size,
    if requested, generate a list of the parts
    return the upload descriptor
    """
    if client == None:
        client = get_client()

    if content_type == None and metadata == None:
        if tagging is not None:
            response = client.create_multipart_upload(Bucket=bucket_name, Key=key, Tagging=tagging)
        else:
            response = client.create_multipart_upload(Bucket=bucket_name, Key=key)
    else:
        response = client.create_multipart_upload(
            Bucket=bucket_name, Key=key, Metadata=metadata, ContentType=content_type
        )

    upload_id = response["UploadId"]
    s = ""
    parts = []
    for i, part in enumerate(generate_random(size, part_size)):
        # part_num is necessary because PartNumber for upload_part and in parts must start at 1 and i starts at 0
        part_num = i + 1
        s += part
        response = client.upload_part(
            UploadId=upload_id, Bucket=bucket_name, Key=key, PartNumber=part_num, Body=part
        )
        parts.append({"ETag": response["ETag"].strip('"'), "PartNumber": part_num})
        if i in resend_parts:
            client.upload_part(
                UploadId=upload_id, Bucket=bucket_name, Key=key, PartNumber=part_num, Body=part
            )

    return (upload_id, s, parts)


def test_multipart_upload_empty():
    bucket_name = get_new_bucket()
    client = get_client()

    key1 = "mymultipart"
    objlen = 0
    (upload_id, data, parts) = _multipart_upload(bucket_name=bucket_name, key=key1, size=objlen)
    e = assert_raises(
        ClientError,
        client.complete_multipart_upload,
        Bucket=bucket_name,
        Key=key1,
        UploadId=upload_id,
    )
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 400
    assert error_code == "MalformedXML"


@pytest.mark.fails_on_dbstore
def test_multipart_upload_complete_without_create():
    bucket_name = get_new_bucket()
    client = get_client()

    parts = {}
    upload_opts = {
        "Bucket": bucket_name,
        "Key": "mymultipart",
        "UploadId": "abc1234def",
        "MultipartUpload": {"Parts": [{"ETag": "1234", "PartNumber": 1}]},
    }
    e = assert_raises(ClientError, client.complete_multipart_upload, **upload_opts)
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 404
    assert error_code == "NoSuchUpload"


@pytest.mark.fails_on_dbstore
def test_multipart_upload_small():
    bucket_name = get_new_bucket()
    client = get_client()

    key1 = "mymultipart"
    objlen = 1
    (upload_id, data, parts) = _multipart_upload(bucket_name=bucket_name, key=key1, size=objlen)
    response = client.complete_multipart_upload(
        Bucket=bucket_name, Key=key1, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    response = client.get_object(Bucket=bucket_name, Key=key1)
    assert response["ContentLength"] == objlen
    # check extra client.complete_multipart_upload
    response = client.complete_multipart_upload(
        Bucket=bucket_name, Key=key1, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )


def _create_key_with_random_content(keyname, size=7 * 1024 * 1024, bucket_name=None, client=None):
    if bucket_name is None:
        bucket_name = get_new_bucket()

    if client == None:
        client = get_client()

    data_str = str(next(generate_random(size, size)))
    data = bytes(data_str, "utf-8")
    client.put_object(Bucket=bucket_name, Key=keyname, Body=data)

    return bucket_name


def _multipart_copy(
    src_bucket_name,
    src_key,
    dest_bucket_name,
    dest_key,
    size,
    client=None,
    part_size=5 * 1024 * 1024,
    version_id=None,
):

    if client == None:
        client = get_client()

    response = client.create_multipart_upload(Bucket=dest_bucket_name, Key=dest_key)
    upload_id = response["UploadId"]

    if version_id == None:
        copy_source = {"Bucket": src_bucket_name, "Key": src_key}
    else:
        copy_source = {"Bucket": src_bucket_name, "Key": src_key, "VersionId": version_id}

    parts = []

    i = 0
    for start_offset in range(0, size, part_size):
        end_offset = min(start_offset + part_size - 1, size - 1)
        part_num = i + 1
        copy_source_range = "bytes={start}-{end}".format(start=start_offset, end=end_offset)
        response = client.upload_part_copy(
            Bucket=dest_bucket_name,
            Key=dest_key,
            CopySource=copy_source,
            PartNumber=part_num,
            UploadId=upload_id,
            CopySourceRange=copy_source_range,
        )
        parts.append({"ETag": response["CopyPartResult"]["ETag"], "PartNumber": part_num})
        i = i + 1

    return (upload_id, parts)


def _check_key_content(src_key, src_bucket_name, dest_key, dest_bucket_name, version_id=None):
    client = get_client()

    if version_id == None:
        response = client.get_object(Bucket=src_bucket_name, Key=src_key)
    else:
        response = client.get_object(Bucket=src_bucket_name, Key=src_key, VersionId=version_id)
    src_size = response["ContentLength"]

    response = client.get_object(Bucket=dest_bucket_name, Key=dest_key)
    dest_size = response["ContentLength"]
    dest_data = _get_body(response)
    assert src_size >= dest_size

    r = "bytes={s}-{e}".format(s=0, e=dest_size - 1)
    if version_id == None:
        response = client.get_object(Bucket=src_bucket_name, Key=src_key, Range=r)
    else:
        response = client.get_object(
            Bucket=src_bucket_name, Key=src_key, Range=r, VersionId=version_id
        )
    src_data = _get_body(response)
    assert src_data == dest_data


@pytest.mark.copy
@pytest.mark.fails_on_dbstore
def test_multipart_copy_small():
    src_key = "foo"
    src_bucket_name = _create_key_with_random_content(src_key)

    dest_bucket_name = get_new_bucket()
    dest_key = "mymultipart"
    size = 1
    client = get_client()

    (upload_id, parts) = _multipart_copy(src_bucket_name, src_key, dest_bucket_name, dest_key, size)
    client.complete_multipart_upload(
        Bucket=dest_bucket_name, Key=dest_key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )

    response = client.get_object(Bucket=dest_bucket_name, Key=dest_key)
    assert size == response["ContentLength"]
    _check_key_content(src_key, src_bucket_name, dest_key, dest_bucket_name)


@pytest.mark.copy
def test_multipart_copy_invalid_range():
    client = get_client()
    src_key = "source"
    src_bucket_name = _create_key_with_random_content(src_key, size=5)

    response = client.create_multipart_upload(Bucket=src_bucket_name, Key="dest")
    upload_id = response["UploadId"]

    copy_source = {"Bucket": src_bucket_name, "Key": src_key}
    copy_source_range = "bytes={start}-{end}".format(start=0, end=21)

    e = assert_raises(
        ClientError,
        client.upload_part_copy,
        Bucket=src_bucket_name,
        Key="dest",
        UploadId=upload_id,
        CopySource=copy_source,
        CopySourceRange=copy_source_range,
        PartNumber=1,
    )
    status, error_code = _get_status_and_error_code(e.response)
    valid_status = [400, 416]
    if not status in valid_status:
        raise AssertionError("Invalid response " + str(status))
    assert error_code == "InvalidRange"


@pytest.mark.copy
# TODO: remove fails_on_rgw when https://tracker.ceph.com/issues/40795 is resolved
@pytest.mark.fails_on_rgw
def test_multipart_copy_improper_range():
    client = get_client()
    src_key = "source"
    src_bucket_name = _create_key_with_random_content(src_key, size=5)

    response = client.create_multipart_upload(Bucket=src_bucket_name, Key="dest")
    upload_id = response["UploadId"]

    copy_source = {"Bucket": src_bucket_name, "Key": src_key}
    test_ranges = [
        "{start}-{end}".format(start=0, end=2),
        "bytes={start}".format(start=0),
        "bytes=hello-world",
        "bytes=0-bar",
        "bytes=hello-",
        "bytes=0-2,3-5",
    ]

    for test_range in test_ranges:
        e = assert_raises(
            ClientError,
            client.upload_part_copy,
            Bucket=src_bucket_name,
            Key="dest",
            UploadId=upload_id,
            CopySource=copy_source,
            CopySourceRange=test_range,
            PartNumber=1,
        )
        status, error_code = _get_status_and_error_code(e.response)
        assert status == 400
        assert error_code == "InvalidArgument"


@pytest.mark.copy
def test_multipart_copy_without_range():
    client = get_client()
    src_key = "source"
    src_bucket_name = _create_key_with_random_content(src_key, size=10)
    dest_bucket_name = get_new_bucket_name()
    get_new_bucket(name=dest_bucket_name)
    dest_key = "mymultipartcopy"

    response = client.create_multipart_upload(Bucket=dest_bucket_name, Key=dest_key)
    upload_id = response["UploadId"]
    parts = []

    copy_source = {"Bucket": src_bucket_name, "Key": src_key}
    part_num = 1
    copy_source_range = "bytes={start}-{end}".format(start=0, end=9)

    response = client.upload_part_copy(
        Bucket=dest_bucket_name,
        Key=dest_key,
        CopySource=copy_source,
        PartNumber=part_num,
        UploadId=upload_id,
    )

    parts.append({"ETag": response["CopyPartResult"]["ETag"], "PartNumber": part_num})
    client.complete_multipart_upload(
        Bucket=dest_bucket_name, Key=dest_key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )

    response = client.get_object(Bucket=dest_bucket_name, Key=dest_key)
    assert response["ContentLength"] == 10
    _check_key_content(src_key, src_bucket_name, dest_key, dest_bucket_name)


@pytest.mark.copy
@pytest.mark.fails_on_dbstore
def test_multipart_copy_special_names():
    src_bucket_name = get_new_bucket()

    dest_bucket_name = get_new_bucket()

    dest_key = "mymultipart"
    size = 1
    client = get_client()

    for src_key in (" ", "_", "__", "?versionId"):
        _create_key_with_random_content(src_key, bucket_name=src_bucket_name)
        (upload_id, parts) = _multipart_copy(
            src_bucket_name, src_key, dest_bucket_name, dest_key, size
        )
        response = client.complete_multipart_upload(
            Bucket=dest_bucket_name,
            Key=dest_key,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
        )
        response = client.get_object(Bucket=dest_bucket_name, Key=dest_key)
        assert size == response["ContentLength"]
        _check_key_content(src_key, src_bucket_name, dest_key, dest_bucket_name)


def _check_content_using_range(key, bucket_name, data, step):
    client = get_client()
    response = client.get_object(Bucket=bucket_name, Key=key)
    size = response["ContentLength"]

    for ofs in range(0, size, step):
        toread = size - ofs
        if toread > step:
            toread = step
        end = ofs + toread - 1
        r = "bytes={s}-{e}".format(s=ofs, e=end)
        response = client.get_object(Bucket=bucket_name, Key=key, Range=r)
        assert response["ContentLength"] == toread
        body = _get_body(response)
        assert body == data[ofs : end + 1]


@pytest.mark.fails_on_dbstore
def test_multipart_upload():
    bucket_name = get_new_bucket()
    key = "mymultipart"
    content_type = "text/bla"
    objlen = 30 * 1024 * 1024
    metadata = {"foo": "bar"}
    client = get_client()

    (upload_id, data, parts) = _multipart_upload(
        bucket_name=bucket_name, key=key, size=objlen, content_type=content_type, metadata=metadata
    )
    client.complete_multipart_upload(
        Bucket=bucket_name, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    # check extra client.complete_multipart_upload
    client.complete_multipart_upload(
        Bucket=bucket_name, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )

    response = client.list_objects_v2(Bucket=bucket_name, Prefix=key)
    assert len(response["Contents"]) == 1
    assert response["Contents"][0]["Size"] == objlen

    response = client.get_object(Bucket=bucket_name, Key=key)
    assert response["ContentType"] == content_type
    assert response["Metadata"] == metadata
    body = _get_body(response)
    assert len(body) == response["ContentLength"]
    assert body == data

    _check_content_using_range(key, bucket_name, data, 1000000)
    _check_content_using_range(key, bucket_name, data, 10000000)


def check_configure_versioning_retry(bucket_name, status, expected_string):
    client = get_client()
    client.put_bucket_versioning(Bucket=bucket_name, VersioningConfiguration={"Status": status})

    read_status = None

    for i in range(5):
        try:
            response = client.get_bucket_versioning(Bucket=bucket_name)
            read_status = response["Status"]
        except KeyError:
            read_status = None

        if expected_string == read_status:
            break

        time.sleep(1)

    assert expected_string == read_status


def test_multipart_upload_multiple_sizes():
    bucket_name = get_new_bucket()
    key = "mymultipart"
    client = get_client()

    objlen = 5 * 1024 * 1024
    (upload_id, data, parts) = _multipart_upload(bucket_name=bucket_name, key=key, size=objlen)
    client.complete_multipart_upload(
        Bucket=bucket_name, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )

    objlen = 5 * 1024 * 1024 + 100 * 1024
    (upload_id, data, parts) = _multipart_upload(bucket_name=bucket_name, key=key, size=objlen)
    client.complete_multipart_upload(
        Bucket=bucket_name, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )

    objlen = 5 * 1024 * 1024 + 600 * 1024
    (upload_id, data, parts) = _multipart_upload(bucket_name=bucket_name, key=key, size=objlen)
    client.complete_multipart_upload(
        Bucket=bucket_name, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )

    objlen = 10 * 1024 * 1024 + 100 * 1024
    (upload_id, data, parts) = _multipart_upload(bucket_name=bucket_name, key=key, size=objlen)
    client.complete_multipart_upload(
        Bucket=bucket_name, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )

    objlen = 10 * 1024 * 1024 + 600 * 1024
    (upload_id, data, parts) = _multipart_upload(bucket_name=bucket_name, key=key, size=objlen)
    client.complete_multipart_upload(
        Bucket=bucket_name, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )

    objlen = 10 * 1024 * 1024
    (upload_id, data, parts) = _multipart_upload(bucket_name=bucket_name, key=key, size=objlen)
    client.complete_multipart_upload(
        Bucket=bucket_name, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )


@pytest.mark.copy
@pytest.mark.fails_on_dbstore
def test_multipart_copy_multiple_sizes():
    src_key = "foo"
    src_bucket_name = _create_key_with_random_content(src_key, 12 * 1024 * 1024)

    dest_bucket_name = get_new_bucket()
    dest_key = "mymultipart"
    client = get_client()

    size = 5 * 1024 * 1024
    (upload_id, parts) = _multipart_copy(src_bucket_name, src_key, dest_bucket_name, dest_key, size)
    client.complete_multipart_upload(
        Bucket=dest_bucket_name, Key=dest_key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    _check_key_content(src_key, src_bucket_name, dest_key, dest_bucket_name)

    size = 5 * 1024 * 1024 + 100 * 1024
    (upload_id, parts) = _multipart_copy(src_bucket_name, src_key, dest_bucket_name, dest_key, size)
    client.complete_multipart_upload(
        Bucket=dest_bucket_name, Key=dest_key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    _check_key_content(src_key, src_bucket_name, dest_key, dest_bucket_name)

    size = 5 * 1024 * 1024 + 600 * 1024
    (upload_id, parts) = _multipart_copy(src_bucket_name, src_key, dest_bucket_name, dest_key, size)
    client.complete_multipart_upload(
        Bucket=dest_bucket_name, Key=dest_key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    _check_key_content(src_key, src_bucket_name, dest_key, dest_bucket_name)

    size = 10 * 1024 * 1024 + 100 * 1024
    (upload_id, parts) = _multipart_copy(src_bucket_name, src_key, dest_bucket_name, dest_key, size)
    client.complete_multipart_upload(
        Bucket=dest_bucket_name, Key=dest_key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    _check_key_content(src_key, src_bucket_name, dest_key, dest_bucket_name)

    size = 10 * 1024 * 1024 + 600 * 1024
    (upload_id, parts) = _multipart_copy(src_bucket_name, src_key, dest_bucket_name, dest_key, size)
    client.complete_multipart_upload(
        Bucket=dest_bucket_name, Key=dest_key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    _check_key_content(src_key, src_bucket_name, dest_key, dest_bucket_name)

    size = 10 * 1024 * 1024
    (upload_id, parts) = _multipart_copy(src_bucket_name, src_key, dest_bucket_name, dest_key, size)
    client.complete_multipart_upload(
        Bucket=dest_bucket_name, Key=dest_key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    _check_key_content(src_key, src_bucket_name, dest_key, dest_bucket_name)


def test_multipart_upload_size_too_small():
    bucket_name = get_new_bucket()
    key = "mymultipart"
    client = get_client()

    size = 100 * 1024
    (upload_id, data, parts) = _multipart_upload(
        bucket_name=bucket_name, key=key, size=size, part_size=10 * 1024
    )
    e = assert_raises(
        ClientError,
        client.complete_multipart_upload,
        Bucket=bucket_name,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": parts},
    )
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 400
    assert error_code == "EntityTooSmall"


def gen_rand_string(size, chars=string.ascii_uppercase + string.digits):
    return "".join(random.choice(chars) for _ in range(size))


def _do_test_multipart_upload_contents(bucket_name, key, num_parts):
    payload = gen_rand_string(5) * 1024 * 1024
    client = get_client()

    response = client.create_multipart_upload(Bucket=bucket_name, Key=key)
    upload_id = response["UploadId"]

    parts = []

    for part_num in range(0, num_parts):
        part = bytes(payload, "utf-8")
        response = client.upload_part(
            UploadId=upload_id, Bucket=bucket_name, Key=key, PartNumber=part_num + 1, Body=part
        )
        parts.append({"ETag": response["ETag"].strip('"'), "PartNumber": part_num + 1})

    last_payload = "123" * 1024 * 1024
    last_part = bytes(last_payload, "utf-8")
    response = client.upload_part(
        UploadId=upload_id, Bucket=bucket_name, Key=key, PartNumber=num_parts + 1, Body=last_part
    )
    parts.append({"ETag": response["ETag"].strip('"'), "PartNumber": num_parts + 1})

    res = client.complete_multipart_upload(
        Bucket=bucket_name, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert res["ETag"] != ""

    response = client.get_object(Bucket=bucket_name, Key=key)
    test_string = _get_body(response)

    all_payload = payload * num_parts + last_payload

    assert test_string == all_payload

    return all_payload


@pytest.mark.fails_on_dbstore
def test_multipart_upload_contents():
    bucket_name = get_new_bucket()
    _do_test_multipart_upload_contents(bucket_name, "mymultipart", 3)


def test_multipart_upload_overwrite_existing_object():
    bucket_name = get_new_bucket()
    client = get_client()
    key = "mymultipart"
    payload = "12345" * 1024 * 1024
    num_parts = 2
    client.put_object(Bucket=bucket_name, Key=key, Body=payload)

    response = client.create_multipart_upload(Bucket=bucket_name, Key=key)
    upload_id = response["UploadId"]

    parts = []

    for part_num in range(0, num_parts):
        response = client.upload_part(
            UploadId=upload_id, Bucket=bucket_name, Key=key, PartNumber=part_num + 1, Body=payload
        )
        parts.append({"ETag": response["ETag"].strip('"'), "PartNumber": part_num + 1})

    client.complete_multipart_upload(
        Bucket=bucket_name, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )

    response = client.get_object(Bucket=bucket_name, Key=key)
    test_string = _get_body(response)

    assert test_string == payload * num_parts


def test_abort_multipart_upload():
    bucket_name = get_new_bucket()
    key = "mymultipart"
    objlen = 10 * 1024 * 1024
    client = get_client()

    (upload_id, data, parts) = _multipart_upload(bucket_name=bucket_name, key=key, size=objlen)
    client.abort_multipart_upload(Bucket=bucket_name, Key=key, UploadId=upload_id)

    response = client.list_objects_v2(Bucket=bucket_name, Prefix=key)
    assert "Contents" not in response


def test_abort_multipart_upload_not_found():
    bucket_name = get_new_bucket()
    client = get_client()
    key = "mymultipart"
    client.put_object(Bucket=bucket_name, Key=key)

    e = assert_raises(
        ClientError, client.abort_multipart_upload, Bucket=bucket_name, Key=key, UploadId="56788"
    )
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 404
    assert error_code == "NoSuchUpload"


@pytest.mark.fails_on_dbstore
def test_list_multipart_upload():
    bucket_name = get_new_bucket()
    client = get_client()
    key = "mymultipart"
    mb = 1024 * 1024

    upload_ids = []
    (upload_id1, data, parts) = _multipart_upload(bucket_name=bucket_name, key=key, size=5 * mb)
    upload_ids.append(upload_id1)
    (upload_id2, data, parts) = _multipart_upload(bucket_name=bucket_name, key=key, size=6 * mb)
    upload_ids.append(upload_id2)

    key2 = "mymultipart2"
    (upload_id3, data, parts) = _multipart_upload(bucket_name=bucket_name, key=key2, size=5 * mb)
    upload_ids.append(upload_id3)

    response = client.list_multipart_uploads(Bucket=bucket_name)
    uploads = response["Uploads"]
    resp_uploadids = []

    for i in range(0, len(uploads)):
        resp_uploadids.append(uploads[i]["UploadId"])

    for i in range(0, len(upload_ids)):
        assert True == (upload_ids[i] in resp_uploadids)

    client.abort_multipart_upload(Bucket=bucket_name, Key=key, UploadId=upload_id1)
    client.abort_multipart_upload(Bucket=bucket_name, Key=key, UploadId=upload_id2)
    client.abort_multipart_upload(Bucket=bucket_name, Key=key2, UploadId=upload_id3)


@pytest.mark.fails_on_dbstore
def test_list_multipart_upload_owner():
    bucket_name = get_new_bucket()

    client1 = get_client()
    user1 = get_main_user_id()
    name1 = get_main_display_name()

    client2 = get_alt_client()
    user2 = get_alt_user_id()
    name2 = get_alt_display_name()

    # add bucket acl for public read/write access
    client1.put_bucket_acl(Bucket=bucket_name, ACL="public-read-write")

    key1 = "multipart1"
    key2 = "multipart2"
    upload1 = client1.create_multipart_upload(Bucket=bucket_name, Key=key1)["UploadId"]
    try:
        upload2 = client2.create_multipart_upload(Bucket=bucket_name, Key=key2)["UploadId"]
        try:
            # match fields of an Upload from ListMultipartUploadsResult
            def match(upload, key, uploadid, userid, username):
                assert upload["Key"] == key
                assert upload["UploadId"] == uploadid
                assert upload["Initiator"]["ID"] == userid
                assert upload["Initiator"]["DisplayName"] == username
                assert upload["Owner"]["ID"] == userid
                assert upload["Owner"]["DisplayName"] == username

            # list uploads with client1
            uploads1 = client1.list_multipart_uploads(Bucket=bucket_name)["Uploads"]
            assert len(uploads1) == 2
            match(uploads1[0], key1, upload1, user1, name1)
            match(uploads1[1], key2, upload2, user2, name2)

            # list uploads with client2
            uploads2 = client2.list_multipart_uploads(Bucket=bucket_name)["Uploads"]
            assert len(uploads2) == 2
            match(uploads2[0], key1, upload1, user1, name1)
            match(uploads2[1], key2, upload2, user2, name2)
        finally:
            client2.abort_multipart_upload(Bucket=bucket_name, Key=key2, UploadId=upload2)
    finally:
        client1.abort_multipart_upload(Bucket=bucket_name, Key=key1, UploadId=upload1)


def test_multipart_upload_missing_part():
    bucket_name = get_new_bucket()
    client = get_client()
    key = "mymultipart"
    size = 1

    response = client.create_multipart_upload(Bucket=bucket_name, Key=key)
    upload_id = response["UploadId"]

    parts = []
    response = client.upload_part(
        UploadId=upload_id, Bucket=bucket_name, Key=key, PartNumber=1, Body=bytes("\x00", "utf-8")
    )
    # 'PartNumber should be 1'
    parts.append({"ETag": response["ETag"].strip('"'), "PartNumber": 9999})

    e = assert_raises(
        ClientError,
        client.complete_multipart_upload,
        Bucket=bucket_name,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": parts},
    )
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 400
    assert error_code == "InvalidPart"


def test_multipart_upload_incorrect_etag():
    bucket_name = get_new_bucket()
    client = get_client()
    key = "mymultipart"
    size = 1

    response = client.create_multipart_upload(Bucket=bucket_name, Key=key)
    upload_id = response["UploadId"]

    parts = []
    response = client.upload_part(
        UploadId=upload_id, Bucket=bucket_name, Key=key, PartNumber=1, Body=bytes("\x00", "utf-8")
    )
    # 'ETag' should be "93b885adfe0da089cdf634904fd59f71"
    parts.append({"ETag": "ffffffffffffffffffffffffffffffff", "PartNumber": 1})

    e = assert_raises(
        ClientError,
        client.complete_multipart_upload,
        Bucket=bucket_name,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={"Parts": parts},
    )
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 400
    assert error_code == "InvalidPart"


@pytest.mark.fails_on_dbstore
def test_multipart_get_part():
    bucket_name = get_new_bucket()
    client = get_client()
    key = "mymultipart"

    part_size = 5 * 1024 * 1024
    part_sizes = 3 * [part_size] + [1 * 1024 * 1024]
    part_count = len(part_sizes)
    total_size = sum(part_sizes)

    (upload_id, data, parts) = _multipart_upload(
        bucket_name, key, total_size, part_size, resend_parts=[2]
    )

    # request part before complete
    e = assert_raises(ClientError, client.get_object, Bucket=bucket_name, Key=key, PartNumber=1)
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 404
    assert error_code == "NoSuchKey"

    res = client.complete_multipart_upload(
        Bucket=bucket_name, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert len(parts) == part_count

    for part, size in zip(parts, part_sizes):
        response = client.head_object(Bucket=bucket_name, Key=key, PartNumber=part["PartNumber"])
        assert response["PartsCount"] == part_count
        assert response["ETag"] == res["ETag"]

        response = client.get_object(Bucket=bucket_name, Key=key, PartNumber=part["PartNumber"])
        assert response["PartsCount"] == part_count
        assert response["ETag"] == res["ETag"]
        assert response["ContentLength"] == size
        # compare contents
        for chunk in response["Body"].iter_chunks():
            assert chunk.decode() == data[0 : len(chunk)]
            data = data[len(chunk) :]

    # request PartNumber out of range
    e = assert_raises(ClientError, client.get_object, Bucket=bucket_name, Key=key, PartNumber=5)
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 400
    assert error_code == "InvalidPart"


@pytest.mark.fails_on_dbstore
def test_multipart_single_get_part():
    bucket_name = get_new_bucket()
    client = get_client()
    key = "mymultipart"

    part_size = 5 * 1024 * 1024
    part_sizes = [part_size]  # just one part
    part_count = len(part_sizes)
    total_size = sum(part_sizes)

    (upload_id, data, parts) = _multipart_upload(bucket_name, key, total_size, part_size)

    # request part before complete
    e = assert_raises(ClientError, client.get_object, Bucket=bucket_name, Key=key, PartNumber=1)
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 404
    assert error_code == "NoSuchKey"

    res = client.complete_multipart_upload(
        Bucket=bucket_name, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert len(parts) == part_count

    for part, size in zip(parts, part_sizes):
        response = client.head_object(Bucket=bucket_name, Key=key, PartNumber=part["PartNumber"])
        assert response["PartsCount"] == part_count
        assert response["ETag"] == res["ETag"]

        response = client.get_object(Bucket=bucket_name, Key=key, PartNumber=part["PartNumber"])
        assert response["PartsCount"] == part_count
        assert response["ETag"] == res["ETag"]
        assert response["ContentLength"] == size
        # compare contents
        for chunk in response["Body"].iter_chunks():
            assert chunk.decode() == data[0 : len(chunk)]
            data = data[len(chunk) :]

    # request PartNumber out of range
    e = assert_raises(ClientError, client.get_object, Bucket=bucket_name, Key=key, PartNumber=5)
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 400
    assert error_code == "InvalidPart"


@pytest.mark.fails_on_dbstore
def test_non_multipart_get_part():
    bucket_name = get_new_bucket()
    client = get_client()
    key = "singlepart"

    response = client.put_object(Bucket=bucket_name, Key=key, Body="body")
    etag = response["ETag"]

    # request for PartNumber > 1 results in InvalidPart
    e = assert_raises(ClientError, client.get_object, Bucket=bucket_name, Key=key, PartNumber=2)
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 400
    assert error_code == "InvalidPart"

    # request for PartNumber = 1 gives back the entire object
    response = client.get_object(Bucket=bucket_name, Key=key, PartNumber=1)
    assert response["ETag"] == etag
    assert _get_body(response) == "body"


class FakeFile(object):
    """
    file that simulates seek, tell, and current character
    """

    def __init__(self, char="A", interrupt=None):
        self.offset = 0
        self.char = bytes(char, "utf-8")
        self.interrupt = interrupt

    def seek(self, offset, whence=os.SEEK_SET):
        if whence == os.SEEK_SET:
            self.offset = offset
        elif whence == os.SEEK_END:
            self.offset = self.size + offset
        elif whence == os.SEEK_CUR:
            self.offset += offset

    def tell(self):
        return self.offset


class FakeWriteFile(FakeFile):
    """
    file that simulates interruptable reads of constant data
    """

    def __init__(self, size, char="A", interrupt=None):
        FakeFile.__init__(self, char, interrupt)
        self.size = size

    def read(self, size=-1):
        if size < 0:
            size = self.size - self.offset
        count = min(size, self.size - self.offset)
        self.offset += count

        # Sneaky! do stuff before we return (the last time)
        if self.interrupt != None and self.offset == self.size and count > 0:
            self.interrupt()

        return self.char * count


class FakeReadFile(FakeFile):
    """
    file that simulates writes, interrupting after the second
    """

    def __init__(self, size, char="A", interrupt=None):
        FakeFile.__init__(self, char, interrupt)
        self.interrupted = False
        self.size = 0
        self.expected_size = size

    def write(self, chars):
        assert chars == self.char * len(chars)
        self.offset += len(chars)
        self.size += len(chars)

        # Sneaky! do stuff on the second seek
        if not self.interrupted and self.interrupt != None and self.offset > 0:
            self.interrupt()
            self.interrupted = True

    def close(self):
        assert self.size == self.expected_size


class FakeFileVerifier(object):
    """
    file that verifies expected data has been written
    """

    def __init__(self, char=None):
        self.char = char
        self.size = 0

    def write(self, data):
        size = len(data)
        if self.char == None:
            self.char = data[0]
        self.size += size
        assert data.decode() == self.char * size


def _verify_atomic_key_data(bucket_name, key, size=-1, char=None):
    """
    Make sure file is of the expected size and (simulated) content
    """
    fp_verify = FakeFileVerifier(char)
    client = get_client()
    client.download_fileobj(bucket_name, key, fp_verify)
    if size >= 0:
        assert fp_verify.size == size


def _test_atomic_read(file_size):
    """
    Create a file of A's, use it to set_contents_from_file.
    Create a file of B's, use it to re-set_contents_from_file.
    Re-read the contents, and confirm we get B's
    """
    bucket_name = get_new_bucket()
    client = get_client()

    fp_a = FakeWriteFile(file_size, "A")
    client.put_object(Bucket=bucket_name, Key="testobj", Body=fp_a)

    fp_b = FakeWriteFile(file_size, "B")
    fp_a2 = FakeReadFile(
        file_size, "A", lambda: client.put_object(Bucket=bucket_name, Key="testobj", Body=fp_b)
    )

    read_client = get_client()

    read_client.download_fileobj(bucket_name, "testobj", fp_a2)
    fp_a2.close()

    _verify_atomic_key_data(bucket_name, "testobj", file_size, "B")


def test_atomic_read_1mb():
    _test_atomic_read(1024 * 1024)


def test_atomic_read_4mb():
    _test_atomic_read(1024 * 1024 * 4)


def test_atomic_read_8mb():
    _test_atomic_read(1024 * 1024 * 8)


def _test_atomic_write(file_size):
    """
    Create a file of A's, use it to set_contents_from_file.
    Verify the contents are all A's.
    Create a file of B's, use it to re-set_contents_from_file.
    Before re-set continues, verify content's still A's
    Re-read the contents, and confirm we get B's
    """
    bucket_name = get_new_bucket()
    client = get_client()
    objname = "testobj"

    # create <file_size> file of A's
    fp_a = FakeWriteFile(file_size, "A")
    client.put_object(Bucket=bucket_name, Key=objname, Body=fp_a)

    # verify A's
    _verify_atomic_key_data(bucket_name, objname, file_size, "A")

    # create <file_size> file of B's
    # but try to verify the file before we finish writing all the B's
    fp_b = FakeWriteFile(
        file_size, "B", lambda: _verify_atomic_key_data(bucket_name, objname, file_size, "A")
    )

    client.put_object(Bucket=bucket_name, Key=objname, Body=fp_b)

    # verify B's
    _verify_atomic_key_data(bucket_name, objname, file_size, "B")


def test_atomic_write_1mb():
    _test_atomic_write(1024 * 1024)


def test_atomic_write_4mb():
    _test_atomic_write(1024 * 1024 * 4)


def test_atomic_write_8mb():
    _test_atomic_write(1024 * 1024 * 8)


def _test_atomic_dual_write(file_size):
    """
    create an object, two sessions writing different contents
    confirm that it is all one or the other
    """
    bucket_name = get_new_bucket()
    objname = "testobj"
    client = get_client()
    client.put_object(Bucket=bucket_name, Key=objname)

    # write <file_size> file of B's
    # but before we're done, try to write all A's
    fp_a = FakeWriteFile(file_size, "A")

    def rewind_put_fp_a():
        fp_a.seek(0)
        client.put_object(Bucket=bucket_name, Key=objname, Body=fp_a)

    fp_b = FakeWriteFile(file_size, "B", rewind_put_fp_a)
    client.put_object(Bucket=bucket_name, Key=objname, Body=fp_b)

    # verify the file
    _verify_atomic_key_data(bucket_name, objname, file_size, "B")


def test_atomic_dual_write_1mb():
    _test_atomic_dual_write(1024 * 1024)


def test_atomic_dual_write_4mb():
    _test_atomic_dual_write(1024 * 1024 * 4)


def test_atomic_dual_write_8mb():
    _test_atomic_dual_write(1024 * 1024 * 8)


def _test_atomic_conditional_write(file_size):
    """
    Create a file of A's, use it to set_contents_from_file.
    Verify the contents are all A's.
    Create a file of B's, use it to re-set_contents_from_file.
    Before re-set continues, verify content's still A's
    Re-read the contents, and confirm we get B's
    """
    bucket_name = get_new_bucket()
    objname = "testobj"
    client = get_client()

    # create <file_size> file of A's
    fp_a = FakeWriteFile(file_size, "A")
    client.put_object(Bucket=bucket_name, Key=objname, Body=fp_a)

    fp_b = FakeWriteFile(
        file_size, "B", lambda: _verify_atomic_key_data(bucket_name, objname, file_size, "A")
    )

    # create <file_size> file of B's
    # but try to verify the file before we finish writing all the B's
    lf = lambda **kwargs: kwargs["params"]["headers"].update({"If-Match": "*"})
    client.meta.events.register("before-call.s3.PutObject", lf)
    client.put_object(Bucket=bucket_name, Key=objname, Body=fp_b)

    # verify B's
    _verify_atomic_key_data(bucket_name, objname, file_size, "B")


@pytest.mark.fails_on_aws
def test_atomic_conditional_write_1mb():
    _test_atomic_conditional_write(1024 * 1024)


def _test_atomic_dual_conditional_write(file_size):
    """
    create an object, two sessions writing different contents
    confirm that it is all one or the other
    """
    bucket_name = get_new_bucket()
    objname = "testobj"
    client = get_client()

    fp_a = FakeWriteFile(file_size, "A")
    response = client.put_object(Bucket=bucket_name, Key=objname, Body=fp_a)
    _verify_atomic_key_data(bucket_name, objname, file_size, "A")
    etag_fp_a = response["ETag"].replace('"', "")

    # write <file_size> file of C's
    # but before we're done, try to write all B's
    fp_b = FakeWriteFile(file_size, "B")
    lf = lambda **kwargs: kwargs["params"]["headers"].update({"If-Match": etag_fp_a})
    client.meta.events.register("before-call.s3.PutObject", lf)

    def rewind_put_fp_b():
        fp_b.seek(0)
        client.put_object(Bucket=bucket_name, Key=objname, Body=fp_b)

    fp_c = FakeWriteFile(file_size, "C", rewind_put_fp_b)

    e = assert_raises(ClientError, client.put_object, Bucket=bucket_name, Key=objname, Body=fp_c)
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 412
    assert error_code == "PreconditionFailed"

    # verify the file
    _verify_atomic_key_data(bucket_name, objname, file_size, "B")


@pytest.mark.fails_on_aws
# TODO: test not passing with SSL, fix this
@pytest.mark.fails_on_rgw
def test_atomic_dual_conditional_write_1mb():
    _test_atomic_dual_conditional_write(1024 * 1024)


@pytest.mark.fails_on_aws
# TODO: test not passing with SSL, fix this
@pytest.mark.fails_on_rgw
def test_atomic_write_bucket_gone():
    bucket_name = get_new_bucket()
    client = get_client()

    def remove_bucket():
        client.delete_bucket(Bucket=bucket_name)

    objname = "foo"
    fp_a = FakeWriteFile(1024 * 1024, "A", remove_bucket)

    e = assert_raises(ClientError, client.put_object, Bucket=bucket_name, Key=objname, Body=fp_a)
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 404
    assert error_code == "NoSuchBucket"


def test_atomic_multipart_upload_write():
    bucket_name = get_new_bucket()
    client = get_client()
    client.put_object(Bucket=bucket_name, Key="foo", Body="bar")

    response = client.create_multipart_upload(Bucket=bucket_name, Key="foo")
    upload_id = response["UploadId"]

    response = client.get_object(Bucket=bucket_name, Key="foo")
    body = _get_body(response)
    assert body == "bar"

    client.abort_multipart_upload(Bucket=bucket_name, Key="foo", UploadId=upload_id)

    response = client.get_object(Bucket=bucket_name, Key="foo")
    body = _get_body(response)
    assert body == "bar"


class Counter:
    def __init__(self, default_val):
        self.val = default_val

    def inc(self):
        self.val = self.val + 1


class ActionOnCount:
    def __init__(self, trigger_count, action):
        self.count = 0
        self.trigger_count = trigger_count
        self.action = action
        self.result = 0

    def trigger(self):
        self.count = self.count + 1

        if self.count == self.trigger_count:
            self.result = self.action()


def test_multipart_resend_first_finishes_last():
    bucket_name = get_new_bucket()
    client = get_client()
    key_name = "mymultipart"

    response = client.create_multipart_upload(Bucket=bucket_name, Key=key_name)
    upload_id = response["UploadId"]

    # file_size = 8*1024*1024
    file_size = 8

    counter = Counter(0)
    # upload_part might read multiple times from the object
    # first time when it calculates md5, second time when it writes data
    # out. We want to interject only on the last time, but we can't be
    # sure how many times it's going to read, so let's have a test run
    # and count the number of reads

    fp_dry_run = FakeWriteFile(file_size, "C", lambda: counter.inc())

    parts = []

    response = client.upload_part(
        UploadId=upload_id, Bucket=bucket_name, Key=key_name, PartNumber=1, Body=fp_dry_run
    )

    parts.append({"ETag": response["ETag"].strip('"'), "PartNumber": 1})
    client.complete_multipart_upload(
        Bucket=bucket_name, Key=key_name, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )

    client.delete_object(Bucket=bucket_name, Key=key_name)

    # clear parts
    parts[:] = []

    # ok, now for the actual test
    fp_b = FakeWriteFile(file_size, "B")

    def upload_fp_b():
        response = client.upload_part(
            UploadId=upload_id, Bucket=bucket_name, Key=key_name, Body=fp_b, PartNumber=1
        )
        parts.append({"ETag": response["ETag"].strip('"'), "PartNumber": 1})

    action = ActionOnCount(counter.val, lambda: upload_fp_b())

    response = client.create_multipart_upload(Bucket=bucket_name, Key=key_name)
    upload_id = response["UploadId"]

    fp_a = FakeWriteFile(file_size, "A", lambda: action.trigger())

    response = client.upload_part(
        UploadId=upload_id, Bucket=bucket_name, Key=key_name, PartNumber=1, Body=fp_a
    )

    parts.append({"ETag": response["ETag"].strip('"'), "PartNumber": 1})
    client.complete_multipart_upload(
        Bucket=bucket_name, Key=key_name, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )

    _verify_atomic_key_data(bucket_name, key_name, file_size, "A")


@pytest.mark.fails_on_dbstore
def test_ranged_request_response_code():
    content = "testcontent"

    bucket_name = get_new_bucket()
    client = get_client()

    client.put_object(Bucket=bucket_name, Key="testobj", Body=content)
    response = client.get_object(Bucket=bucket_name, Key="testobj", Range="bytes=4-7")

    fetched_content = _get_body(response)
    assert fetched_content == content[4:8]
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-range"] == "bytes 4-7/11"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 206


@pytest.mark.fails_on_dbstore
def test_ranged_request_skip_leading_bytes_response_code():
    content = "testcontent"

    bucket_name = get_new_bucket()
    client = get_client()

    client.put_object(Bucket=bucket_name, Key="testobj", Body=content)
    response = client.get_object(Bucket=bucket_name, Key="testobj", Range="bytes=4-")

    fetched_content = _get_body(response)
    assert fetched_content == content[4:]
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-range"] == "bytes 4-10/11"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 206


@pytest.mark.fails_on_dbstore
def test_ranged_request_return_trailing_bytes_response_code():
    content = "testcontent"

    bucket_name = get_new_bucket()
    client = get_client()

    client.put_object(Bucket=bucket_name, Key="testobj", Body=content)
    response = client.get_object(Bucket=bucket_name, Key="testobj", Range="bytes=-7")

    fetched_content = _get_body(response)
    assert fetched_content == content[-7:]
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-range"] == "bytes 4-10/11"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 206


def test_ranged_request_invalid_range():
    content = "testcontent"

    bucket_name = get_new_bucket()
    client = get_client()

    client.put_object(Bucket=bucket_name, Key="testobj", Body=content)

    # test invalid range
    e = assert_raises(
        ClientError, client.get_object, Bucket=bucket_name, Key="testobj", Range="bytes=40-50"
    )
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 416
    assert error_code == "InvalidRange"


def test_ranged_request_empty_object():
    content = ""

    bucket_name = get_new_bucket()
    client = get_client()

    client.put_object(Bucket=bucket_name, Key="testobj", Body=content)

    # test invalid range
    e = assert_raises(
        ClientError, client.get_object, Bucket=bucket_name, Key="testobj", Range="bytes=40-50"
    )
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 416
    assert error_code == "InvalidRange"


@pytest.mark.fails_on_rgw
def test_object_read_unreadable():
    bucket_name = get_new_bucket()
    client = get_client()
    e = assert_raises(ClientError, client.get_object, Bucket=bucket_name, Key="\xae\x8a-")
    status, error_code = _get_status_and_error_code(e.response)
    assert status == 400
    assert e.response["Error"]["Message"] == "Couldn't parse the specified URI."


@pytest.mark.conditional_write
@pytest.mark.fails_on_dbstore
def test_put_object_if_match():
    client = get_client()
    bucket = get_new_bucket(client)
    key = "obj"

    etag = client.put_object(Bucket=bucket, Key=key, IfNoneMatch="*")["ETag"]

    e = assert_raises(ClientError, client.put_object, Bucket=bucket, Key=key, IfNoneMatch="*")
    assert (412, "PreconditionFailed") == _get_status_and_error_code(e.response)
    e = assert_raises(ClientError, client.put_object, Bucket=bucket, Key=key, IfNoneMatch=etag)
    assert (412, "PreconditionFailed") == _get_status_and_error_code(e.response)
    response = client.put_object(Bucket=bucket, Key=key, IfNoneMatch="badetag")
    assert 200 == response["ResponseMetadata"]["HTTPStatusCode"]

    client.put_object(Bucket=bucket, Key=key, IfMatch=etag)

    client.delete_object(Bucket=bucket, Key=key)

    e = assert_raises(ClientError, client.put_object, Bucket=bucket, Key=key, IfMatch="*")
    assert (404, "NoSuchKey") == _get_status_and_error_code(e.response)
    e = assert_raises(ClientError, client.put_object, Bucket=bucket, Key=key, IfMatch="badetag")
    assert (404, "NoSuchKey") == _get_status_and_error_code(e.response)

    response = client.put_object(Bucket=bucket, Key=key, IfNoneMatch=etag)
    assert 200 == response["ResponseMetadata"]["HTTPStatusCode"]
    response = client.put_object(Bucket=bucket, Key=key, IfMatch="*")
    assert 200 == response["ResponseMetadata"]["HTTPStatusCode"]
    e = assert_raises(ClientError, client.put_object, Bucket=bucket, Key=key, IfMatch="badetag")
    assert (412, "PreconditionFailed") == _get_status_and_error_code(e.response)
    response = client.put_object(Bucket=bucket, Key=key, IfMatch=etag)
    assert 200 == response["ResponseMetadata"]["HTTPStatusCode"]


def prepare_multipart_upload(client, bucket, key, body):
    upload_id = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
    response = client.upload_part(
        UploadId=upload_id, Bucket=bucket, Key=key, PartNumber=1, Body=body
    )
    parts = [{"ETag": response["ETag"].strip('"'), "PartNumber": 1}]
    return upload_id, parts


def successful_conditional_multipart_upload(
    client, bucket, key, body="abc", IfMatch=None, IfNoneMatch=None
):
    upload_id, parts = prepare_multipart_upload(client, bucket, key, body)
    if IfMatch:
        response = client.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            IfMatch=IfMatch,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
        )
    elif IfNoneMatch:
        response = client.complete_multipart_upload(
            Bucket=bucket,
            Key=key,
            IfNoneMatch=IfNoneMatch,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
        )
    else:
        response = client.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
        )

    return response


def failing_conditional_multipart_upload(
    expected_failure, client, bucket, key, body="abc", IfMatch=None, IfNoneMatch=None
):
    upload_id, parts = prepare_multipart_upload(client, bucket, key, body)
    if IfMatch:
        e = assert_raises(
            ClientError,
            client.complete_multipart_upload,
            Bucket=bucket,
            Key=key,
            IfMatch=IfMatch,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
        )
    elif IfNoneMatch:
        e = assert_raises(
            ClientError,
            client.complete_multipart_upload,
            Bucket=bucket,
            Key=key,
            IfNoneMatch=IfNoneMatch,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
        )
    else:
        e = assert_raises(
            ClientError,
            client.complete_multipart_upload,
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
        )

    assert expected_failure == _get_status_and_error_code(e.response)


@pytest.mark.conditional_write
@pytest.mark.fails_on_dbstore
def test_multipart_put_object_if_match():
    client = get_client()
    bucket = get_new_bucket(client)
    key = "obj"

    response = successful_conditional_multipart_upload(client, bucket, key, IfNoneMatch="*")
    etag = response["ETag"]

    failing_conditional_multipart_upload(
        (412, "PreconditionFailed"), client, bucket, key, IfNoneMatch="*"
    )
    failing_conditional_multipart_upload(
        (412, "PreconditionFailed"), client, bucket, key, IfNoneMatch=etag
    )

    response = successful_conditional_multipart_upload(client, bucket, key, IfNoneMatch="badetag")
    etag = response["ETag"]
    assert 200 == response["ResponseMetadata"]["HTTPStatusCode"]

    response = successful_conditional_multipart_upload(client, bucket, key, IfMatch=etag)
    etag = response["ETag"]

    client.delete_object(Bucket=bucket, Key=key)

    failing_conditional_multipart_upload((404, "NoSuchKey"), client, bucket, key, IfMatch="*")
    failing_conditional_multipart_upload((404, "NoSuchKey"), client, bucket, key, IfMatch="badetag")

    response = successful_conditional_multipart_upload(client, bucket, key, IfNoneMatch=etag)
    etag = response["ETag"]
    assert 200 == response["ResponseMetadata"]["HTTPStatusCode"]
    response = successful_conditional_multipart_upload(client, bucket, key, IfMatch="*")
    etag = response["ETag"]
    assert 200 == response["ResponseMetadata"]["HTTPStatusCode"]
    failing_conditional_multipart_upload(
        (412, "PreconditionFailed"), client, bucket, key, IfMatch="badetag"
    )
    response = successful_conditional_multipart_upload(client, bucket, key, IfMatch=etag)
    assert 200 == response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.mark.conditional_write
@pytest.mark.fails_on_dbstore
def test_multipart_put_current_object_if_none_match():
    client = get_client()
    bucket = get_new_bucket(client)
    check_configure_versioning_retry(bucket, "Enabled", "Enabled")
    key = "obj"
    data1 = "data1"
    data2 = "data2"

    response = successful_conditional_multipart_upload(client, bucket, key, data1, IfNoneMatch="*")
    etag = response["ETag"]

    response = successful_conditional_multipart_upload(client, bucket, key, data2)
    etag2 = response["ETag"]

    failing_conditional_multipart_upload(
        (412, "PreconditionFailed"), client, bucket, key, IfNoneMatch="*"
    )
    failing_conditional_multipart_upload(
        (412, "PreconditionFailed"), client, bucket, key, IfNoneMatch=etag2
    )

    # we can't specify a version, so we only check against current object
    response = successful_conditional_multipart_upload(client, bucket, key, IfNoneMatch=etag)
    assert 200 == response["ResponseMetadata"]["HTTPStatusCode"]
    response = successful_conditional_multipart_upload(client, bucket, key, IfNoneMatch="badetag")
    assert 200 == response["ResponseMetadata"]["HTTPStatusCode"]

    client.delete_object(Bucket=bucket, Key=key)


@pytest.mark.conditional_write
@pytest.mark.fails_on_dbstore
def test_multipart_put_current_object_if_match():
    client = get_client()
    bucket = get_new_bucket(client)
    check_configure_versioning_retry(bucket, "Enabled", "Enabled")
    key = "obj"
    data1 = "data1"
    data2 = "data2"
    etag = "deadbeef"

    failing_conditional_multipart_upload((404, "NoSuchKey"), client, bucket, key, IfMatch="*")
    failing_conditional_multipart_upload((404, "NoSuchKey"), client, bucket, key, IfMatch="badetag")

    response = successful_conditional_multipart_upload(client, bucket, key, data1, IfNoneMatch=etag)
    assert 200 == response["ResponseMetadata"]["HTTPStatusCode"]
    etag = response["ETag"]
    versionId = response["VersionId"]
    response = successful_conditional_multipart_upload(client, bucket, key, data2, IfMatch="*")
    assert 200 == response["ResponseMetadata"]["HTTPStatusCode"]
    etag2 = response["ETag"]

    failing_conditional_multipart_upload(
        (412, "PreconditionFailed"), client, bucket, key, IfMatch="badetag"
    )
    failing_conditional_multipart_upload(
        (412, "PreconditionFailed"), client, bucket, key, IfMatch=etag
    )
    response = successful_conditional_multipart_upload(client, bucket, key, IfMatch=etag2)
    assert 200 == response["ResponseMetadata"]["HTTPStatusCode"]
