"""Logging in, both ways counter staff arrive at the admin."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from playwright.sync_api import Page, expect

from .admin_pages import submit_login
from .english_leftovers import assert_no_english


def test_login_through_the_admin_redirect(
    page: Page, base_url: str, admin_user: AbstractBaseUser
) -> None:
    page.goto(f"{base_url}/admin/")
    assert page.url.startswith(f"{base_url}/admin/login/")
    assert_no_english(page)
    submit_login(page, admin_user.get_username())
    assert page.url == f"{base_url}/admin/"
    expect(page.locator("#nav-sidebar-inner")).to_contain_text("Integrációk áttekintése")
    assert_no_english(page)


# Without LOGIN_REDIRECT_URL the direct login used to land on /accounts/profile/, a 404.
def test_login_directly_at_the_login_page(
    page: Page, base_url: str, admin_user: AbstractBaseUser
) -> None:
    page.goto(f"{base_url}/admin/login/")
    submit_login(page, admin_user.get_username())
    assert page.url == f"{base_url}/admin/", "the login must land on the admin index"
    expect(page.locator("#nav-sidebar-inner")).to_contain_text("Integrációk áttekintése")
