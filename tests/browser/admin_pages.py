"""Steps through the admin the tests share: logging in."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from playwright.sync_api import Page

ADMIN_PASSWORD = "password"  # pytest-django's admin_user


def submit_login(page: Page, username: str, password: str = ADMIN_PASSWORD) -> None:
    """Fill the login form that is on the page and send it, waiting for the next page."""
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("button[type=submit]")


def login(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    submit_login(page, username)



def log_in_by_cookie(page: Page, base_url: str, user: AbstractBaseUser) -> None:
    """Give the page a logged-in session without the login form (the login tests use the
    form; the others only need to be logged in, one page load sooner)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie.value,
                               "url": base_url}])  # fmt: skip
