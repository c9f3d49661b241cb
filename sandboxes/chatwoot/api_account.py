"""Account settings views: inboxes, inbox members, agents, webhooks, dashboard apps, and
``/api/v1/profile`` (NOTES §2, §8, §9, §10.1)."""

from __future__ import annotations

from typing import Any

from . import auth, errors, serializers
from .context import Ctx, Reply, as_bool, as_int, as_text, wrapped
from .models import API_CHANNEL, WEB_WIDGET_CHANNEL, DashboardApp, Inbox, Team, Webhook
from .timestamps import now
from .tokens import secure_token
from .validation import dashboard_app_content_errors, inbox_name_errors, webhook_errors

# Channel types Chatwoot accepts on inbox create; the sandbox simulates the first two.
_SIMULATED_CHANNELS = {"api": API_CHANNEL, "web_widget": WEB_WIDGET_CHANNEL}
_REAL_CHANNELS = ("web_widget", "api", "email", "line", "telegram", "whatsapp", "sms")
_INBOX_FIELDS = (
    "greeting_enabled",
    "greeting_message",
    "enable_email_collect",
    "csat_survey_enabled",
    "enable_auto_assignment",
    "working_hours_enabled",
    "out_of_office_message",
    "timezone",
    "allow_messages_after_resolved",
    "lock_to_single_conversation",
    "sender_name_type",
    "business_name",
)
_BOOLEAN_INBOX_FIELDS = frozenset(
    name
    for name in _INBOX_FIELDS
    if name.startswith(("enable", "allow", "lock", "csat")) or name.endswith("_enabled")
)
_WEBHOOK_ATTRIBUTES = ("url", "name", "subscriptions", "inbox_id")


# -- inboxes ---------------------------------------------------------------------------------


def account_inbox(ctx: Ctx, inbox_id: Any) -> Inbox:
    """``Current.account.inboxes.find``: other accounts' inboxes are simply not found."""
    ident = as_int(inbox_id)
    inbox = ctx.store.inboxes.get(ident) if ident is not None else None
    if inbox is None or inbox.account_id != ctx.me.account.id:
        raise errors.not_found()
    return inbox


def visible_inbox_ids(ctx: Ctx) -> set[int]:
    """Administrators see every inbox of the account, agents only their own."""
    account_id = ctx.me.account.id
    return {
        inbox.id
        for inbox in ctx.store.inboxes.values()
        if inbox.account_id == account_id
        and (ctx.me.is_admin or ctx.me.user.id in inbox.member_ids)
    }


def _apply_inbox_fields(inbox: Inbox, params: dict[str, Any]) -> None:
    for name in _INBOX_FIELDS:
        if name in params:
            value = params[name]
            setattr(
                inbox, name, as_bool(value) if name in _BOOLEAN_INBOX_FIELDS else as_text(value)
            )


def _apply_channel(inbox: Inbox, channel: dict[str, Any]) -> None:
    if inbox.channel_type == API_CHANNEL:
        if "webhook_url" in channel:
            inbox.webhook_url = as_text(channel["webhook_url"]) or None
        if isinstance(channel.get("additional_attributes"), dict):
            inbox.additional_attributes = dict(channel["additional_attributes"])
    else:
        for name in ("website_url", "welcome_title", "welcome_tagline", "widget_color"):
            if name in channel:
                setattr(inbox, name, as_text(channel[name]))
    if "hmac_mandatory" in channel:
        inbox.hmac_mandatory = as_bool(channel["hmac_mandatory"])


def list_inboxes(ctx: Ctx) -> Reply:
    visible = visible_inbox_ids(ctx)
    inboxes = sorted((i for i in ctx.store.inboxes.values() if i.id in visible), key=lambda i: i.id)
    return 200, {"payload": [serializers.inbox(i, admin=ctx.me.is_admin) for i in inboxes]}


def create_inbox(ctx: Ctx) -> Reply:
    auth.require_admin(ctx.me)
    channel = ctx.params.get("channel")
    if not isinstance(channel, dict):
        raise errors.internal_error()  # permitted_params[:channel][:type] on nil
    channel_type = channel.get("type")
    if channel_type not in _REAL_CHANNELS:
        # create_channel returns nil, so the inbox fails its channel validation.
        raise errors.record_invalid([("channel", "Channel must exist")])
    if channel_type not in _SIMULATED_CHANNELS:
        raise errors.unprocessable(f"The sandbox does not simulate {channel_type} inboxes")
    if channel_type == "web_widget" and not as_text(channel.get("website_url")):
        # The channel is created (create!) before the inbox is validated.
        raise errors.record_invalid([("website_url", "Website url can't be blank")])
    problems = inbox_name_errors(ctx.params.get("name"))
    if problems:
        raise errors.record_invalid(problems)
    store, stamp = ctx.store, now()
    inbox = Inbox(
        id=store.next_id("inbox"),
        account_id=ctx.me.account.id,
        channel_id=store.next_id("channel"),
        channel_type=_SIMULATED_CHANNELS[channel_type],
        name=str(ctx.params["name"]),
        created_at=stamp,
        updated_at=stamp,
        hmac_token=secure_token(),
    )
    if inbox.channel_type == API_CHANNEL:
        inbox.inbox_identifier = secure_token()
        inbox.secret = secure_token()
    else:
        inbox.website_token = secure_token()
    _apply_inbox_fields(inbox, ctx.params)
    _apply_channel(inbox, channel)
    store.inboxes[inbox.id] = inbox
    return 200, serializers.inbox(inbox, admin=True)


def show_inbox(ctx: Ctx) -> Reply:
    inbox = account_inbox(ctx, ctx.args["id"])
    if inbox.id not in visible_inbox_ids(ctx):
        raise errors.not_authorized_action()
    return 200, serializers.inbox(inbox, admin=ctx.me.is_admin)


def update_inbox(ctx: Ctx) -> Reply:
    auth.require_admin(ctx.me)
    inbox = account_inbox(ctx, ctx.args["id"])
    if "name" in ctx.params:
        problems = inbox_name_errors(ctx.params["name"])
        if problems:
            raise errors.record_invalid(problems)
        inbox.name = str(ctx.params["name"])
    _apply_inbox_fields(inbox, ctx.params)
    if isinstance(ctx.params.get("channel"), dict):
        _apply_channel(inbox, ctx.params["channel"])
    inbox.updated_at = now()
    return 200, serializers.inbox(inbox, admin=True)


def delete_inbox(ctx: Ctx) -> Reply:
    """Deletion is a background job in Chatwoot; the sandbox drops the inbox at once."""
    auth.require_admin(ctx.me)
    inbox = account_inbox(ctx, ctx.args["id"])
    del ctx.store.inboxes[inbox.id]
    return 200, {"message": "Your inbox deletion request will be processed in some time."}


def reset_inbox_secret(ctx: Ctx) -> Reply:
    """Rotate the API inbox's webhook-signing secret."""
    auth.require_admin(ctx.me)
    inbox = account_inbox(ctx, ctx.args["id"])
    if inbox.channel_type == API_CHANNEL:
        inbox.secret = secure_token()
    return 200, serializers.inbox(inbox, admin=True)


# -- inbox members and agents ------------------------------------------------------------------


def _agents(ctx: Ctx, user_ids: list[int]) -> list[dict[str, Any]]:
    result = []
    for user_id in user_ids:
        membership = ctx.store.account_user(ctx.me.account.id, user_id)
        if membership is not None and user_id in ctx.store.users:
            result.append(serializers.agent(ctx.store.users[user_id], membership))
    return result


def list_agents(ctx: Ctx) -> Reply:
    account_id = ctx.me.account.id
    ids = sorted(
        au.user_id for au in ctx.store.account_users.values() if au.account_id == account_id
    )
    return 200, _agents(ctx, ids)


def _member_ids(ctx: Ctx) -> list[int]:
    raw = ctx.params.get("user_ids")
    if not isinstance(raw, list):
        raise errors.param_missing("user_ids")
    ids = [as_int(value) for value in raw]
    for user_id in ids:
        if user_id is None or ctx.store.account_user(ctx.me.account.id, user_id) is None:
            raise errors.not_found()
    return [i for i in ids if i is not None]


def add_inbox_members(ctx: Ctx) -> Reply:
    auth.require_admin(ctx.me)
    inbox = account_inbox(ctx, ctx.params.get("inbox_id"))
    for user_id in _member_ids(ctx):
        if user_id not in inbox.member_ids:
            inbox.member_ids.append(user_id)
    return 200, {"payload": _agents(ctx, inbox.member_ids)}


def replace_inbox_members(ctx: Ctx) -> Reply:
    auth.require_admin(ctx.me)
    inbox = account_inbox(ctx, ctx.params.get("inbox_id"))
    inbox.member_ids = _member_ids(ctx)
    return 200, {"payload": _agents(ctx, inbox.member_ids)}


def remove_inbox_members(ctx: Ctx) -> Reply:
    auth.require_admin(ctx.me)
    inbox = account_inbox(ctx, ctx.params.get("inbox_id"))
    removed = set(_member_ids(ctx))
    inbox.member_ids = [i for i in inbox.member_ids if i not in removed]
    return 200, None


def list_inbox_members(ctx: Ctx) -> Reply:
    auth.require_admin(ctx.me)
    inbox = account_inbox(ctx, ctx.args["inbox_id"])
    return 200, {"payload": _agents(ctx, inbox.member_ids)}


# -- webhooks (administrators only) ------------------------------------------------------------


def _webhook(ctx: Ctx) -> Webhook:
    ident = as_int(ctx.args.get("id"))
    hook = ctx.store.webhooks.get(ident) if ident is not None else None
    if hook is None or hook.account_id != ctx.me.account.id:
        raise errors.not_found()
    return hook


def _account_webhooks(ctx: Ctx) -> list[Webhook]:
    return sorted(
        (w for w in ctx.store.webhooks.values() if w.account_id == ctx.me.account.id),
        key=lambda w: w.id,
    )


def _assign_webhook(hook: Webhook, params: dict[str, Any]) -> None:
    if "url" in params:
        hook.url = as_text(params["url"]) or ""
    if "name" in params:
        hook.name = as_text(params["name"])
    if "subscriptions" in params:
        hook.subscriptions = params["subscriptions"]
    if "inbox_id" in params:
        hook.inbox_id = as_int(params["inbox_id"])


def list_webhooks(ctx: Ctx) -> Reply:
    auth.require_admin(ctx.me)
    hooks = [serializers.webhook(ctx.store, w) for w in _account_webhooks(ctx)]
    return 200, {"payload": {"webhooks": hooks}}


def create_webhook(ctx: Ctx) -> Reply:
    """The secret is generated by Chatwoot (has_secure_token) and returned here."""
    auth.require_admin(ctx.me)
    params = wrapped(ctx.params, "webhook", _WEBHOOK_ATTRIBUTES)
    hook = Webhook(
        id=0, account_id=ctx.me.account.id, url="", secret=secure_token(), created_at=now()
    )
    _assign_webhook(hook, params)
    problems = webhook_errors(hook, _account_webhooks(ctx))
    if problems:
        raise errors.record_invalid(problems)
    hook.id = ctx.store.next_id("webhook")
    ctx.store.webhooks[hook.id] = hook
    return 200, {"payload": {"webhook": serializers.webhook(ctx.store, hook)}}


def update_webhook(ctx: Ctx) -> Reply:
    auth.require_admin(ctx.me)
    hook = _webhook(ctx)
    params = wrapped(ctx.params, "webhook", _WEBHOOK_ATTRIBUTES)
    candidate = Webhook(**{**hook.__dict__})
    _assign_webhook(candidate, params)
    problems = webhook_errors(candidate, _account_webhooks(ctx))
    if problems:
        raise errors.record_invalid(problems)
    ctx.store.webhooks[hook.id] = candidate
    return 200, {"payload": {"webhook": serializers.webhook(ctx.store, candidate)}}


def delete_webhook(ctx: Ctx) -> Reply:
    auth.require_admin(ctx.me)
    hook = _webhook(ctx)
    del ctx.store.webhooks[hook.id]
    return 200, None


# -- dashboard apps ------------------------------------------------------------------------------


def _dashboard_app(ctx: Ctx) -> DashboardApp:
    ident = as_int(ctx.args.get("id"))
    app = ctx.store.dashboard_apps.get(ident) if ident is not None else None
    if app is None or app.account_id != ctx.me.account.id:
        raise errors.not_found()
    return app


def list_dashboard_apps(ctx: Ctx) -> Reply:
    apps = sorted(
        (a for a in ctx.store.dashboard_apps.values() if a.account_id == ctx.me.account.id),
        key=lambda a: a.id,
    )
    return 200, [serializers.dashboard_app(a) for a in apps]


def show_dashboard_app(ctx: Ctx) -> Reply:
    return 200, serializers.dashboard_app(_dashboard_app(ctx))


def create_dashboard_app(ctx: Ctx) -> Reply:
    auth.require_admin(ctx.me)
    params = wrapped(ctx.params, "dashboard_app", ("title", "content"))
    problems = dashboard_app_content_errors(params.get("content"))
    if problems:
        raise errors.record_invalid(problems)
    title = as_text(params.get("title"))
    if title is None:
        raise errors.internal_error()  # title is NOT NULL without a model validation
    stamp = now()
    app = DashboardApp(
        id=ctx.store.next_id("dashboard_app"),
        account_id=ctx.me.account.id,
        user_id=ctx.me.user.id,
        title=title,
        content=params["content"],
        created_at=stamp,
        updated_at=stamp,
    )
    ctx.store.dashboard_apps[app.id] = app
    return 200, serializers.dashboard_app(app)


def update_dashboard_app(ctx: Ctx) -> Reply:
    auth.require_admin(ctx.me)
    app = _dashboard_app(ctx)
    params = wrapped(ctx.params, "dashboard_app", ("title", "content"))
    content = params.get("content", app.content)
    problems = dashboard_app_content_errors(content)
    if problems:
        raise errors.record_invalid(problems)
    app.content = content
    app.title = as_text(params.get("title")) or app.title
    app.updated_at = now()
    return 200, serializers.dashboard_app(app)


def delete_dashboard_app(ctx: Ctx) -> Reply:
    auth.require_admin(ctx.me)
    app = _dashboard_app(ctx)
    del ctx.store.dashboard_apps[app.id]
    return 204, None


# -- profile -----------------------------------------------------------------------------------


def show_profile(ctx: Ctx) -> Reply:
    user = auth.authenticate_user(ctx.store, ctx.request.headers)
    return 200, serializers.user(ctx.store, user)


# -- teams (swagger: list-all-teams, create-a-team, get-details-of-a-single-team) -------------


def list_teams(ctx: Ctx) -> Reply:
    """A bare array of the account's teams."""
    teams = sorted(
        (t for t in ctx.store.teams.values() if t.account_id == ctx.me.account.id),
        key=lambda t: t.id,
    )
    return 200, [serializers.team(t, ctx.me.user.id) for t in teams]


def show_team(ctx: Ctx) -> Reply:
    ident = as_int(ctx.args.get("id"))
    team = ctx.store.teams.get(ident) if ident is not None else None
    if team is None or team.account_id != ctx.me.account.id:
        raise errors.not_found()
    return 200, serializers.team(team, ctx.me.user.id)


def create_team(ctx: Ctx) -> Reply:
    """Admin only; ``name`` is required and unique per account (downcased, as Chatwoot's
    Team model stores it)."""
    auth.require_admin(ctx.me)
    params = wrapped(ctx.params, "team", ("name", "description", "allow_auto_assign"))
    name = (as_text(params.get("name")) or "").strip().lower()
    if not name:
        raise errors.record_invalid([("name", "Name can't be blank")])
    if any(t.name == name for t in ctx.store.teams.values()
           if t.account_id == ctx.me.account.id):
        raise errors.record_invalid([("name", "Name has already been taken")])
    team = Team(
        id=ctx.store.next_id("team"),
        account_id=ctx.me.account.id,
        name=name,
        created_at=now(),
        description=as_text(params.get("description")),
        allow_auto_assign=as_bool(params.get("allow_auto_assign", True)),
    )
    ctx.store.teams[team.id] = team
    return 200, serializers.team(team, ctx.me.user.id)


ROUTES = (
    ("/teams", ("GET",), list_teams),
    ("/teams", ("POST",), create_team),
    ("/teams/<id>", ("GET",), show_team),
    ("/inboxes", ("GET",), list_inboxes),
    ("/inboxes", ("POST",), create_inbox),
    ("/inboxes/<id>", ("GET",), show_inbox),
    ("/inboxes/<id>", ("PATCH", "PUT"), update_inbox),
    ("/inboxes/<id>", ("DELETE",), delete_inbox),
    ("/inboxes/<id>/reset_secret", ("POST",), reset_inbox_secret),
    ("/inbox_members", ("POST",), add_inbox_members),
    ("/inbox_members", ("PATCH",), replace_inbox_members),
    ("/inbox_members", ("DELETE",), remove_inbox_members),
    ("/inbox_members/<inbox_id>", ("GET",), list_inbox_members),
    ("/agents", ("GET",), list_agents),
    ("/webhooks", ("GET",), list_webhooks),
    ("/webhooks", ("POST",), create_webhook),
    ("/webhooks/<id>", ("PATCH", "PUT"), update_webhook),
    ("/webhooks/<id>", ("DELETE",), delete_webhook),
    ("/dashboard_apps", ("GET",), list_dashboard_apps),
    ("/dashboard_apps", ("POST",), create_dashboard_app),
    ("/dashboard_apps/<id>", ("GET",), show_dashboard_app),
    ("/dashboard_apps/<id>", ("PATCH", "PUT"), update_dashboard_app),
    ("/dashboard_apps/<id>", ("DELETE",), delete_dashboard_app),
)

PROFILE_ROUTES = (("/profile", ("GET",), show_profile),)
