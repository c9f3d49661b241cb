from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "kgc_erp.partners"
    label = "partners"
    verbose_name = "Partnerek"
