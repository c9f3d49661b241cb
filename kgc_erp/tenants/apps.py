from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "kgc_erp.tenants"
    label = "tenants"
    verbose_name = "Telephelyek"
