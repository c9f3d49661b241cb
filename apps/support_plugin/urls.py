"""URLs of the support plugin, mounted at ``support/chatwoot/`` by the root URLconf."""

from django.urls import path

from . import views

app_name = "support_chatwoot"

urlpatterns = [
    path("dashboard/<slug:slug>/", views.dashboard_page, name="dashboard"),
    path("dashboard/<slug:slug>/card/", views.dashboard_card, name="dashboard-card"),
]
