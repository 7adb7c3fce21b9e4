"""Reading Markdown for the documentation tests: fenced code blocks, prose, tables, links."""

from __future__ import annotations

import re

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>[^`\n]*)$")


def code_blocks(text: str) -> list[tuple[int, str, str]]:
    """``(first line number of the code, info string, code)`` of every fenced block."""
    blocks: list[tuple[int, str, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if m is None:
            i += 1
            continue
        fence, info, start = m.group("fence"), m.group("info").strip(), i + 1
        end = start
        while end < len(lines) and not (
            lines[end].strip().startswith(fence[0] * len(fence))
            and lines[end].strip().strip(fence[0]) == ""
        ):
            end += 1
        if end == len(lines):
            raise AssertionError(f"unclosed code fence at line {i + 1}")
        blocks.append((start + 1, info, "\n".join(lines[start:end]) + "\n"))
        i = end + 1
    return blocks


def prose(text: str) -> str:
    """The text without fenced code blocks (their lines blanked, so line numbers hold)."""
    lines = text.splitlines()
    for first, _, code in code_blocks(text):
        for n in range(first - 2, first + code.count("\n")):  # the fences and the code
            lines[n] = ""
    return "\n".join(lines)


def table_rows(text: str, header_start: str) -> list[list[str]]:
    """The body rows (as stripped cells) of the table whose header row starts with
    ``header_start``."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith(header_start):
            rows = []
            for row in lines[i + 2 :]:
                if not row.startswith("|"):
                    break
                rows.append([cell.strip() for cell in row.strip().strip("|").split("|")])
            return rows
    raise AssertionError(f"no table starting with {header_start!r}")


def code_spans(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)
