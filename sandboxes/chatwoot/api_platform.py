"""Platform API views (``/platform/api/v1``, NOTES §9): accounts, users, account users.

Records the Platform App did not create (or was not granted) answer 401 "Non permissible
resource"; missing records fall through to Rails' default 404 (no handler there).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from . import auth, errors, serializers
from .context import Ctx, Reply, as_int, as_text
from .models import ROLES, Account, User
from .timestamps import now
from .tokens import secure_token
from .validation import new_user_errors

ACCOUNT_STATUSES = ("active", "suspended")


def _account(ctx: Ctx) -> Account:
    account_id = as_int(ctx.args.get("account_id"))
    account = ctx.store.accounts.get(account_id) if account_id is not None else None
    if account is None:
        raise errors.rails_not_found()
    auth.require_permissible(ctx.store, "account", account.id)
    return account


def _assign_account(account: Account, params: dict[str, Any]) -> None:
    for key in ("name", "locale", "domain", "support_email"):
        if key in params:
            setattr(account, key, as_text(params[key]))
    if "status" in params:
        if params["status"] not in ACCOUNT_STATUSES:
            raise errors.internal_error()  # enum ArgumentError
        account.status = str(params["status"])
    for key in ("features", "limits", "custom_attributes"):
        if isinstance(params.get(key), dict):
            setattr(account, key, {**getattr(account, key), **params[key]})


def create_account(ctx: Ctx) -> Reply:
    account = Account(id=0, name="", created_at=now())
    _assign_account(account, ctx.params)
    if not account.name or not account.name.strip():
        raise errors.record_invalid([("name", "Name can't be blank")])
    account.id = ctx.store.next_id("account")
    ctx.store.accounts[account.id] = account
    ctx.store.platform_permissibles.add(("account", account.id))
    return 200, serializers.platform_account(account)


def show_account(ctx: Ctx) -> Reply:
    return 200, serializers.platform_account(_account(ctx))


def update_account(ctx: Ctx) -> Reply:
    account = _account(ctx)
    candidate = replace(account)  # a failed update must not leave half-assigned fields
    _assign_account(candidate, ctx.params)
    if not candidate.name:
        raise errors.record_invalid([("name", "Name can't be blank")])
    ctx.store.accounts[account.id] = candidate
    return 200, serializers.platform_account(candidate)


def delete_account(ctx: Ctx) -> Reply:
    """Deletion is asynchronous in Chatwoot; the sandbox removes the account at once."""
    account = _account(ctx)
    store = ctx.store
    del store.accounts[account.id]
    for row in [au for au in store.account_users.values() if au.account_id == account.id]:
        del store.account_users[row.id]
    return 200, None


def _user(ctx: Ctx) -> User:
    user_id = as_int(ctx.args.get("id"))
    user = ctx.store.users.get(user_id) if user_id is not None else None
    if user is None:
        raise errors.rails_not_found()
    auth.require_permissible(ctx.store, "user", user.id)
    return user


def create_user(ctx: Ctx) -> Reply:
    """An existing email is reused (and granted to the app), otherwise a confirmed user
    with a fresh access token is created."""
    params = ctx.params
    store = ctx.store
    email = as_text(params.get("email"))
    existing = store.user_by_email(email) if email else None
    if existing is not None:
        store.platform_permissibles.add(("user", existing.id))
        return 200, serializers.user(store, existing)
    problems = new_user_errors(params.get("name"), email, params.get("password"))
    if problems:
        raise errors.record_invalid(problems)
    assert email is not None
    user = User(
        id=store.next_id("user"),
        name=str(params["name"]),
        email=email.strip().lower(),
        access_token=secure_token(),
        pubsub_token=secure_token(),
        created_at=now(),
        display_name=as_text(params.get("display_name")),
        custom_attributes=dict(params.get("custom_attributes") or {})
        if isinstance(params.get("custom_attributes"), dict)
        else {},
    )
    store.users[user.id] = user
    store.platform_permissibles.add(("user", user.id))
    return 200, serializers.user(store, user)


def show_user(ctx: Ctx) -> Reply:
    return 200, serializers.user(ctx.store, _user(ctx))


def update_user(ctx: Ctx) -> Reply:
    user = _user(ctx)
    params = ctx.params
    for key in ("name", "display_name"):
        if key in params:
            setattr(user, key, as_text(params[key]) or user.name)
    if isinstance(params.get("custom_attributes"), dict):
        user.custom_attributes = {**user.custom_attributes, **params["custom_attributes"]}
    return 200, serializers.user(ctx.store, user)


def delete_user(ctx: Ctx) -> Reply:
    user = _user(ctx)
    store = ctx.store
    for row in store.account_users_of(user.id):
        del store.account_users[row.id]
    del store.users[user.id]
    return 200, None


def user_login(ctx: Ctx) -> Reply:
    user = _user(ctx)
    host = ctx.request.host_url.rstrip("/")
    return 200, {"url": f"{host}/app/login?email={user.email}&sso_auth_token={secure_token()}"}


def list_account_users(ctx: Ctx) -> Reply:
    account = _account(ctx)
    rows = [au for au in ctx.store.account_users.values() if au.account_id == account.id]
    return 200, [serializers.account_user_row(au) for au in rows]


def create_account_user(ctx: Ctx) -> Reply:
    """Find-or-create the membership, then update its role; returns the raw row."""
    account = _account(ctx)
    user_id = as_int(ctx.params.get("user_id"))
    if user_id is None or user_id not in ctx.store.users:
        raise errors.rails_not_found()
    role = ctx.params.get("role", "agent")
    if role not in ROLES:
        raise errors.internal_error()  # enum ArgumentError
    row = ctx.store.add_account_user(account.id, user_id, str(role))
    return 200, serializers.account_user_row(row)


def delete_account_user(ctx: Ctx) -> Reply:
    account = _account(ctx)
    user_id = as_int(ctx.params.get("user_id"))
    row = ctx.store.account_user(account.id, user_id) if user_id is not None else None
    if row is None:
        raise errors.rails_not_found()
    del ctx.store.account_users[row.id]
    return 200, None


ROUTES = (
    ("/accounts", ("POST",), create_account),
    ("/accounts/<account_id>", ("GET",), show_account),
    ("/accounts/<account_id>", ("PATCH", "PUT"), update_account),
    ("/accounts/<account_id>", ("DELETE",), delete_account),
    ("/accounts/<account_id>/account_users", ("GET",), list_account_users),
    ("/accounts/<account_id>/account_users", ("POST",), create_account_user),
    ("/accounts/<account_id>/account_users", ("DELETE",), delete_account_user),
    ("/users", ("POST",), create_user),
    ("/users/<id>", ("GET",), show_user),
    ("/users/<id>", ("PATCH", "PUT"), update_user),
    ("/users/<id>", ("DELETE",), delete_user),
    ("/users/<id>/login", ("GET",), user_login),
)
