from django.apps import AppConfig


class NumberingConfig(AppConfig):
    name = "kgc_erp.numbering"
    label = "numbering"
    verbose_name = "Bizonylatszámok"
