"""The public API, diffed against a golden file: every name in both packages' ``__all__``, every
public method, property and field with its signature.

A change to the public surface shows up here as a diff of ``tests/unit/public_api.txt``. Adding a
keyword-only parameter with a default is fine (regenerate the file and commit the diff with the
change); removing or renaming anything is a break that needs a deliberate decision.

Regenerate with ``COS_UPDATE_GOLDEN=1 python -m pytest tests/unit/test_public_api_golden.py``.
"""

from __future__ import annotations

import enum
import inspect
import os
import types
from pathlib import Path
from typing import Any

import attrs

import cos_async
import cos_sync

GOLDEN = Path(__file__).with_name("public_api.txt")


def _signature(fn: Any) -> str:
    try:
        return str(inspect.signature(fn))
    except (TypeError, ValueError):
        return "(?)"


def _kind(fn: Any) -> str:
    if inspect.isasyncgenfunction(fn):
        return "async-gen"
    if inspect.iscoroutinefunction(fn):
        return "async"
    return "def"


def _class_lines(cls: type) -> list[str]:
    bases = ", ".join(b.__name__ for b in cls.__bases__ if b is not object)
    lines = [f"class {cls.__name__}({bases})"]
    if issubclass(cls, enum.Enum):
        lines += [f"    {m.name} = {m.value!r}" for m in cls]
        return lines
    if attrs.has(cls):
        for f in attrs.fields(cls):
            if f.name.startswith("_"):
                continue
            default = "" if f.default is attrs.NOTHING else f" = {_default(f.default)}"
            lines.append(f"    field {f.name}: {f.type}{default}")
    for name in sorted(dir(cls)):
        if name.startswith("_") and name not in ("__init__", "__call__"):
            continue
        try:
            attr = inspect.getattr_static(cls, name)
        except AttributeError:
            continue
        owner = next((k for k in cls.__mro__ if name in vars(k)), None)
        if owner is None or owner.__module__ == "builtins" or owner in (Exception, BaseException):
            continue
        if name == "__init__" and attrs.has(cls):
            continue  # attrs-made: the fields above say it all
        if isinstance(attr, property):
            lines.append(f"    property {name}")
        elif isinstance(attr, staticmethod | classmethod):
            fn = attr.__func__
            lines.append(f"    {type(attr).__name__} {name}{_signature(fn)}")
        elif inspect.isfunction(attr):
            lines.append(f"    {_kind(attr)} {name}{_signature(attr)}")
        elif hasattr(attr, "signature") and isinstance(attr.signature, inspect.Signature):
            # a cos_sync mirrored method (a descriptor carrying the blocking signature)
            lines.append(f"    sync {name}{attr.signature}")
        elif callable(getattr(attr, "__get__", None)) and not isinstance(
            attr, (int, str, float, tuple, frozenset)
        ):
            lines.append(f"    attribute {name}: {type(attr).__name__}")
    return lines


def _default(value: Any) -> str:
    if isinstance(value, attrs.Factory):  # type: ignore[arg-type]
        return f"factory({getattr(value.factory, '__name__', '?')})"
    return repr(value)


def render() -> str:
    out: list[str] = []
    for module in (cos_async, cos_sync):
        out.append(f"# module {module.__name__}")
        for name in module.__all__:
            if name == "__version__":
                out.append(f"{name}: str")
                continue
            obj = getattr(module, name)
            if module is cos_sync and getattr(cos_async, name, None) is obj:
                out.append(f"{name} = cos_async.{name}")  # one identity in both packages
            elif isinstance(obj, type):
                out += _class_lines(obj)
            elif isinstance(obj, types.FunctionType):
                out.append(f"{_kind(obj)} {name}{_signature(obj)}")
            else:
                out.append(f"{name}: {type(obj).__name__}")
        out.append("")
    return "\n".join(out)


def test_public_api_matches_the_golden_file() -> None:
    current = render()
    if os.environ.get("COS_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(current, encoding="utf-8")
    expected = GOLDEN.read_text(encoding="utf-8")
    if current != expected:
        import difflib

        diff = "\n".join(
            difflib.unified_diff(
                expected.splitlines(), current.splitlines(), "golden", "current", lineterm=""
            )
        )
        raise AssertionError(
            "the public API changed; if that is intended, regenerate the golden file "
            f"(COS_UPDATE_GOLDEN=1) and commit it:\n{diff}"
        )


def test_the_golden_file_covers_the_client_surface() -> None:
    text = GOLDEN.read_text(encoding="utf-8")
    for needle in (
        "class AsyncCosClient(",
        "async put_object(self, bucket: 'str', key: 'str', data: 'Body'",
        "async-gen list_objects(self, bucket: 'str'",
        "class CosClient(",
        "sync put_object(bucket: 'str', key: 'str', data: 'Body'",
    ):
        assert needle in text, needle
