"""`GET search/:itemtype/`: GLPI's search engine over search-option ids.

Criteria combine left to right with SQL precedence (AND binds tighter than OR), since
GLPI pastes them into one WHERE clause; `criteria[n][criteria]` nests a parenthesised group.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandboxes.glpi import errors
from sandboxes.glpi.context import WriteContext
from sandboxes.glpi.itemtypes import ITEMTYPES
from sandboxes.glpi.jsontypes import JsonValue, Row, as_int, as_str, is_intlike
from sandboxes.glpi.listing import like
from sandboxes.glpi.paging import Page, check_start, content_range
from sandboxes.glpi.phpquery import PhpParams, PhpValue, flag, scalar, values
from sandboxes.glpi.presentation import sanitize
from sandboxes.glpi.search_options import SearchOption, options_for
from sandboxes.glpi.state import Store
from sandboxes.glpi.tickets import NOT_OLD, OLD
from sandboxes.glpi.visibility import visible

# Symbolic values of the ticket status option (12) with `equals`.
STATUS_GROUPS: dict[str, tuple[int, ...]] = {
    "notold": NOT_OLD,
    "old": OLD,
    "process": (2, 3),
    "notclosed": (1, 2, 3, 4, 5),
    "all": (1, 2, 3, 4, 5, 6),
}


@dataclass(frozen=True)
class Criterion:
    link: str
    option: SearchOption | None
    searchtype: str
    value: str
    group: tuple[Criterion, ...] = ()


@dataclass(frozen=True)
class SearchResult:
    body: dict[str, JsonValue]
    status: int
    total: int
    count: int


def parse_criteria(itemtype: str, raw: PhpValue | None) -> tuple[Criterion, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise errors.search_malformed()
    options = options_for(itemtype)
    parsed: list[Criterion] = []
    for entry in raw.values():
        if not isinstance(entry, dict):
            raise errors.search_malformed()
        raw_link = entry.get("link")
        link = raw_link if isinstance(raw_link, str) else "AND"
        field, searchtype, value = entry.get("field"), entry.get("searchtype"), entry.get("value")
        if isinstance(field, str) and isinstance(searchtype, str) and isinstance(value, str):
            if "meta" in entry and scalar(entry, "meta") not in (None, "0", ""):
                raise errors.search_bad_field()  # meta criteria are not simulated
            if not field.isdigit() or int(field) not in options:
                raise errors.search_bad_field()
            parsed.append(Criterion(link.upper(), options[int(field)], searchtype, value))
        elif "criteria" in entry:
            group = parse_criteria(itemtype, entry["criteria"])
            parsed.append(Criterion(link.upper(), None, "", "", group))
        else:
            raise errors.search_malformed()
    return tuple(parsed)


def _descendants(store: Store, option: SearchOption, root: int) -> set[int]:
    if option.id == 80:
        return set(store.entity_descendants(root))
    found = {root}
    changed = True
    while changed:
        changed = False
        for row in store.table("ITILCategory").values():
            if as_int(row["itilcategories_id"]) in found and as_int(row["id"]) not in found:
                found.add(as_int(row["id"]))
                changed = True
    return found


def _compare(cell: JsonValue, value: str, less: bool) -> bool:
    if cell is None:
        return False
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        try:
            number = float(value)
        except ValueError:
            return False
        return cell < number if less else cell > number
    text = as_str(cell)
    return text < value if less else text > value


def _test(store: Store, row: Row, criterion: Criterion) -> bool:
    option = criterion.option
    if option is None:
        return _evaluate(store, row, criterion.group)
    searchtype, value = criterion.searchtype, criterion.value
    shown = option.display(store, row)
    ids = option.match_ids(store, row) if option.match_ids else shown
    if searchtype in ("contains", "notcontains"):
        found = any(like(value, as_str(cell)) for cell in shown) if value != "" else True
        return found if searchtype == "contains" else not found
    if searchtype in ("equals", "notequals"):
        if option.id == 12 and option.field == "status" and value in STATUS_GROUPS:
            found = any(as_int(cell) in STATUS_GROUPS[value] for cell in ids)
        elif is_intlike(value) and any(isinstance(cell, int) for cell in ids):
            found = any(cell == as_int(value) for cell in ids)
        else:
            found = any(as_str(cell) == value for cell in ids)
        return found if searchtype == "equals" else not found
    if searchtype in ("lessthan", "morethan"):
        return any(_compare(cell, value, searchtype == "lessthan") for cell in ids)
    if searchtype in ("under", "notunder") and option.id in (7, 80):
        tree = _descendants(store, option, as_int(value))
        found = any(as_int(cell) in tree for cell in ids)
        return found if searchtype == "under" else not found
    return False  # an unsupported searchtype matches nothing, as GLPI's empty WHERE part


def _evaluate(store: Store, row: Row, criteria: tuple[Criterion, ...]) -> bool:
    """SQL precedence: a OR b AND c == a OR (b AND c); `AND NOT`/`OR NOT` negate a term."""
    if not criteria:
        return True
    disjuncts: list[bool] = []
    current: bool | None = None
    for position, criterion in enumerate(criteria):
        result = _test(store, row, criterion)
        link = criterion.link if position else "AND"
        if link.endswith("NOT"):
            result = not result
        if position and link.startswith("OR"):
            disjuncts.append(bool(current))
            current = result
        else:
            current = result if current is None else current and result
    disjuncts.append(bool(current))
    return any(disjuncts)


def _cell(values_: list[JsonValue]) -> JsonValue:
    """One value as a scalar, several (e.g. two requesters) as a JSON array, none as null."""
    if not values_:
        return None
    return values_[0] if len(values_) == 1 else values_


def search(
    ctx: WriteContext,
    itemtype: str,
    params: PhpParams,
    page: Page,
    encoded: bool,
) -> SearchResult:
    store, actor = ctx.store, ctx.actor
    options = options_for(itemtype)
    criteria = parse_criteria(itemtype, params.get("criteria"))
    sort_text = scalar(params, "sort")
    sort_echo: JsonValue = ["1"]
    sort_option = options.get(1)
    if sort_text is not None:
        if sort_text.isdigit() and int(sort_text) in options:
            sort_option = options[int(sort_text)]
            sort_echo = [int(sort_text)]
        else:
            ctx.note(f"sort={sort_text!r} is not a search option of {itemtype}: sorted by 1")
    order = "DESC" if (scalar(params, "order") or "ASC").upper() == "DESC" else "ASC"
    columns = _columns(itemtype, options, values(params, "forcedisplay"), ctx)
    uid_cols = flag(params, "uid_cols", False)
    with_indexes = flag(params, "withindexes", False)
    show_deleted = flag(params, "is_deleted", False)
    definition = ITEMTYPES[itemtype]
    with store.lock:
        rows = [
            row
            for row in store.table(itemtype).values()
            if (not definition.has_trash or bool(row.get("is_deleted")) == show_deleted)
            and visible(store, actor, itemtype, row)
            and _evaluate(store, row, criteria)
        ]
        rows.sort(key=lambda r: as_int(r["id"]))
        if sort_option is not None:
            rows.sort(key=lambda r: _sort_value(store, sort_option, r), reverse=order == "DESC")
        total = len(rows)
        check_start(page, total)
        shown = rows[page.start : page.end + 1]
        data = [
            (
                str(row["id"]),
                {
                    (option.uid if uid_cols else str(option.id)): sanitize(
                        _cell(option.display(store, row)), encoded
                    )
                    for option in columns
                },
            )
            for row in shown
        ]
    body: dict[str, JsonValue] = {
        "totalcount": total,
        "count": len(data),
        "sort": sort_echo,
        "order": [order],
    }
    if data:
        if with_indexes:
            body["data"] = {key: row for key, row in data}
        else:
            body["data"] = [row for _, row in data]
    body["content-range"] = content_range(page, len(data), total)
    return SearchResult(body, 206 if len(data) < total else 200, total, len(data))


def _sort_value(store: Store, option: SearchOption, row: Row) -> tuple[int, float, str]:
    cells = option.display(store, row)
    first = cells[0] if cells else None
    if first is None:
        return (0, 0.0, "")
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        return (1, float(first), "")
    return (2, 0.0, as_str(first).lower())


def _columns(
    itemtype: str,
    options: dict[int, SearchOption],
    forced: list[str],
    ctx: WriteContext,
) -> list[SearchOption]:
    """Column 1, the forced ones in order, then entity (80) for entity-assigned types in a
    multi-entity install. The API user has no display preferences of its own."""
    wanted: list[int] = [1]
    for text in forced:
        if text.isdigit() and int(text) in options:
            if int(text) not in wanted:
                wanted.append(int(text))
        else:
            ctx.note(f"forcedisplay {text!r} is not a simulated search option of {itemtype}")
    if ITEMTYPES[itemtype].entity_assigned and 80 in options and 80 not in wanted:
        wanted.append(80)
    return [options[i] for i in wanted if i in options]
