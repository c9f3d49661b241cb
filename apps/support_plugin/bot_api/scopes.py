"""The permissions an API key can carry."""

from django.db import models


class Scope(models.TextChoices):
    READ = "support:read", "support:read – olvasás"
    WRITE = "support:write", "support:write – időpontfoglalás"
    # Opening an erasure request for a customer (GDPR), and following its progress.
    ERASE = "customers:erase", "customers:erase – ügyféladatok törlésének kérése"
