"""Token authentication and role checks (NOTES §1).

Application API: ``api_access_token`` = a user's personal access token, the user must belong
to the account in the URL, and some actions are administrator-only (Pundit, answered 401).
Platform API: ``api_access_token`` = the Platform App token; it may only touch records it
created or was granted.
"""

from __future__ import annotations

from dataclasses import dataclass

from werkzeug.datastructures import Headers

from . import errors
from .models import Account, AccountUser, User
from .state import Store


@dataclass(frozen=True)
class Principal:
    """Who is calling the Application API, and in which account."""

    user: User
    account: Account
    membership: AccountUser

    @property
    def is_admin(self) -> bool:
        return self.membership.role == "administrator"


def token_from(headers: Headers) -> str | None:
    """Rails reads HTTP_API_ACCESS_TOKEN, so ``api_access_token`` and ``Api-Access-Token``
    are the same header. ``Authorization: Bearer`` is not supported by Chatwoot."""
    token = headers.get("api_access_token") or headers.get("Api-Access-Token")
    return token or None


def authenticate_user(store: Store, headers: Headers) -> User:
    """Resolve the user behind the token (no account check: used by /api/v1/profile)."""
    token = token_from(headers)
    if token is None:
        raise errors.not_signed_in()
    user = store.user_by_token(token)
    if user is None:
        # The Platform App token is an AccessToken too, but its owner is not a User.
        raise errors.unauthorized("Invalid Access Token")
    return user


def authenticate_account(store: Store, headers: Headers, account_id: int) -> Principal:
    """Application API guard for ``/api/v1/accounts/{account_id}/...``."""
    user = authenticate_user(store, headers)
    account = store.accounts.get(account_id)
    if account is None:
        raise errors.not_found()
    membership = store.account_user(account_id, user.id)
    if membership is None:
        raise errors.unauthorized("You are not authorized to access this account")
    if account.status == "suspended":
        raise errors.unauthorized("Account is suspended")
    return Principal(user=user, account=account, membership=membership)


def require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise errors.not_authorized_action()


def authenticate_platform(store: Store, headers: Headers) -> None:
    token = token_from(headers)
    if token is None or token != store.config.platform_token:
        raise errors.unauthorized("Invalid access_token")


def require_permissible(store: Store, kind: str, ident: int) -> None:
    """Platform App may only read/modify what it created or was granted."""
    if (kind, ident) not in store.platform_permissibles:
        raise errors.unauthorized("Non permissible resource")
