from django.apps import AppConfig


class HungarianConfig(AppConfig):
    """Hungarian presentation for the admin: amounts and month names in list pages."""

    name = "kgc_erp.hungarian"
    label = "hungarian"
    verbose_name = "Magyar megjelenítés"
