"""Beat schedule of the privacy app, created as data so admins can edit it in the admin:
"Adatvédelem: megőrzési idők alkalmazása" runs `privacy.apply_retention` daily at 04:10
(Budapest), after the event bus's nightly prune."""

from django.db import migrations

NAME = "Adatvédelem: megőrzési idők alkalmazása"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    daily, _ = CrontabSchedule.objects.get_or_create(
        minute="10", hour="4", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="Europe/Budapest",
    )
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={
            "task": "privacy.apply_retention",
            "crontab": daily,
            "interval": None,
            "enabled": True,
            "description": "Törli a megőrzési időn túli webhook-törzseket, hibaüzeneteket "
                           "és lejárt adatkikérés-exportokat.",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("privacy", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
