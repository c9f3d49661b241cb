"""The `apirest.php` pipeline, in GLPI's order of checks:

1. "Enable Rest API" (400 ["ERROR","API disabled"]);
2. an API client matching the caller's IP (ERROR_NOT_ALLOWED_IP);
3. the body: none on GET (ERROR_JSON_PAYLOAD_FORBIDDEN), valid JSON otherwise;
4. the app token, on every call (missing / wrong);
5. the resource; everything but initSession needs a live Session-Token.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandboxes.glpi import api_items, api_session, errors
from sandboxes.glpi.context import Actor, WriteContext
from sandboxes.glpi.exchange import ApiRequest, ApiResponse
from sandboxes.glpi.itemtypes import find_itemtype
from sandboxes.glpi.sessions import Session, SessionStore
from sandboxes.glpi.state import Store

SESSION_GETS = {
    "killSession",
    "getMyEntities",
    "getActiveEntities",
    "getMyProfiles",
    "getActiveProfile",
    "getFullSession",
    "getGlpiConfig",
    "getMultipleItems",
}
SESSION_POSTS = {"changeActiveEntities", "changeActiveProfile"}


@dataclass
class Outcome:
    response: ApiResponse
    session_token: str | None
    notes: list[str]


class GlpiApi:
    def __init__(self, store: Store, sessions: SessionStore) -> None:
        self.store = store
        self.sessions = sessions

    def handle(self, request: ApiRequest) -> Outcome:
        notes: list[str] = []
        token = request.header("Session-Token") or request.param("session_token")
        try:
            response = self._handle(request, token, notes)
        except errors.GlpiError as error:
            response = ApiResponse(error.status, error.body(request.api_url), error_code=error.code)
        return Outcome(response, token, notes)

    def _handle(self, request: ApiRequest, token: str | None, notes: list[str]) -> ApiResponse:
        config = self.store.config
        if not config.api_enabled:
            raise errors.api_disabled()
        if request.client_ip not in config.allowed_ips:
            raise errors.not_allowed_ip(request.client_ip)
        if request.method == "GET" and request.body_sent:
            raise errors.json_payload_forbidden()
        if request.body_invalid:
            raise errors.json_payload_invalid()
        self._check_app_token(request)
        if not request.parts:
            raise errors.resource_missing()
        resource = request.parts[0]
        if resource == "initSession":
            self._require(request, "GET")
            return api_session.init_session(request, self.store, self.sessions)
        session = self._session(token)
        ctx = WriteContext(self.store, self._actor(session), notes)
        if resource in SESSION_GETS:
            self._require(request, "GET")
            return self._session_get(request, resource, session, ctx)
        if resource in SESSION_POSTS:
            self._require(request, "POST")
            with self.store.lock:
                if resource == "changeActiveEntities":
                    return api_session.change_active_entities(request, self.store, session)
                return api_session.change_active_profile(request, self.store, session)
        if resource in ("search", "listSearchOptions"):
            self._require(request, "GET")
            itemtype = find_itemtype(request.parts[1]) if len(request.parts) > 1 else None
            if itemtype is None:
                raise errors.itemtype_not_found()
            if resource == "search":
                return api_items.search_items(request, ctx, itemtype.name)
            return api_items.search_options(itemtype.name)
        return self._itemtype_route(request, ctx)

    # ------------------------------------------------------------------ checks

    def _check_app_token(self, request: ApiRequest) -> None:
        expected = self.store.options.app_token
        sent = request.header("App-Token") or request.param("app_token")
        if expected is None:
            if sent:
                # The matching API client has no token: any token sent matches nothing.
                raise errors.wrong_app_token()
            return
        if not sent:
            raise errors.app_token_missing()
        if sent != expected:
            raise errors.wrong_app_token()

    def _session(self, token: str | None) -> Session:
        if not token:
            raise errors.session_token_missing()
        session = self.sessions.touch(token)
        if session is None:
            raise errors.session_token_invalid()
        return session

    def _actor(self, session: Session) -> Actor:
        with self.store.lock:
            entities = frozenset(api_session.active_entities(self.store, session))
        return Actor(session.users_id, entities, session.active_entity)

    @staticmethod
    def _require(request: ApiRequest, method: str) -> None:
        if request.method != method:
            raise errors.method_not_allowed()

    # ------------------------------------------------------------------ routes

    def _session_get(
        self, request: ApiRequest, resource: str, session: Session, ctx: WriteContext
    ) -> ApiResponse:
        store = self.store
        with store.lock:
            if resource == "killSession":
                self.sessions.kill(session.token)
                return ApiResponse(200, True)
            if resource == "getActiveEntities":
                return api_session.get_active_entities(store, session)
            if resource == "getMyEntities":
                return api_session.get_my_entities(request, store, session)
            if resource == "getActiveProfile":
                return api_session.get_active_profile(store, session)
            if resource == "getMyProfiles":
                return api_session.get_my_profiles(store, session)
            if resource == "getFullSession":
                return ApiResponse(200, {"session": api_session.full_session(store, session)})
            if resource == "getGlpiConfig":
                return api_session.get_glpi_config(request, store)
            return api_items.get_multiple(request, ctx)

    def _itemtype_route(self, request: ApiRequest, ctx: WriteContext) -> ApiResponse:
        parts = request.parts
        itemtype = find_itemtype(parts[0])
        if itemtype is None:
            raise errors.itemtype_not_found()
        item_id: int | None = None
        if len(parts) > 1:
            if not parts[1].isdigit():
                raise errors.item_not_found()
            item_id = int(parts[1])
        method = request.method
        if len(parts) > 2:
            sub = find_itemtype(parts[2])
            if sub is None or len(parts) > 3:
                raise errors.itemtype_not_found()
            assert item_id is not None
            if method == "GET":
                return api_items.get_many(request, ctx, sub.name, (itemtype.name, item_id))
            if method == "POST":
                # GLPI does not inject the parent keys here: the input must carry them.
                return api_items.create(request, ctx, sub.name)
            raise errors.method_not_allowed()
        name = itemtype.name
        if method == "GET":
            if item_id is None:
                return api_items.get_many(request, ctx, name)
            return api_items.get_one(request, ctx, name, item_id)
        if method == "POST":
            if item_id is not None:
                raise errors.method_not_allowed()
            return api_items.create(request, ctx, name)
        if method in ("PUT", "PATCH"):
            return api_items.update(request, ctx, name, item_id)
        if method == "DELETE":
            return api_items.delete(request, ctx, name, item_id)
        raise errors.method_not_allowed()
