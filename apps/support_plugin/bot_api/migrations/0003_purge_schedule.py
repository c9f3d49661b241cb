"""Schedules the nightly purge of old audit rows and idempotency records as a
django-celery-beat row, so admins can see, pause or retime it."""

from django.db import migrations

TASK_NAME = "bot_api.purge_expired_records"
SCHEDULE_NAME = "Bot API napló és idempotencia rekordok takarítása"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="40", hour="3", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="Europe/Budapest",
    )
    PeriodicTask.objects.get_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "task": TASK_NAME,
            "crontab": crontab,
            "description": "Egy napnál régebbi idempotencia rekordok és a megőrzési időn túli "
                           "API hívásnapló törlése.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("support_bot_api", "0002_partner_name_fold_index"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
