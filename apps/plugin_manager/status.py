"""Health statuses of a plugin (kept apart from health.py so models can import them)."""

from django.db import models


class HealthStatus(models.TextChoices):
    HEALTHY = "healthy", "Működik"
    DEGRADED = "degraded", "Korlátozottan működik"
    DOWN = "down", "Nem elérhető"
    DISABLED = "disabled", "Kikapcsolva"
    UNKNOWN = "unknown", "Még nem ellenőrzött"
