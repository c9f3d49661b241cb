"""Unsubscribe URLs, mounted under /email/ (the manifest's `mounted_urls`)."""

from django.urls import path

from . import views

app_name = "crm_campaigns"

urlpatterns = [
    path("leiratkozas/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("leiratkozas/<str:token>/egy-kattintas/", views.one_click_unsubscribe,
         name="one_click_unsubscribe"),
]
