"""RPP text syntax: the tokenizer and block tree under the REAPER reader, with its caps.

An RPP file is line-oriented text: `<TAG args` opens a block, a line `>` closes it, any other
line is `KEY args`. Arguments are separated by spaces; one that holds spaces is quoted with `"`,
`'` or a backtick, whichever the value does not contain. Plug-in state is base64 inside the plug-in's
block. The `rpp` package on PyPI (0.5, 2023) was looked at and not used: it is a PLY grammar whose
recursion follows the nesting, with no cap on line length or depth, over a dependency (ply) last
released in 2018; the tokenizer here is a loop with an explicit stack.

Caps (hostile input, ../shared/research/reliability-anchors.md section 1), each a ParseError:
- a file over MAX_FILE_BYTES (256 MiB; checked by the reader, daemon.formats.reaper);
- a line over MAX_LINE_CHARS (1 MiB; REAPER wraps base64 at 128 characters, its longest lines
  are notes and JS parameter lines of a few KB);
- blocks nested deeper than MAX_DEPTH (64; REAPER writes at most about 6 levels);
- a first line that is not `<REAPER_PROJECT`, a `>` with no open block, a file that ends inside a
  block (a truncated save), or text after the project's closing `>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from daemon.errors import ParseError
from daemon.formats.values import shown

MAX_FILE_BYTES = 256 * 1024 * 1024
MAX_LINE_CHARS = 1024 * 1024
MAX_DEPTH = 64

_TOKEN = re.compile(r'"([^"]*)"|\'([^\']*)\'|`([^`]*)`|(\S+)')


@dataclass
class Node:
    """A block: its tag, the arguments of its opening line, and what it holds in file order:
    raw lines (stripped, not yet split) and child blocks."""

    tag: str
    args: list[str]
    items: list[str | Node] = field(default_factory=list)

    def lines(self) -> list[list[str]]:
        """The block's own lines, split into tokens."""
        return [tokens(item) for item in self.items if isinstance(item, str)]

    def first(self, key: str) -> list[str] | None:
        """The arguments of the first line starting with `key`, or None."""
        prefix = key + " "
        for item in self.items:
            if isinstance(item, str) and (item == key or item.startswith(prefix)):
                return tokens(item)[1:]
        return None

    def children(self, tag: str | None = None) -> list[Node]:
        return [item for item in self.items if isinstance(item, Node) and (tag is None or item.tag == tag)]


def tokens(line: str) -> list[str]:
    """A line's tokens, quotes removed. An unterminated quote runs to the next space."""
    return [next(g for g in m.groups() if g is not None) for m in _TOKEN.finditer(line)]


def parse_rpp(text: str, source: str | Path) -> Node:
    """Split RPP text into its block tree (caps in the module docstring). Raises ParseError."""
    root: Node | None = None
    stack: list[Node] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        if len(raw) > MAX_LINE_CHARS:
            raise ParseError(source, f"line {number} is {len(raw):,} characters, over the {MAX_LINE_CHARS:,} cap")
        line = raw.strip()
        if not line:
            continue
        if root is not None and not stack:
            raise ParseError(source, f"line {number}: text after the project's closing '>'")
        if line[0] == "<":
            parts = tokens(line[1:])
            node = Node(parts[0] if parts else "", parts[1:])
            if root is None:
                if node.tag != "REAPER_PROJECT":
                    raise ParseError(source, f"not a REAPER project: the first block is <{shown(node.tag)}>")
                root = node
            else:
                if len(stack) >= MAX_DEPTH:
                    raise ParseError(source, f"line {number}: blocks nested deeper than {MAX_DEPTH}")
                stack[-1].items.append(node)
            stack.append(node)
        elif root is None:
            raise ParseError(source, f"not a REAPER project: it starts with {shown(line)}, not <REAPER_PROJECT")
        elif line == ">":
            stack.pop()
        else:
            stack[-1].items.append(line)
    if root is None:
        raise ParseError(source, "empty: no <REAPER_PROJECT block")
    if stack:
        raise ParseError(source, f"ends inside <{stack[-1].tag}> (a truncated save?)")
    return root
