"""manage.py koko_train: fit the intent classifier, the reranker, the route classifier
and the confidence calibrator on the whole dev set and write their JSON weights into the
package (commit them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...brain import default_brain
from ...classifier import ROUTE_CLASSIFIER_WEIGHTS
from ...classifier import save as save_intent_model
from ...decision import save_calibrator
from ...evaluation import DEVSET, observe_all, read_devset, train_models
from ...reranker import save_reranker


class Command(BaseCommand):
    help = "Train Kokó's classifiers, reranker and calibrator on the dev set."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--devset", type=Path, default=DEVSET)

    def handle(self, *args: Any, **options: Any) -> None:
        brain = default_brain()
        examples = read_devset(options["devset"])
        observations = observe_all(brain, examples)
        models = train_models(examples, observations, brain.provider.name)
        save_intent_model(models.intent_model)
        save_reranker(models.reranker)
        save_intent_model(models.route_model, ROUTE_CLASSIFIER_WEIGHTS)
        save_calibrator(models.calibrator)
        self.stdout.write(f"trained on {len(examples)} messages, model={brain.provider.name}")
