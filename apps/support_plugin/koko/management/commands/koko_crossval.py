"""manage.py koko_crossval: k-fold cross-validation of Kokó on the dev set (each fold's
classifier and calibrator trained on the other folds); prints the quality report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...brain import default_brain
from ...config import koko_settings
from ...evaluation import DEVSET, cross_validate, observe_all, read_devset, threshold_sweep


class Command(BaseCommand):
    help = "Cross-validate Kokó's decisions on the labelled dev set."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--devset", type=Path, default=DEVSET)
        parser.add_argument("--folds", type=int, default=5)
        parser.add_argument("--sweep", action="store_true",
                            help="also show auto replies and mistakes per auto threshold")
        parser.add_argument("--verbose", action="store_true",
                            help="one line per message that went to another route")

    def handle(self, *args: Any, **options: Any) -> None:
        brain = default_brain(koko_settings(None))
        examples = read_devset(options["devset"])
        observations = observe_all(brain, examples)
        report = cross_validate(brain, examples, observations, folds=options["folds"])
        if options["verbose"]:
            for example in examples:
                d = report.decisions[example.id]
                if d.route != example.expected_route or d.intent != example.intent:
                    self.stdout.write(
                        f"{example.id} want={example.expected_route}/{example.intent} "
                        f"got={d.route}/{d.intent} conf={d.confidence:.2f} "
                        f"kb={','.join(d.kb_ids)} want_kb={','.join(example.kb_ids)} "
                        f"{'|'.join(d.reasons)} :: {example.text[:70]}")
        self.stdout.write(report.summary())
        if options["sweep"]:
            self.stdout.write("auto threshold  auto replies  wrong")
            for threshold, autos, wrong in threshold_sweep(brain, examples, observations,
                                                           folds=options["folds"]):
                self.stdout.write(f"{threshold:>14.2f}  {autos:>12}  {wrong:>5}")
