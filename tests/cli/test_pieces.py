"""The pure pieces of the command line, in-process: paths, names of downloaded keys, filters,
sizes, the settings chain."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from cos_async.cli._context import Filters
from cos_async.cli._errors import UsageError
from cos_async.cli._output import human_size, parse_size
from cos_async.cli._paths import (
    CosPath,
    LocalPath,
    parse_path,
    relative_key,
    safe_local_relative,
)
from cos_async.cli._settings import resolve


def test_paths() -> None:
    assert parse_path("cos://photos-1250000000/a/b.jpg") == CosPath("photos-1250000000", "a/b.jpg")
    assert parse_path("COS://photos-1250000000") == CosPath("photos-1250000000", "")
    assert parse_path("./x") == LocalPath("./x")
    assert parse_path("-").is_stdio  # type: ignore[union-attr]
    for bad in ("cos://", "cos://photos/x", "cos://Photos-125/x", "gs://b/x", "cos://b-1/\x00"):
        with pytest.raises(UsageError):
            parse_path(bad)
    assert CosPath("b-1", "dir/").child("f") == CosPath("b-1", "dir/f")
    assert CosPath("b-1", "dir").child("f") == CosPath("b-1", "dir/f")


def test_keys_in_a_directory_and_as_local_names() -> None:
    assert relative_key("photos/a.jpg", "photos") == "a.jpg"
    assert relative_key("photos2/a.jpg", "photos") is None
    assert relative_key("photos", "photos") == "photos"
    assert relative_key("x/y", "") == "x/y"
    assert safe_local_relative("a/b.txt") == os.path.join("a", "b.txt")
    for hostile in ("../evil", "a/../../evil", "/etc/passwd", "a\\b", "a//b", "./a", "a/", ""):
        assert safe_local_relative(hostile) is None, hostile


def test_filters_last_match_wins() -> None:
    keep = Filters.of([("exclude", "*.log"), ("include", "keep/*.log")])
    assert keep("a.txt")
    assert not keep("x/a.log")
    assert keep("keep/a.log")
    assert Filters()("anything")


def test_sizes() -> None:
    assert parse_size("8MiB") == parse_size("8M") == parse_size("8 mib") == 8 * 1024**2
    assert parse_size("8MB") == 8_000_000
    assert parse_size("1.5K") == 1536
    assert parse_size("123") == 123
    for bad in ("", "MiB", "8XB", "-1", "0.3"):
        with pytest.raises(UsageError):
            parse_size(bad)
    assert human_size(0) == "0 B"
    assert human_size(1023) == "1023 B"
    assert human_size(1536) == "1.5 KiB"
    assert human_size(1024**2 - 1) == "1.0 MiB"
    assert human_size(5 * 1024**3) == "5.0 GiB"


def test_settings_chain(tmp_path: Path) -> None:
    base = {
        "region": None,
        "endpoint_url": None,
        "secret_id": None,
        "secret_key": None,
        "token": None,
        "anonymous": False,
        "config": None,
        "profile": None,
    }
    env = {"XDG_CONFIG_HOME": str(tmp_path), "COS_SECRET_ID": "AKIDenv", "COS_SECRET_KEY": "k"}
    s = resolve(env=env, **{**base, "region": "ap-beijing"})
    assert (s.secret_id, s.region, s.source) == ("AKIDenv", "ap-beijing", "the environment")
    assert "k" not in repr(s).replace("keys", "")
    (tmp_path / "cos-async").mkdir()
    (tmp_path / "cos-async" / "config").write_text("[default]\nregion = ap-shanghai\n")
    s = resolve(env={**env, "COS_REGION": ""}, **base)
    assert s.region == "ap-shanghai"
    s = resolve(env=env, **{**base, "secret_id": "AKIDflag", "secret_key": "f", "token": "t"})
    assert (s.secret_id, s.token) == ("AKIDflag", "t")
    anonymous = resolve(env=env, **{**base, "anonymous": True})
    assert anonymous.secret_id is None
    with pytest.raises(UsageError, match="go together"):
        resolve(env={"COS_SECRET_ID": "AKIDenv", "COS_REGION": "ap-beijing"}, **base)


def test_the_cli_page_names_every_command_and_option() -> None:
    """docs/cli.md has a section per command and names each of its options."""
    import argparse

    from cos_async.cli._args import build_parser

    page = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text(encoding="utf-8")
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, command in sub.choices.items():
        assert f"### {name}" in page or ("### mb and rb" in page and name in ("mb", "rb")), name
        for action in command._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help":
                    assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", page), (
                        f"{name} {option}"
                    )


def test_control_characters_never_reach_the_terminal() -> None:
    from cos_async.cli._output import printable

    assert printable("a\x1b[2Jb\rc\n\x9b") == "a\\x1b[2Jb\\x0dc\\x0a\\x9b"
    assert printable("图片/ok.jpg") == "图片/ok.jpg"


def test_the_cli_is_built_on_public_names() -> None:
    """The command line uses the client's public names (and its CRC-64, for sync's
    comparison with what COS reports); never the engine, the operations or the transfers."""
    import ast

    import cos_async

    allowed_private = {"cos_async._crc64"}
    root = Path(cos_async.__file__).parent
    for path in [*sorted((root / "cli").glob("*.py")), root / "__main__.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module == "cos_async":
                    for alias in node.names:
                        assert alias.name in cos_async.__all__, (path.name, alias.name)
                elif node.module.startswith("cos_async._"):
                    assert node.module in allowed_private, (path.name, node.module)


def test_reporters_by_terminal_quiet_and_without_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    from cos_async.cli import make_reporter
    from cos_async.cli._output import PlainReporter, Reporter

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert type(make_reporter(quiet=True, env={})) is Reporter
    assert type(make_reporter(quiet=False, env={})) is PlainReporter  # stderr is no terminal
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert type(make_reporter(quiet=False, env={"TERM": "xterm"})).__name__ == "BarReporter"
    assert type(make_reporter(quiet=False, env={"TERM": "dumb"})) is PlainReporter
    monkeypatch.setitem(sys.modules, "cos_async.cli._bars", None)  # no rich: import fails
    assert type(make_reporter(quiet=False, env={"TERM": "xterm"})) is PlainReporter
    with pytest.raises(UsageError, match="COS_ASYNC_PROGRESS_INTERVAL"):
        make_reporter(quiet=False, env={"COS_ASYNC_PROGRESS_INTERVAL": "soon"})
