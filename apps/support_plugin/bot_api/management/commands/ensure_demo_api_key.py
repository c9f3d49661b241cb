"""`manage.py ensure_demo_api_key`: a bot API key for the local demo, printed.

`make run` calls it so the API docs can be tried at once. Only the key's hash is stored
in the database, so the key text is kept in var/demo-api-key (git-ignored) and reused on
the next run while it still works; a missing, revoked or expired key is replaced by a
new one. Never used outside the local demo.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from kgc_erp.tenants.models import Tenant

from ...keys import find_key, issue_api_key
from ...scopes import Scope

DEMO_KEY_NAME = "Demó kulcs (make run)"


class Command(BaseCommand):
    help = "Create (or reuse) the local demo's bot API key and print it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--key-file",
            type=Path,
            default=Path(settings.BASE_DIR) / "var" / "demo-api-key",
            help="where the key text is kept between runs",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        key_file: Path = options["key_file"]
        tenant = Tenant.headquarters()
        raw_key = key_file.read_text().strip() if key_file.exists() else ""
        existing = find_key(raw_key) if raw_key else None
        if existing is None or not existing.is_usable() or existing.tenant_id != tenant.pk:
            issued = issue_api_key(
                tenant=tenant, name=DEMO_KEY_NAME, scopes=(Scope.READ, Scope.WRITE)
            )
            raw_key = issued.raw_key
            key_file.parent.mkdir(parents=True, exist_ok=True)
            key_file.write_text(raw_key)
            key_file.chmod(0o600)
        self.stdout.write(self.style.SUCCESS(f"Bot API key (demo tenant): {raw_key}"))
