"""Rows as the API returns them: HATEOAS `links`, HTML-encoded text unless the client sends
`X-GLPI-Sanitized-Content: false`, and `expand_dropdowns` names."""

from __future__ import annotations

import html

from sandboxes.glpi.itemtypes import ITEMTYPES, LINKED_KEYS
from sandboxes.glpi.jsontypes import JsonValue, Row, as_int, as_str
from sandboxes.glpi.state import Store

# Columns never HTML-encoded: GLPI stores dates and ids as such, not as user text.
_PLAIN = frozenset({"date", "date_mod", "date_creation", "itemtype"})


def encode_text(value: str) -> str:
    """GLPI 10 stores text HTML-encoded; that is what a client gets unless it opts out."""
    return html.escape(value, quote=False)


def sanitize(value: JsonValue, encoded: bool) -> JsonValue:
    if not encoded:
        return value
    if isinstance(value, str):
        return encode_text(value)
    if isinstance(value, list):
        return [sanitize(v, encoded) for v in value]
    if isinstance(value, dict):
        return {k: v if k in _PLAIN else sanitize(v, encoded) for k, v in value.items()}
    return value


def _link(api_url: str, rel: str, path: str) -> dict[str, JsonValue]:
    return {"rel": rel, "href": f"{api_url}/{path}"}


def links(api_url: str, itemtype: str, row: Row, *, in_list: bool) -> list[JsonValue]:
    definition = ITEMTYPES[itemtype]
    keys = definition.list_link_keys if in_list and definition.list_link_keys else None
    result: list[JsonValue] = []
    for column, value in row.items():
        if keys is not None and column not in keys:
            continue
        if column == "entities_id" and itemtype != "Entity":
            if value is not None:
                result.append(_link(api_url, "Entity", f"Entity/{as_int(value)}"))
            continue
        target = LINKED_KEYS.get(column)
        if target is not None and as_int(value) > 0:
            result.append(_link(api_url, target, f"{target}/{as_int(value)}"))
    if not in_list:
        for sub in definition.sub_links:
            result.append(_link(api_url, sub, f"{itemtype}/{row['id']}/{sub}/"))
    return result


def _dropdown_name(store: Store, column: str, value: JsonValue) -> JsonValue:
    item_id = as_int(value)
    if column == "entities_id":
        return store.entity_name(item_id) or value
    target = LINKED_KEYS.get(column)
    if target is None or item_id <= 0 or target not in store.tables:
        return value
    row = store.get(target, item_id)
    if row is None:
        return value
    if target == "User":
        realname, firstname = as_str(row.get("realname")), as_str(row.get("firstname"))
        return f"{realname} {firstname}".strip() if realname else row["name"]
    return row.get("completename") or row.get("name")


def present(
    store: Store,
    api_url: str,
    itemtype: str,
    row: Row,
    *,
    in_list: bool,
    hateoas: bool,
    expand_dropdowns: bool,
    encoded: bool,
) -> dict[str, JsonValue]:
    out: dict[str, JsonValue] = dict(row)
    if expand_dropdowns:
        for column in list(out):
            if column == "entities_id" or column in LINKED_KEYS:
                out[column] = _dropdown_name(store, column, out[column])
    out = {k: v if k in _PLAIN else sanitize(v, encoded) for k, v in out.items()}
    if hateoas:
        out["links"] = links(api_url, itemtype, row, in_list=in_list)
    return out
