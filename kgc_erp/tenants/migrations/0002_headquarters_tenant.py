from django.db import migrations

HEADQUARTERS_SLUG = "kgc-hq"


def create_headquarters(apps, schema_editor):
    Tenant = apps.get_model("tenants", "Tenant")
    Tenant.objects.get_or_create(
        slug=HEADQUARTERS_SLUG,
        defaults={
            "name": "KGC Központ",
            "kind": "headquarters",
            "is_active": True,
            "modules_enabled": ["support", "crm"],
        },
    )


def remove_headquarters(apps, schema_editor):
    apps.get_model("tenants", "Tenant").objects.filter(slug=HEADQUARTERS_SLUG).delete()


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]

    operations = [migrations.RunPython(create_headquarters, remove_headquarters)]
