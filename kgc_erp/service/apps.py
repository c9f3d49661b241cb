from django.apps import AppConfig


class ServiceConfig(AppConfig):
    name = "kgc_erp.service"
    label = "service"
    verbose_name = "Szerviz"
