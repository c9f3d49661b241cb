"""User rules: unique login, password pair, and the `_useremails` map into UserEmail rows.

Secrets (password, api_token...) are kept outside the row, so no read can return them.
"""

from __future__ import annotations

from sandboxes.glpi.context import ItemFailure, WriteContext
from sandboxes.glpi.jsontypes import JsonObject, JsonValue, Row, as_int, as_str, is_intlike
from sandboxes.glpi.rules import Rules
from sandboxes.glpi.state import password_hash

SECRET_INPUTS = frozenset(
    {
        "password",
        "password2",
        "api_token",
        "personal_token",
        "cookie_token",
        "password_forget_token",
    }
)


def _login_taken(ctx: WriteContext, login: str, except_id: int | None = None) -> bool:
    return any(
        str(row["name"]).lower() == login.lower() and row["id"] != except_id
        for row in ctx.store.table("User").values()
    )


def _check_password(ctx: WriteContext, raw: JsonObject) -> str | None:
    if "password" not in raw:
        return None
    password = as_str(raw.get("password"))
    if password != as_str(raw.get("password2")):
        raise ItemFailure("Error: the two passwords do not match")
    return password


def _email_map(value: JsonValue) -> list[tuple[str, str]]:
    """`{"-1": "a@x"}` or `["a@x"]` as (key, email) pairs."""
    if isinstance(value, dict):
        return [(key, as_str(email)) for key, email in value.items()]
    if isinstance(value, list):
        return [(str(-position - 1), as_str(email)) for position, email in enumerate(value)]
    return []


def apply_emails(ctx: WriteContext, users_id: int, raw: JsonObject) -> bool:
    """Apply `_useremails` / `_default_email`; returns True if any address changed."""
    if "_useremails" not in raw:
        return False
    store = ctx.store
    emails = store.table("UserEmail")
    default_key = as_str(raw.get("_default_email")) if "_default_email" in raw else None
    default_id: int | None = None
    changed = False
    for key, email in _email_map(raw["_useremails"]):
        existing = emails.get(as_int(key)) if is_intlike(key) and as_int(key) > 0 else None
        if existing is not None and existing["users_id"] == users_id:
            if email == "":
                store.delete("UserEmail", as_int(key))
                changed = True
                continue
            if existing["email"] != email:
                existing["email"] = email
                changed = True
            row_id = as_int(key)
        else:
            if not email:
                continue
            row = store.insert("UserEmail", {"users_id": users_id, "email": email})
            row_id = as_int(row["id"])
            changed = True
        if default_key is not None and key == default_key:
            default_id = row_id
    own = [row for row in emails.values() if row["users_id"] == users_id]
    if default_id is None and own and not any(row["is_default"] for row in own):
        default_id = as_int(own[0]["id"])
    if default_id is not None:
        for row in own:
            value = 1 if row["id"] == default_id else 0
            if row["is_default"] != value:
                row["is_default"] = value
                changed = True
    return changed


class UserRules(Rules):
    def special_inputs(self) -> frozenset[str]:
        return SECRET_INPUTS

    def prepare_add(self, ctx: WriteContext, raw: JsonObject) -> Row:
        values = super().prepare_add(ctx, raw)
        login = as_str(values.get("name")).strip()
        if not login:
            raise ItemFailure("Unable to add. The user login is empty.")
        if _login_taken(ctx, login):
            raise ItemFailure("Unable to add. The user already exists.")
        values["name"] = login
        if _check_password(ctx, raw) is not None:
            values["password_last_update"] = ctx.store.clock.now_text()
        values.setdefault("profiles_id", 1)  # the default profile, as GLPI's rules give it
        return values

    def after_add(self, ctx: WriteContext, row: Row, raw: JsonObject) -> None:
        password = _check_password(ctx, raw)
        if password is not None:
            ctx.store.passwords[as_int(row["id"])] = password_hash(password)
        apply_emails(ctx, as_int(row["id"]), raw)

    def added_message(self, row: Row) -> str:
        realname = as_str(row.get("realname"))
        firstname = as_str(row.get("firstname"))
        display = f"{realname} {firstname}".strip() if realname else as_str(row["name"])
        return f"Item successfully added: {display}"

    def prepare_update(self, ctx: WriteContext, row: Row, raw: JsonObject) -> Row:
        values = super().prepare_update(ctx, row, raw)
        if "name" in values:
            login = as_str(values["name"]).strip()
            if not login or _login_taken(ctx, login, as_int(row["id"])):
                raise ItemFailure("Unable to update login. A user already exists.")
        password = _check_password(ctx, raw)
        if password is not None:
            values["password_last_update"] = ctx.store.clock.now_text()
        return values

    def after_update(self, ctx: WriteContext, row: Row, raw: JsonObject, changed: bool) -> bool:
        password = _check_password(ctx, raw)
        if password is not None:
            ctx.store.passwords[as_int(row["id"])] = password_hash(password)
        return apply_emails(ctx, as_int(row["id"]), raw)

    def before_purge(self, ctx: WriteContext, row: Row) -> None:
        store = ctx.store
        for email_id, email in list(store.table("UserEmail").items()):
            if email["users_id"] == row["id"]:
                store.delete("UserEmail", email_id)
        store.passwords.pop(as_int(row["id"]), None)
        for token, users_id in list(store.user_tokens.items()):
            if users_id == row["id"]:
                del store.user_tokens[token]
