"""One definition row per campaign and its beat schedule (Europe/Budapest), rows admins
can edit: the expiry reminder daily at 10:00 (after the core's 9:00 "due tomorrow"
announcement, whose e-mails it only completes), repair-ready daily as a catch-up of the
event path, the marketing campaigns weekly."""

import json

from django.db import migrations

TASK = "crm_campaigns.run_campaign"
# kind, name, discount %, (minute, hour, day of week)
CAMPAIGNS = [
    ("expiry_reminder", "Bérlés lejárati emlékeztető", 0, ("0", "10", "*")),
    ("repair_ready", "Javítás kész értesítő (Chatwoot nélküli partnereknek)", 0, ("30", "10", "*")),
    ("upsell", "Vásárlási ajánlat gyakori bérlőknek", 15, ("0", "10", "2")),
    ("win_back", "Visszacsábító ajánlat (6 hónapja nem bérelt)", 10, ("0", "10", "3")),
    ("new_machines", "Új gépek a korábban bérelt kategóriában", 0, ("0", "10", "4")),
    ("vip_welcome", "VIP üdvözlés (10. lezárt bérlés)", 10, ("30", "10", "1")),
]


def schedule_name(name):
    return f"E-mail kampány: {name}"


def create(apps, schema_editor):
    Campaign = apps.get_model("crm_campaigns", "Campaign")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for kind, name, discount, (minute, hour, weekday) in CAMPAIGNS:
        Campaign.objects.get_or_create(
            kind=kind, defaults={"name": name, "discount_percent": discount})
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute, hour=hour, day_of_week=weekday, day_of_month="*",
            month_of_year="*", timezone="Europe/Budapest",
        )
        PeriodicTask.objects.get_or_create(
            name=schedule_name(name),
            defaults={"task": TASK, "crontab": crontab, "args": json.dumps([kind])},
        )


def remove(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("crm_campaigns", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
