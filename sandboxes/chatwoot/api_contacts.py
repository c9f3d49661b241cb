"""Contact views (NOTES §2 envelopes, §4 pagination, §5 behaviour)."""

from __future__ import annotations

from . import api_account, auth, contact_filter, contacts, errors, serializers
from .api_conversations import visible_conversations
from .context import Ctx, Reply, as_bool, as_text
from .models import Contact, Inbox


def _contact(ctx: Ctx) -> Contact:
    contact = ctx.store.contacts.get(ctx.path_id("id"))
    if contact is None or contact.account_id != ctx.me.account.id:
        raise errors.not_found()
    return contact


def _current_page(ctx: Ctx) -> int | str:
    """``meta.current_page`` echoes the raw param: a string when given, else 1."""
    raw = ctx.request.args.get("page")
    return raw if raw is not None else 1


def list_contacts(ctx: Ctx) -> Reply:
    found = contacts.sort_contacts(
        contacts.resolved(ctx.store, ctx.me.account.id), ctx.request.args.get("sort")
    )
    page, _ = contacts.page(found, ctx.request.args.get("page"))
    with_inboxes = ctx.request.args.get("include_contact_inboxes") != "false"
    return 200, {
        "meta": {"count": len(found), "current_page": _current_page(ctx)},
        "payload": [
            serializers.contact(ctx.store, c, with_contact_inboxes=with_inboxes) for c in page
        ],
    }


def search_contacts(ctx: Ctx) -> Reply:
    query = ctx.request.args.get("q")
    if not query:
        raise errors.unprocessable("Specify search string with parameter q")
    found = contacts.sort_contacts(
        contacts.search(ctx.store, ctx.me.account.id, query), ctx.request.args.get("sort")
    )
    page, number = contacts.page(found, ctx.request.args.get("page"))
    with_inboxes = ctx.request.args.get("include_contact_inboxes") != "false"
    return 200, {
        "meta": {
            "count": len(page),  # items on this page, not a total (NOTES §4)
            "current_page": _current_page(ctx),
            "has_more": len(found) > number * contacts.PAGE_SIZE,
        },
        "payload": [
            serializers.contact(ctx.store, c, with_contact_inboxes=with_inboxes) for c in page
        ],
    }


def filter_contacts(ctx: Ctx) -> Reply:
    payload = contact_filter.validate(ctx.params.get("payload"))
    account_id = ctx.me.account.id
    # Exact identifier / e-mail / phone lookups (what the ERP sends before every create) come
    # from the store's index; anything else scans the account. sort_contacts is a total
    # order, so sorting the smaller pool yields the same page as sorting everything.
    indexed = contact_filter.indexed_candidates(ctx.store, account_id, payload)
    pool = (
        contacts.resolved(ctx.store, account_id)
        if indexed is None
        else [c for c in indexed if contacts.is_resolved(c)]
    )
    found = contact_filter.apply(contacts.sort_contacts(pool, None), payload)
    page, _ = contacts.page(found, ctx.request.args.get("page"))
    return 200, {
        "meta": {"count": len(found), "current_page": _current_page(ctx)},
        "payload": [serializers.contact(ctx.store, c, with_contact_inboxes=True) for c in page],
    }


def create_contact(ctx: Ctx) -> Reply:
    """``{"payload": {"contact": …, "contact_inbox": {"inbox", "source_id"}}}``."""
    inbox_param = ctx.params.get("inbox_id")

    def resolve_inbox() -> Inbox | None:
        if inbox_param in (None, ""):
            return None
        return api_account.account_inbox(ctx, inbox_param)

    contact, contact_inbox = contacts.create_contact(
        ctx.store,
        ctx.events,
        ctx.me.account.id,
        ctx.params,
        resolve_inbox=resolve_inbox,
        source_id=as_text(ctx.params.get("source_id")) or None,
    )
    inbox = ctx.store.inboxes[contact_inbox.inbox_id] if contact_inbox else None
    return 200, {
        "payload": {
            "contact": serializers.contact(ctx.store, contact, with_contact_inboxes=True),
            "contact_inbox": {
                "inbox": serializers.inbox_row(inbox) if inbox else None,
                "source_id": contact_inbox.source_id if contact_inbox else None,
            },
        }
    }


def show_contact(ctx: Ctx) -> Reply:
    contact = _contact(ctx)
    return 200, {"payload": serializers.contact(ctx.store, contact, with_contact_inboxes=True)}


def update_contact(ctx: Ctx) -> Reply:
    contact = contacts.update_contact(ctx.store, ctx.events, _contact(ctx), ctx.params)
    return 200, {"payload": serializers.contact(ctx.store, contact, with_contact_inboxes=True)}


def delete_contact(ctx: Ctx) -> Reply:
    auth.require_admin(ctx.me)  # Pundit checks the class before the record is fetched
    contacts.delete_contact(ctx.store, _contact(ctx))
    return 200, None


def contact_conversations(ctx: Ctx) -> Reply:
    """The 20 most recent by last activity, permission-filtered, no pagination."""
    contact = _contact(ctx)
    found = [c for c in visible_conversations(ctx) if c.contact_id == contact.id]
    found.sort(key=lambda c: c.last_activity_at, reverse=True)
    return 200, {"payload": [serializers.conversation(ctx.store, c) for c in found[:20]]}


def create_contact_inbox(ctx: Ctx) -> Reply:
    contact = _contact(ctx)
    inbox = api_account.account_inbox(ctx, ctx.params.get("inbox_id"))
    row = contacts.ensure_contact_inbox(
        ctx.store, contact, inbox, as_text(ctx.params.get("source_id")) or None
    )
    row.hmac_verified = row.hmac_verified or as_bool(ctx.params.get("hmac_verified", False))
    return 200, serializers.contact_inbox(ctx.store, row)


ROUTES = (
    ("/contacts", ("GET",), list_contacts),
    ("/contacts", ("POST",), create_contact),
    ("/contacts/search", ("GET",), search_contacts),
    ("/contacts/filter", ("POST",), filter_contacts),
    ("/contacts/<id>", ("GET",), show_contact),
    ("/contacts/<id>", ("PUT", "PATCH"), update_contact),
    ("/contacts/<id>", ("DELETE",), delete_contact),
    ("/contacts/<id>/conversations", ("GET",), contact_conversations),
    ("/contacts/<id>/contact_inboxes", ("POST",), create_contact_inbox),
)
