"""griffe extensions for the API reference (mkdocs.yml loads them).

``MirroredMethods``: methods defined by assignment become methods.

``AsyncCosClient`` builds its bucket-configuration methods with factories
(``put_bucket_cors = _putter(...)`` in ``_ops/bucket_config.py``) and ``cos_sync.CosClient`` mirrors every async method
with a descriptor (``put_object = _Method(AsyncCosClient.put_object)``). Read statically, those
are attributes without docstrings, which mkdocstrings would leave out. This extension replaces
each of them with a function carrying the runtime signature and docstring, so that the reference
shows them like any other method, from the same single source (the docstrings in the code).

``RestRoles``: the docstrings use a few reStructuredText habits (``:class:`X```, a paragraph
ending in ``::`` before an indented example); render them as Markdown code spans and a colon.
"""

from __future__ import annotations

import ast
import inspect
import re
from typing import Any

import griffe

#: classes whose assigned members are methods
CLASSES = (
    "cos_async._ops.bucket_config.BucketConfigOps",
    "cos_sync._client.CosClient",
    "cos_sync.crypto.CosEncryptionClient",
)

_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: griffe.ParameterKind.positional_only,
    inspect.Parameter.POSITIONAL_OR_KEYWORD: griffe.ParameterKind.positional_or_keyword,
    inspect.Parameter.VAR_POSITIONAL: griffe.ParameterKind.var_positional,
    inspect.Parameter.KEYWORD_ONLY: griffe.ParameterKind.keyword_only,
    inspect.Parameter.VAR_KEYWORD: griffe.ParameterKind.var_keyword,
}


_ROLE = re.compile(r":(?:class|meth|func|mod|attr|exc|data|obj):`~?([^`]+)`")
_LITERAL_INTRO = re.compile(r"::(?=\n[ \t]*\n)")  # "example::" then a blank line


def _markdown(text: str) -> str:
    """``:class:`X``` -> ```X```, and a paragraph's closing ``::`` -> ``:``."""
    return _LITERAL_INTRO.sub(":", _ROLE.sub(r"`\1`", text))


def _text(annotation: Any) -> str | None:
    if annotation is inspect.Signature.empty:
        return None
    return annotation if isinstance(annotation, str) else getattr(annotation, "__name__", None)


def _default(parameter: inspect.Parameter) -> str | None:
    return None if parameter.default is inspect.Parameter.empty else repr(parameter.default)


class MirroredMethods(griffe.Extension):
    def on_class_members(
        self, *, node: ast.AST | griffe.ObjectNode, cls: griffe.Class, agent: Any, **kwargs: Any
    ) -> None:
        if cls.path not in CLASSES:
            return
        runtime = griffe.dynamic_import(cls.path)
        for name, member in list(cls.members.items()):
            if name.startswith("_") or not isinstance(member, griffe.Attribute):
                continue
            value = inspect.getattr_static(runtime, name, None)
            if inspect.isfunction(value):  # built by a factory
                signature = inspect.signature(value)
                is_async = inspect.iscoroutinefunction(value)
            elif hasattr(value, "afn") and hasattr(value, "signature"):  # a cos_sync mirror
                signature = value.signature
                signature = signature.replace(
                    parameters=[
                        inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD),
                        *signature.parameters.values(),
                    ]
                )
                is_async = False
            else:
                continue
            doc = inspect.getdoc(value)
            function = griffe.Function(
                name,
                lineno=member.lineno,
                endlineno=member.endlineno,
                parameters=griffe.Parameters(
                    *(
                        griffe.Parameter(
                            p.name,
                            annotation=_text(p.annotation),
                            kind=_KINDS[p.kind],
                            default=_default(p),
                        )
                        for p in signature.parameters.values()
                    )
                ),
                returns=_text(signature.return_annotation),
                docstring=griffe.Docstring(_markdown(doc), lineno=member.lineno) if doc else None,
            )
            if is_async:
                function.labels.add("async")
            cls.set_member(name, function)


class RestRoles(griffe.Extension):
    def on_instance(
        self, *, node: ast.AST | griffe.ObjectNode, obj: griffe.Object, agent: Any, **kwargs: Any
    ) -> None:
        if obj.docstring is not None and obj.path.startswith(("cos_async", "cos_sync")):
            obj.docstring.value = _markdown(obj.docstring.value)
