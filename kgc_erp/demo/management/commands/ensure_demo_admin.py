"""`manage.py ensure_demo_admin`: a superuser for the local demo, credentials printed.

The password is generated once and kept in var/demo-admin-password (git-ignored), so every
`make run` prints the same working credentials. Never used outside the local demo.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

USERNAME = "admin"


class Command(BaseCommand):
    help = "Create (or reset) the local demo superuser and print its credentials."

    def handle(self, *args: Any, **options: Any) -> None:
        password_file = Path(settings.BASE_DIR) / "var" / "demo-admin-password"
        password_file.parent.mkdir(parents=True, exist_ok=True)
        if password_file.exists():
            password = password_file.read_text().strip()
        else:
            password = secrets.token_urlsafe(12)
            password_file.write_text(password)
            password_file.chmod(0o600)
        user, _ = get_user_model().objects.get_or_create(
            username=USERNAME, defaults={"email": "admin@kgc.example"}
        )
        user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        self.stdout.write(
            self.style.SUCCESS(f"Admin login: username '{USERNAME}', password '{password}'")
        )
