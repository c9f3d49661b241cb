"""Beat schedule of Kokó's transcript retention, created as data so admins can edit it in
the admin: "Kokó: beszélgetésszövegek megőrzési ideje" runs `support_koko.apply_retention`
daily at 04:20 (Budapest), after the privacy app's own retention run."""

from django.db import migrations

NAME = "Kokó: beszélgetésszövegek megőrzési ideje"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    daily, _ = CrontabSchedule.objects.get_or_create(
        minute="20", hour="4", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone="Europe/Budapest",
    )
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={
            "task": "support_koko.apply_retention",
            "crontab": daily,
            "interval": None,
            "enabled": True,
            "description": "Törli a megőrzési időn túli Kokó-válaszok ügyfélszövegeit "
                           "(a döntés és a visszajelzés a statisztikához megmarad).",
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("support_koko", "0002_chatwoot_flow"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
