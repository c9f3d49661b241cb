from django.apps import AppConfig


class SalesConfig(AppConfig):
    name = "kgc_erp.sales"
    label = "sales"
    verbose_name = "Értékesítés"
