"""`login`, `logout`, `get`, `forgot-password` (NOTES section 1).

Each login deletes every existing token of the user before issuing a new one, so two
processes logging in as the same CRM user keep invalidating each other.
"""

from __future__ import annotations

import secrets

from sandboxes.krayin.call import Call, Reply, as_text
from sandboxes.krayin.errors import ValidationFailed
from sandboxes.krayin.resources import user_resource
from sandboxes.krayin.validation import Validator

INVALID_CREDENTIALS = "The provided credentials are incorrect."


def login(call: Call) -> Reply:
    v = Validator()
    body = call.body
    if v.required("email", body.get("email")):
        v.email("email", body.get("email"))
    v.required("password", body.get("password"))
    v.required("device_name", body.get("device_name"))
    v.raise_if_failed()
    email = (as_text(body.get("email")) or "").casefold()
    password = as_text(body.get("password")) or ""
    user = next((u for u in call.db.users.values() if u.email.casefold() == email), None)
    if user is None or not secrets.compare_digest(user.password, password):
        raise ValidationFailed({"email": [INVALID_CREDENTIALS]})
    token = call.db.issue_token(user, as_text(body.get("device_name")) or "")
    return 200, {
        "data": user_resource(user),
        "message": "Login successful.",
        "token": token.plain_text,
    }


def logout(call: Call) -> Reply:
    call.db.revoke_tokens(call.me.id)
    return 200, {"message": "Logout successful."}


def me(call: Call) -> Reply:
    return 200, {"data": user_resource(call.me)}


def forgot_password(call: Call) -> Reply:
    v = Validator()
    if v.required("email", call.body.get("email")):
        v.email("email", call.body.get("email"))
    v.raise_if_failed()
    return 200, {"message": "We have emailed your password reset link."}
