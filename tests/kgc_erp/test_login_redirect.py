"""Logging in lands on the admin, both from a protected page and at /admin/login/."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> User:
    return User.objects.create_user("pult", password="titkos-jelszo-123", is_staff=True)


def test_protected_admin_page_sends_to_login_and_back(client: Client, staff: User) -> None:
    first = client.get("/admin/")
    assert first.status_code == 302
    assert first["Location"] == "/admin/login/?next=/admin/"

    login = client.post(
        "/admin/login/?next=/admin/",
        {"username": "pult", "password": "titkos-jelszo-123", "next": "/admin/"},
    )
    assert login.status_code == 302
    assert login["Location"] == "/admin/"


def test_direct_login_lands_on_the_admin_index(client: Client, staff: User) -> None:
    login = client.post("/admin/login/", {"username": "pult", "password": "titkos-jelszo-123"})
    assert login.status_code == 302
    assert login["Location"] == "/admin/"
    assert client.get(login["Location"]).status_code == 200
