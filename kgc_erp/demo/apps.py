from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "kgc_erp.demo"
    label = "demo"
    verbose_name = "Bemutató adatok"
