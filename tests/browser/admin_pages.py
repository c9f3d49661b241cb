"""Steps through the admin the tests share: logging in."""

from __future__ import annotations

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

