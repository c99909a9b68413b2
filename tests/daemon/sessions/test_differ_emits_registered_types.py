"""Every change the differ can emit has a registered, documented type."""

from __future__ import annotations

import ast

from daemon.log.events import CHANGE_TYPES
from tests.paths import REPO


def test_every_change_type_in_the_differ_is_in_the_registry() -> None:
    tree = ast.parse((REPO / "daemon" / "sessions" / "diff.py").read_text())
    emitted = {
        node.args[0].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", None) == "Change"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }
    assert emitted and emitted <= CHANGE_TYPES
