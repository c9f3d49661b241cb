"""The session resources: initSession, killSession, the active entity/profile calls and
getFullSession. They read and change the PHP session; the write calls answer `true`."""

from __future__ import annotations

import base64
import binascii

from sandboxes.glpi import errors
from sandboxes.glpi.exchange import ApiRequest, ApiResponse
from sandboxes.glpi.jsontypes import JsonValue, Row, as_int
from sandboxes.glpi.sessions import Session, SessionStore
from sandboxes.glpi.state import Store, password_hash

GLPI_VERSION = "10.0.15"


def _credentials(request: ApiRequest) -> tuple[str | None, str | None, str | None]:
    """(login, password, user_token) from the Authorization header or the query string."""
    login, password = request.param("login"), request.param("password")
    user_token = request.param("user_token")
    authorization = request.header("Authorization") or ""
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        login, _, password = decoded.partition(":")
    elif scheme == "user_token" and value:
        user_token = value.strip()  # GLPI splits on the space and keeps the second part
    return login or None, password or None, user_token or None


def init_session(request: ApiRequest, store: Store, sessions: SessionStore) -> ApiResponse:
    login, password, user_token = _credentials(request)
    if (login is None or password is None) and user_token is None:
        raise errors.login_parameters_missing()
    with store.lock:
        if user_token is not None:
            user_id = store.user_tokens.get(user_token)
            user = store.get("User", user_id) if user_id is not None else None
            if user is None or not _can_log_in(user):
                raise errors.login_user_token_invalid()
        else:
            if not store.config.credentials_login_enabled:
                raise errors.login_credentials_disabled()
            user = _user_by_login(store, login or "")
            if (
                user is None
                or not _can_log_in(user)
                or store.passwords.get(as_int(user["id"])) != password_hash(password or "")
            ):
                raise errors.login_failed()
        session = sessions.open(
            as_int(user["id"]),
            str(user["name"]),
            as_int(user["profiles_id"]),
            as_int(user["entities_id"]),
        )
        body: dict[str, JsonValue] = {"session_token": session.token}
        if request.flag("get_full_session", False):
            body["session"] = full_session(store, session)
    return ApiResponse(200, body)


def _can_log_in(user: Row) -> bool:
    return bool(user.get("is_active")) and not user.get("is_deleted")


def _user_by_login(store: Store, login: str) -> Row | None:
    for row in store.table("User").values():
        if row["name"] == login:
            return row
    return None


def active_entities(store: Store, session: Session) -> list[int]:
    if session.is_recursive:
        return store.entity_descendants(session.active_entity)
    return [session.active_entity]


def allowed_entities(store: Store, session: Session) -> list[int]:
    """The user's entities (its profile is given on its default entity, recursively)."""
    user = store.get("User", session.users_id)
    home = as_int(user["entities_id"]) if user else 0
    return store.entity_descendants(home)


def _profile(store: Store, session: Session) -> dict[str, JsonValue]:
    profile = store.get("Profile", session.profiles_id)
    user = store.get("User", session.users_id)
    home = as_int(user["entities_id"]) if user else 0
    return {
        "id": session.profiles_id,
        "name": profile["name"] if profile else "",
        "interface": profile["interface"] if profile else "central",
        "entities": [{"id": home, "name": store.entity_name(home), "is_recursive": 1}],
    }


def get_active_entities(store: Store, session: Session) -> ApiResponse:
    entities: list[JsonValue] = [{"id": e} for e in active_entities(store, session)]
    body: dict[str, JsonValue] = {
        "active_entity": {
            "id": session.active_entity,
            "active_entity_recursive": session.is_recursive,
            "active_entities": entities,
        }
    }
    return ApiResponse(200, body)


def get_my_entities(request: ApiRequest, store: Store, session: Session) -> ApiResponse:
    ids = allowed_entities(store, session)
    if not request.flag("is_recursive", False):
        user = store.get("User", session.users_id)
        ids = [as_int(user["entities_id"])] if user else ids[:1]
    entities: list[JsonValue] = [{"id": e, "name": store.entity_name(e)} for e in ids]
    return ApiResponse(200, {"myentities": entities})


def change_active_entities(request: ApiRequest, store: Store, session: Session) -> ApiResponse:
    raw = request.param("entities_id")
    recursive = request.flag("is_recursive", False)
    allowed = allowed_entities(store, session)
    if raw is None or raw == "all":
        session.active_entity, session.is_recursive = allowed[0], True
        return ApiResponse(200, True)
    entity = as_int(raw, -1)
    if entity not in allowed:
        return ApiResponse(200, False)  # Session::changeActiveEntities() said no
    session.active_entity, session.is_recursive = entity, recursive
    return ApiResponse(200, True)


def get_active_profile(store: Store, session: Session) -> ApiResponse:
    return ApiResponse(200, {"active_profile": _profile(store, session)})


def get_my_profiles(store: Store, session: Session) -> ApiResponse:
    return ApiResponse(200, {"myprofiles": [_profile(store, session)]})


def change_active_profile(request: ApiRequest, store: Store, session: Session) -> ApiResponse:
    user = store.get("User", session.users_id)
    profiles_id = as_int(request.param("profiles_id"), -1)
    if user is None or profiles_id != user["profiles_id"]:
        raise errors.item_not_found()
    session.profiles_id = profiles_id
    return ApiResponse(200, True)


def full_session(store: Store, session: Session) -> dict[str, JsonValue]:
    active: list[JsonValue] = list(active_entities(store, session))
    return {
        "valid_id": session.token,
        "glpiID": session.users_id,
        "glpiname": session.login,
        "glpiactive_entity": session.active_entity,
        "glpiactive_entity_recursive": session.is_recursive,
        "glpiactive_entity_name": store.entity_name(session.active_entity),
        "glpiactiveentities": active,
        "glpiactiveprofile": _profile(store, session),
        "glpilist_limit": store.config.list_limit,
        "glpiis_ids_visible": 0,
    }


def get_glpi_config(request: ApiRequest, store: Store) -> ApiResponse:
    base = request.api_url.rsplit("/apirest.php", 1)[0]
    config: dict[str, JsonValue] = {
        "version": GLPI_VERSION,
        "url_base": base,
        "url_base_api": request.api_url,
        "enable_api": 1,
        "enable_api_login_credentials": int(store.config.credentials_login_enabled),
        "enable_api_login_external_token": 1,
        "list_limit": store.config.list_limit,
        "list_limit_max": 50,
    }
    return ApiResponse(200, {"cfg_glpi": config})
