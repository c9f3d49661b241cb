from django.apps import AppConfig


class RentalsConfig(AppConfig):
    name = "kgc_erp.rentals"
    label = "rentals"
    verbose_name = "Bérlés"
