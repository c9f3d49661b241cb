"""The sandbox's database: every record, the id sequences and the lock that guards them.

The WSGI server is threaded, so every read-modify-write of the store happens under
``Store.lock`` (an RLock, so domain operations may nest). Outbound webhook sending happens
outside the lock.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterator
from dataclasses import asdict
from typing import Any

from .config import SandboxConfig
from .models import (
    Account,
    AccountUser,
    Contact,
    ContactInbox,
    Conversation,
    DashboardApp,
    Inbox,
    Message,
    RequestRecord,
    Team,
    User,
    Webhook,
    WebhookDelivery,
)
from .timestamps import now
from .tokens import secure_token

# Contact attributes with an exact-match index (what the ERP looks contacts up by before
# every create, and what uniqueness validation checks).
INDEXED_CONTACT_KEYS = ("identifier", "email", "phone_number")


def lookup_value(key: str, value: object) -> str:
    """The comparison form the contact filter uses for a text attribute: phone numbers as
    ``+digits``, everything else lower-cased. The contact index is keyed by this same form
    so an index hit is exactly a filter ``equal_to`` hit (e.g. identifier matching there is
    case-insensitive, uniqueness is not: validation re-checks the raw value)."""
    text = str(value)
    if key == "phone_number":
        return "+" + re.sub(r"\D", "", text)
    return text.lower()


# Tables with a database-wide id sequence (ids are global, as in PostgreSQL).
_SEQUENCES = (
    "account",
    "user",
    "account_user",
    "inbox",
    "channel",
    "contact",
    "contact_inbox",
    "conversation",
    "message",
    "webhook",
    "dashboard_app",
    "team",
    "attachment",
    "request",
)


class Store:
    """All sandbox state. Construct once; ``reset()`` returns it to the seed."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.lock = threading.RLock()
        self.reset()

    # -- lifecycle -----------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self._sequences: dict[str, Iterator[int]] = {
                name: itertools.count(1) for name in _SEQUENCES
            }
            self._display_ids: dict[int, Iterator[int]] = {}
            self.accounts: dict[int, Account] = {}
            self.users: dict[int, User] = {}
            self.account_users: dict[int, AccountUser] = {}
            self.inboxes: dict[int, Inbox] = {}
            # Read freely, but write only through save_contact / remove_contact so that
            # _contact_index stays in step.
            self.contacts: dict[int, Contact] = {}
            # (account_id, key, lookup_value) -> ids of the contacts with that value. Sets,
            # because lookup_value may fold distinct raw values together (identifier case).
            self._contact_index: dict[tuple[int, str, str], set[int]] = {}
            # contact id -> the indexed values it was filed under (see save_contact).
            self._indexed_values: dict[int, Contact] = {}
            self.contact_inboxes: dict[int, ContactInbox] = {}
            self.conversations: dict[int, Conversation] = {}
            self.messages: dict[int, Message] = {}
            self.webhooks: dict[int, Webhook] = {}
            self.dashboard_apps: dict[int, DashboardApp] = {}
            self.teams: dict[int, Team] = {}
            self.deliveries: list[WebhookDelivery] = []
            self.requests: list[RequestRecord] = []
            # (kind, id) pairs the Platform App created or was granted.
            self.platform_permissibles: set[tuple[str, int]] = set()
            self._seed()

    def _seed(self) -> None:
        config = self.config
        created = now()
        account = Account(id=config.account_id, name=config.account_name, created_at=created)
        self.accounts[account.id] = account
        # The next Platform-created account must not collide with the configured id.
        self._sequences["account"] = itertools.count(config.account_id + 1)
        admin = User(
            id=self.next_id("user"),
            name=config.admin_name,
            email=config.admin_email,
            access_token=config.api_token,
            pubsub_token=secure_token(),
            created_at=created,
        )
        self.users[admin.id] = admin
        self.add_account_user(account.id, admin.id, "administrator")
        if config.platform_app_owns_seed_account:
            self.platform_permissibles.add(("account", account.id))

    # -- ids -----------------------------------------------------------------------------

    def next_id(self, table: str) -> int:
        return next(self._sequences[table])

    def next_display_id(self, account_id: int) -> int:
        sequence = self._display_ids.setdefault(account_id, itertools.count(1))
        return next(sequence)

    # -- contacts and their exact-match index -------------------------------------------

    def _index_keys(self, contact: Contact) -> list[tuple[int, str, str]]:
        # Every non-None value is indexed, even "" (it compares equal in the filter too).
        return [
            (contact.account_id, key, lookup_value(key, value))
            for key in INDEXED_CONTACT_KEYS
            if (value := getattr(contact, key)) is not None
        ]

    def _unindex(self, contact: Contact) -> None:
        for index_key in self._index_keys(contact):
            ids = self._contact_index.get(index_key)
            if ids is not None:
                ids.discard(contact.id)
                if not ids:
                    del self._contact_index[index_key]

    def save_contact(self, contact: Contact) -> None:
        """Insert or replace a contact row and re-index it. Replacing a row with a new
        object (update) or re-saving the same object after changing its attributes both
        work: the old index entries are found from the values recorded at the last save."""
        previous = self._indexed_values.pop(contact.id, None)
        if previous is not None:
            self._unindex(previous)
        self.contacts[contact.id] = contact
        for index_key in self._index_keys(contact):
            self._contact_index.setdefault(index_key, set()).add(contact.id)
        # A snapshot of the indexed attributes, since the caller may mutate ``contact``.
        self._indexed_values[contact.id] = Contact(
            id=contact.id,
            account_id=contact.account_id,
            created_at=contact.created_at,
            updated_at=contact.updated_at,
            email=contact.email,
            phone_number=contact.phone_number,
            identifier=contact.identifier,
        )

    def remove_contact(self, contact_id: int) -> None:
        previous = self._indexed_values.pop(contact_id, None)
        if previous is not None:
            self._unindex(previous)
        del self.contacts[contact_id]

    def contacts_matching(self, account_id: int, key: str, values: list[object]) -> list[Contact]:
        """Contacts of the account whose ``key`` equals one of ``values`` after
        ``lookup_value`` on both sides (filter ``equal_to`` semantics), in id order."""
        ids: set[int] = set()
        for value in values:
            ids |= self._contact_index.get((account_id, key, lookup_value(key, value)), set())
        return [self.contacts[i] for i in sorted(ids)]

    # -- lookups used by several modules ---------------------------------------------------

    def user_by_token(self, token: str) -> User | None:
        return next((u for u in self.users.values() if u.access_token == token), None)

    def user_by_email(self, email: str) -> User | None:
        wanted = email.lower()
        return next((u for u in self.users.values() if u.email.lower() == wanted), None)

    def account_user(self, account_id: int, user_id: int) -> AccountUser | None:
        return next(
            (
                au
                for au in self.account_users.values()
                if au.account_id == account_id and au.user_id == user_id
            ),
            None,
        )

    def account_users_of(self, user_id: int) -> list[AccountUser]:
        return [au for au in self.account_users.values() if au.user_id == user_id]

    def add_account_user(self, account_id: int, user_id: int, role: str) -> AccountUser:
        """Find-or-create the membership row, then set the role (Platform API semantics)."""
        stamp = now()
        row = self.account_user(account_id, user_id)
        if row is None:
            row = AccountUser(
                id=self.next_id("account_user"),
                account_id=account_id,
                user_id=user_id,
                role=role,
                created_at=stamp,
                updated_at=stamp,
                active_at=stamp,
            )
            self.account_users[row.id] = row
        elif row.role != role:
            row.role = role
            row.updated_at = stamp
        return row

    def contact_inboxes_of(self, contact_id: int) -> list[ContactInbox]:
        return [ci for ci in self.contact_inboxes.values() if ci.contact_id == contact_id]

    def conversation_by_display_id(self, account_id: int, display_id: int) -> Conversation | None:
        return next(
            (
                c
                for c in self.conversations.values()
                if c.account_id == account_id and c.display_id == display_id
            ),
            None,
        )

    def messages_of(self, conversation_id: int) -> list[Message]:
        """Messages of one conversation in id order (= creation order)."""
        return sorted(
            (m for m in self.messages.values() if m.conversation_id == conversation_id),
            key=lambda m: m.id,
        )

    # -- inspection ----------------------------------------------------------------------

    def dump(self) -> dict[str, Any]:
        """Everything, as plain JSON-able data, for GET /_sandbox/state."""
        with self.lock:
            tables: dict[str, Any] = {
                "accounts": self.accounts,
                "users": self.users,
                "account_users": self.account_users,
                "inboxes": self.inboxes,
                "contacts": self.contacts,
                "contact_inboxes": self.contact_inboxes,
                "conversations": self.conversations,
                "messages": self.messages,
                "webhooks": self.webhooks,
                "dashboard_apps": self.dashboard_apps,
                "teams": self.teams,
            }
            data = {name: [asdict(row) for row in rows.values()] for name, rows in tables.items()}
            data["webhook_deliveries"] = [asdict(d) for d in self.deliveries]
            data["platform_permissibles"] = sorted(
                [kind, ident] for kind, ident in self.platform_permissibles
            )
            return data
