"""The public surface of cos_async: ``__all__``, docstrings and method signatures."""

from __future__ import annotations

import inspect
import re
import types
from collections.abc import Callable
from typing import Any

import pytest

import cos_async
from cos_async import AsyncCosClient

PUBLIC_ALL = [name for name in cos_async.__all__ if name != "__version__"]


def _isort_key(name: str) -> tuple[int, list[Any]]:
    """The order ruff's RUF022 keeps ``__all__`` in (its "isort-style" sort): SCREAMING_CASE
    constants first, then CamelCase classes, then everything else; within each group a
    case-sensitive natural sort (digit runs compare as numbers)."""
    if len(name) > 1 and name.isupper():
        group = 0
    elif name[:1].isupper():
        group = 1
    else:
        group = 2
    parts = [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name) if p]
    return group, [(0, p, "") if isinstance(p, int) else (1, 0, p) for p in parts]


def test_all_has_no_duplicates() -> None:
    assert len(cos_async.__all__) == len(set(cos_async.__all__))


def test_all_is_sorted() -> None:
    assert cos_async.__all__ == sorted(cos_async.__all__, key=_isort_key)


def test_every_name_in_all_exists() -> None:
    for name in cos_async.__all__:
        assert getattr(cos_async, name) is not None, name
    assert isinstance(cos_async.__version__, str)
    assert cos_async.__version__


def test_all_lists_every_public_name() -> None:
    public = {
        name
        for name, value in vars(cos_async).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and name not in ("annotations", "contextlib")
    }
    assert public == set(PUBLIC_ALL)


def test_private_modules_are_not_exported() -> None:
    assert not [
        name for name in cos_async.__all__ if name.startswith("_") and name != "__version__"
    ]


def test_unknown_attribute() -> None:
    with pytest.raises(AttributeError, match="no_such_name"):
        cos_async.no_such_name  # type: ignore[attr-defined]  # noqa: B018


@pytest.mark.parametrize("name", PUBLIC_ALL)
def test_public_objects_present_as_cos_async(name: str) -> None:
    obj = getattr(cos_async, name)
    if isinstance(obj, type) or inspect.isfunction(obj):
        assert obj.__module__ == "cos_async", name


# --- docstrings -------------------------------------------------------------------------------

#: Classes that carry the documentation of their family (leaf exceptions and result models
#: are documented by the tree in cos_async._errors and by their fields).
DOCUMENTED_CLASSES = [
    "AsyncCosClient",
    "CosConfig",
    "RetryConfig",
    "Credentials",
    "CredentialsProvider",
    "StaticCredentials",
    "EnvironmentCredentials",
    "RefreshingCredentials",
    "ObjectBody",
    "CosError",
    "CosClientError",
    "CosServiceError",
    "InvalidArgument",
    "CredentialsError",
    "CosTransportError",
    "CosTimeoutError",
    "IntegrityError",
    "RetryExhausted",
]


@pytest.mark.parametrize("name", DOCUMENTED_CLASSES)
def test_core_classes_have_docstrings(name: str) -> None:
    assert (getattr(cos_async, name).__doc__ or "").strip(), name


def test_set_testing_has_a_docstring() -> None:
    assert (cos_async.set_testing.__doc__ or "").strip()


def _public_members(cls: type) -> dict[str, Callable[..., Any]]:
    """Public methods and properties defined on ``cls`` (the function behind a property)."""
    members: dict[str, Callable[..., Any]] = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(cls, name)
        if isinstance(attr, property):
            assert attr.fget is not None
            members[name] = attr.fget
        elif isinstance(attr, staticmethod | classmethod):
            members[name] = attr.__func__
        elif inspect.isfunction(attr):
            members[name] = attr
    return members


CLIENT_MEMBERS = _public_members(AsyncCosClient)
CLIENT_METHODS = {
    name: fn
    for name, fn in CLIENT_MEMBERS.items()
    if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn)
}


def test_client_has_the_core_operations() -> None:
    for name in (
        "put_object",
        "get_object",
        "head_object",
        "delete_object",
        "delete_objects",
        "list_objects",
        "copy_object",
        "create_multipart_upload",
        "upload_part",
        "complete_multipart_upload",
        "abort_multipart_upload",
        "presign_url",
        "aclose",
    ):
        assert name in CLIENT_METHODS, name
    assert "object_url" in CLIENT_MEMBERS


def test_client_public_members_have_docstrings() -> None:
    missing = sorted(name for name, fn in CLIENT_MEMBERS.items() if not (fn.__doc__ or "").strip())
    assert not missing, f"AsyncCosClient members without a docstring: {', '.join(missing)}"


# --- signatures ------------------------------------------------------------------------------

#: Parameters any client method may take positionally.
COMMON_POSITIONAL = {
    "bucket",
    "key",
    "upload_id",
    "part_number",
    "data",
    "keys",
    "tags",
    "parts",
    # the document a bucket-configuration method puts, or the id of the one it reads
    "config",
    "policy",
    "inventory_id",
}
#: Further positional parameters, method by method (documented in each method).
EXTRA_POSITIONAL: dict[str, set[str]] = {
    "presign_url": {"method"},
    "request": {"method"},
    "get_auth": {"method"},
    "select_object_content": {"expression"},
    "copy": {"src_bucket", "src_key", "dst_bucket", "dst_key"},
    "upload_file": {"path"},
    "download_file": {"path"},
    "download_fileobj": {"fileobj"},
    "upload_stream": {"source"},
    "delete_prefix": {"prefix"},
    "download_prefix": {"prefix", "local_dir"},
    "upload_dir": {"local_dir", "prefix"},
    "put_symlink": {"target"},
    "change_object_storage_class": {"storage_class"},
    "put_async_fetch_task": {"task"},
    "get_async_fetch_task": {"task_id"},
    "get_bucket_domain_certificate": {"domain"},
    "delete_bucket_domain_certificate": {"domain"},
    "get_bucket_intelligent_tiering_rule": {"rule_id"},
    "delete_bucket_intelligent_tiering_rule": {"rule_id"},
}


def _params(fn: Callable[..., Any]) -> list[inspect.Parameter]:
    return list(inspect.signature(fn).parameters.values())[1:]  # without self


@pytest.mark.parametrize("name", sorted(CLIENT_METHODS))
def test_client_method_parameters(name: str) -> None:
    params = _params(CLIENT_METHODS[name])
    positional = [p.name for p in params if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    others = [p for p in params if p.kind is not inspect.Parameter.POSITIONAL_OR_KEYWORD]
    allowed = COMMON_POSITIONAL | EXTRA_POSITIONAL.get(name, set())
    unexpected = [n for n in positional if n not in allowed]
    assert not unexpected, f"{name}: make these keyword-only: {unexpected}"
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in others), (
        f"{name}: only keyword-only parameters may follow the positional ones: {others}"
    )
    # the positional ones come first, in the order of the path: bucket, key, upload id, part
    order = [n for n in ("bucket", "key", "upload_id", "part_number") if n in positional]
    assert order == [n for n in positional if n in order], name
    if "key" in positional:
        assert "bucket" in positional, name


@pytest.mark.parametrize("name", sorted(CLIENT_MEMBERS))
def test_no_var_args(name: str) -> None:
    kinds = {p.kind for p in _params(CLIENT_MEMBERS[name])}
    assert inspect.Parameter.VAR_KEYWORD not in kinds, f"{name} takes **kwargs"
    assert inspect.Parameter.VAR_POSITIONAL not in kinds, f"{name} takes *args"


def test_object_url_signature() -> None:
    params = _params(AsyncCosClient.object_url)
    assert [p.name for p in params] == ["bucket", "key"]


def test_client_constructor_takes_a_config_and_keyword_only_hooks() -> None:
    params = _params(AsyncCosClient.__init__)
    assert [p.name for p in params] == ["config", "on_request", "on_response"]
    assert params[0].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:])


def test_sync_constructor_matches_the_async_one() -> None:
    import cos_sync

    assert _params(cos_sync.CosClient.__init__) == _params(AsyncCosClient.__init__)


# --- cos_sync ---------------------------------------------------------------------------------


def test_cos_sync_exists() -> None:
    import cos_sync

    assert cos_sync.__version__ == cos_async.__version__
    assert "__version__" in cos_sync.__all__


def test_cos_sync_mirrors_the_client() -> None:
    # The full signature comparison lives in tests/sync/test_mirror.py; here: every public
    # method of the async client has a facade counterpart, and __all__ is sorted and complete.
    import cos_sync

    public = [n for n in dir(cos_async.AsyncCosClient) if not n.startswith("_")]
    missing = [n for n in public if n != "aclose" and not hasattr(cos_sync.CosClient, n)]
    assert missing == []
    assert hasattr(cos_sync.CosClient, "close")
    assert len(set(cos_sync.__all__)) == len(cos_sync.__all__)
    for name in cos_sync.__all__:
        assert hasattr(cos_sync, name), name
