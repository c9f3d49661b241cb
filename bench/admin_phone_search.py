"""Admin partner change list: phone search latency with 100 000 partners (target < 100 ms).

Measures the full request through Django (auth, admin change list, template rendering)
in-process with the test client, plus the bare SQL lookup for comparison.

    .venv/bin/python -m bench.admin_phone_search [--partners 100000] [--runs 200]
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench.bench_database import setup_django


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--partners", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    setup_django()
    from bench.bench_database import ensure_partners

    ensure_partners(args.partners)

    import random

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from kgc_erp.partners.models import Partner

    setup_test_environment()
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    phones = list(Partner.objects.values_list("phone", flat=True)[:: max(1, args.partners // 500)])
    rng = random.Random(1)

    def national(e164: str) -> str:  # what counter staff type: 06 30 123 4567
        return f"06 {e164[3:5]} {e164[5:8]} {e164[8:]}"

    url = "/admin/partners/partner/"
    client.get(url, {"q": national(phones[0])})  # warm up caches and connections
    page_ms, sql_ms = [], []
    for _ in range(args.runs):
        phone = rng.choice(phones)
        started = time.perf_counter()
        response = client.get(url, {"q": national(phone)})
        page_ms.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and phone.encode() in response.content
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, name FROM partners_partner WHERE phone = %s", [phone])
            cursor.fetchall()
        sql_ms.append((time.perf_counter() - started) * 1000)

    name_ms = []
    for term in ("Kovács", "Szűcs Ágnes", "example.hu"):
        started = time.perf_counter()
        assert client.get(url, {"q": term}).status_code == 200
        name_ms.append((time.perf_counter() - started) * 1000)

    print(f"partners in database: {Partner.objects.count()}")
    print(
        f"admin phone search ({args.runs} runs): p50 {statistics.median(page_ms):.1f} ms, "
        f"p95 {percentile(page_ms, 0.95):.1f} ms, max {max(page_ms):.1f} ms"
    )
    print(f"bare SQL phone lookup: p50 {statistics.median(sql_ms):.2f} ms")
    print("admin name/e-mail search: " + ", ".join(f"{ms:.1f} ms" for ms in name_ms))


if __name__ == "__main__":
    main()
