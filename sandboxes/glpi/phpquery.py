"""PHP's parsing of query strings with array syntax: `criteria[0][field]=1&forcedisplay[]=2`.

GLPI reads every GET parameter from `$_GET`, so `a[0][b]=1` is a nested array and `a[]=x`
appends. The result keeps PHP's semantics: arrays are string-keyed dicts in insertion order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeAlias

PhpValue: TypeAlias = str | dict[str, "PhpValue"]
PhpParams: TypeAlias = dict[str, PhpValue]

_SUBSCRIPT = re.compile(r"\[([^\[\]]*)\]")


def _split(name: str) -> list[str] | None:
    """`criteria[0][field]` -> ["criteria", "0", "field"]; None for a plain name."""
    bracket = name.find("[")
    if bracket <= 0:
        return None
    rest = name[bracket:]
    keys = _SUBSCRIPT.findall(rest)
    if "".join(f"[{k}]" for k in keys) != rest:
        return None  # PHP would keep a malformed name mostly as-is; plain names are enough
    return [name[:bracket], *keys]


def parse_pairs(pairs: Iterable[tuple[str, str]]) -> PhpParams:
    result: PhpParams = {}
    for name, value in pairs:
        keys = _split(name)
        if keys is None:
            result[name] = value
            continue
        node: dict[str, PhpValue] = result
        for position, key in enumerate(keys):
            last = position == len(keys) - 1
            if key == "":
                key = str(_next_index(node))
            if last:
                node[key] = value
                break
            child = node.get(key)
            if not isinstance(child, dict):
                child = {}
                node[key] = child
            node = child
    return result


def _next_index(node: dict[str, PhpValue]) -> int:
    numeric = [int(k) for k in node if k.lstrip("-").isdigit()]
    return max(numeric) + 1 if numeric else 0


def scalar(params: PhpParams, name: str) -> str | None:
    value = params.get(name)
    return value if isinstance(value, str) else None


def flag(params: PhpParams, name: str, default: bool) -> bool:
    """GLPI turns the strings "true"/"false" into booleans; PHP truthiness for the rest."""
    value = scalar(params, name)
    if value is None:
        return default
    return value.strip().lower() not in ("", "0", "false")


def values(params: PhpParams, name: str) -> list[str]:
    """`forcedisplay[0]=2&forcedisplay[1]=12` (or a single `forcedisplay=2`) as a list."""
    value = params.get(name)
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [v for v in value.values() if isinstance(v, str)]
    return []
