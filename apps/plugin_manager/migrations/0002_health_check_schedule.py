"""Schedules the plugin health check every 5 minutes in django-celery-beat's database, so
admins can see, pause or retime it in the admin."""

from django.db import migrations

TASK_NAME = "plugin_manager.check_plugins_health"
SCHEDULE_NAME = "Bővítmények állapotellenőrzése (5 percenként)"


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_5_minutes, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    PeriodicTask.objects.update_or_create(
        name=SCHEDULE_NAME,
        defaults={
            "task": TASK_NAME,
            "interval": every_5_minutes,
            "enabled": True,
            "description": "Minden bekapcsolt bővítmény kapcsolatának ellenőrzése.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("plugin_manager", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
