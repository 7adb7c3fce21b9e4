"""cos_sync mirrors cos_async: every public method, with the same signature; the same classes.

The comparisons run over ``dir(AsyncCosClient)``: a method added to the async client but not to
the facade fails here.
"""

from __future__ import annotations

import inspect
import pydoc
import subprocess
import sys
import tempfile
import types
import typing
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

import cos_async
import cos_sync
from cos_async import AsyncCosClient
from cos_sync import CosClient, CosConfig

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent

#: async name -> sync name, where they differ
RENAMED = {"aclose": "close"}


def _public_async_methods() -> dict[str, Callable[..., Any]]:
    out: dict[str, Callable[..., Any]] = {}
    for name in dir(AsyncCosClient):
        if name.startswith("_"):
            continue
        attr = inspect.getattr_static(AsyncCosClient, name)
        if isinstance(attr, (property, classmethod, staticmethod)):
            continue
        assert inspect.isfunction(attr), f"AsyncCosClient.{name} is neither method nor property"
        out[name] = attr
    return out


ASYNC_METHODS = _public_async_methods()
COROUTINES = sorted(n for n, f in ASYNC_METHODS.items() if inspect.iscoroutinefunction(f))
GENERATORS = sorted(n for n, f in ASYNC_METHODS.items() if inspect.isasyncgenfunction(f))
PLAIN = sorted(set(ASYNC_METHODS) - set(COROUTINES) - set(GENERATORS))


@pytest.fixture
def offline() -> Iterator[CosClient]:
    """A client that is never used for requests (no server needed)."""
    with CosClient(CosConfig(region="ap-guangzhou", secret_id="id", secret_key="key")) as c:
        yield c


def _without_self(fn: Callable[..., Any]) -> inspect.Signature:
    sig = inspect.signature(fn)
    params = list(sig.parameters.values())
    assert params
    assert params[0].name == "self"
    return sig.replace(parameters=params[1:])


def _same_parameters(sync_sig: inspect.Signature, async_sig: inspect.Signature) -> None:
    def describe(sig: inspect.Signature) -> list[tuple[str, Any, Any, Any]]:
        return [(p.name, p.kind, p.default, p.annotation) for p in sig.parameters.values()]

    assert describe(sync_sig) == describe(async_sig)


def test_the_async_surface_is_what_we_think() -> None:
    # guards the classification below against an empty or misread dir()
    assert {"put_object", "get_object", "upload_file", "aclose"} <= set(COROUTINES)
    assert {"list_objects", "list_objects_pages", "list_parts"} <= set(GENERATORS)
    assert "object_url" in PLAIN


@pytest.mark.parametrize("name", sorted(ASYNC_METHODS))
def test_every_public_method_is_mirrored(name: str, offline: CosClient) -> None:
    sync_name = RENAMED.get(name, name)
    assert hasattr(CosClient, sync_name), f"CosClient lacks {sync_name} (AsyncCosClient.{name})"
    bound = getattr(offline, sync_name)
    assert callable(bound)
    assert not inspect.iscoroutinefunction(bound)
    assert not inspect.isasyncgenfunction(bound)


@pytest.mark.parametrize("name", COROUTINES + PLAIN)
def test_signatures_match(name: str, offline: CosClient) -> None:
    sync_name = RENAMED.get(name, name)
    async_fn = ASYNC_METHODS[name]
    async_sig = _without_self(async_fn)
    sync_sig = inspect.signature(getattr(offline, sync_name))
    _same_parameters(sync_sig, async_sig)
    if name == "get_object":
        assert sync_sig.return_annotation == "ObjectBody"
        assert getattr(offline, name).__doc__ == async_fn.__doc__
    elif name == "aclose":
        assert sync_sig.return_annotation in (None, "None")
    else:
        # a coroutine function's annotation is already the awaited type
        assert sync_sig.return_annotation == async_sig.return_annotation
    if name not in RENAMED and name not in PLAIN:
        # the docstring is the async method's own
        assert getattr(offline, name).__doc__ == async_fn.__doc__
        assert getattr(offline, name).__name__ == name


@pytest.mark.parametrize("name", GENERATORS)
def test_async_generators_are_mirrored_as_generators(name: str, offline: CosClient) -> None:
    async_fn = ASYNC_METHODS[name]
    sync_method = getattr(offline, name)
    sync_sig = inspect.signature(sync_method)
    _same_parameters(sync_sig, _without_self(async_fn))
    ret = sync_sig.return_annotation
    assert str(ret).startswith("Generator["), ret
    assert "Async" not in str(ret), ret
    assert sync_method.__doc__ == async_fn.__doc__
    # calling sends nothing: the generator starts on the first next()
    required = sum(
        p.default is inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD
        for p in sync_sig.parameters.values()
    )
    args = (["b-1250000000"] + ["x"] * (required - 1))[:required]  # the bucket first, if any
    # required keyword-only arguments too (select_object_content's input_format): never checked,
    # since nothing runs before the first next()
    kwargs = {
        p.name: "x"
        for p in sync_sig.parameters.values()
        if p.default is inspect.Parameter.empty and p.kind is p.KEYWORD_ONLY
    }
    gen = sync_method(*args, **kwargs)
    try:
        assert isinstance(gen, types.GeneratorType)
    finally:
        gen.close()


def test_close_mirrors_aclose_and_context_managers(offline: CosClient) -> None:
    assert inspect.signature(offline.close).parameters == {}
    assert hasattr(AsyncCosClient, "__aenter__")
    assert hasattr(CosClient, "__enter__")
    assert hasattr(AsyncCosClient, "__aexit__")
    assert hasattr(CosClient, "__exit__")
    assert inspect.signature(CosClient.__exit__).parameters.keys() == (
        inspect.signature(AsyncCosClient.__aexit__).parameters.keys()
    )


def test_config_property(offline: CosClient) -> None:
    assert isinstance(inspect.getattr_static(AsyncCosClient, "config"), property)
    assert isinstance(inspect.getattr_static(CosClient, "config"), property)
    assert offline.config.region == "ap-guangzhou"


def test_no_extra_public_methods_on_the_facade() -> None:
    sync_public = {n for n in dir(CosClient) if not n.startswith("_")}
    expected = {RENAMED.get(n, n) for n in ASYNC_METHODS} | {"config"}
    assert sync_public == expected


def test_all_is_the_shared_names_plus_the_facade() -> None:
    expected = (set(cos_async.__all__) - {"AsyncCosClient"}) | {"CosClient", "ObjectBody"}
    # the facade's own: the blocking client and the blocking bodies (ObjectBody, RawResponse)
    assert set(cos_sync.__all__) == expected
    assert len(cos_sync.__all__) == len(set(cos_sync.__all__))
    for name in cos_sync.__all__:
        assert hasattr(cos_sync, name), name


@pytest.mark.parametrize(
    "name",
    sorted(set(cos_async.__all__) - {"AsyncCosClient", "ObjectBody", "RawResponse", "__version__"}),
)
def test_shared_names_are_the_same_objects(name: str) -> None:
    assert getattr(cos_sync, name) is getattr(cos_async, name)


def test_identity_of_key_classes() -> None:
    assert cos_sync.NoSuchKey is cos_async.NoSuchKey
    assert cos_sync.CosConfig is cos_async.CosConfig
    assert cos_sync.PutObjectResult is cos_async.PutObjectResult
    assert cos_sync.ListObjectsPage is cos_async.ListObjectsPage
    assert cos_sync.__version__ == cos_async.__version__
    assert cos_sync.ObjectBody is not cos_async.ObjectBody  # type: ignore[comparison-overlap]
    assert cos_sync.CosClient.__module__ == "cos_sync"
    assert cos_sync.ObjectBody.__module__ == "cos_sync"


def test_mypy_sees_the_real_types_through_the_descriptors() -> None:
    """``mypy --strict`` accepts typing_check.py: its typed assignments hold, and each marked
    wrong call is an error (an unneeded ``type: ignore`` would fail ``warn_unused_ignores``)."""
    target = HERE / "typing_check.py"
    cache = Path(tempfile.gettempdir()) / "cos-sync-typing-check-mypy-cache"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--warn-unused-ignores",
            # the packages' own errors are `mypy cos_async cos_sync`'s business, not this test's
            "--follow-imports=silent",
            "--no-error-summary",
            "--cache-dir",
            str(cache),
            str(target),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=100,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    source = target.read_text()
    assert source.count("# type: ignore[") >= 5


# --- introspection: the facade's methods behave like methods ----------------------------------


@pytest.mark.parametrize("name", sorted((set(COROUTINES) | set(GENERATORS)) - {"aclose"}))
def test_class_level_signature_help_and_hints(name: str, offline: CosClient) -> None:
    unbound = getattr(CosClient, name)
    sig = inspect.signature(unbound)  # on the class: with self
    assert next(iter(sig.parameters)) == "self"
    assert list(sig.parameters)[1:] == list(inspect.signature(getattr(offline, name)).parameters)
    assert unbound.__qualname__ == f"CosClient.{name}"
    assert unbound.__doc__ == ASYNC_METHODS[name].__doc__
    # type hints resolve (the async method's names, e.g. ProgressCallback), on both levels
    for fn in (unbound, getattr(offline, name)):
        hints = typing.get_type_hints(fn)
        assert "return" in hints
    if name in GENERATORS:
        assert typing.get_origin(typing.get_type_hints(unbound)["return"]) is Generator
    if name == "get_object":
        assert typing.get_type_hints(unbound)["return"] is cos_sync.ObjectBody


def test_help_shows_the_mirrored_signatures() -> None:
    text = pydoc.render_doc(CosClient, renderer=pydoc.plaintext)
    assert "<_Method object" not in text
    assert "upload_file(self, /, bucket: 'str', key: 'str', path:" in text
    assert "list_objects(self, /, bucket: 'str', *, prefix: 'str' = ''" in text
