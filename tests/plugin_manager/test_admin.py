"""The "Bővítmények" admin page: rendering, permission, confirmation, settings, secrets,
test connection, actions with progress, and the audit trail."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from apps.plugin_manager import crypto, runtime
from apps.plugin_manager.models import PluginActionRun, PluginState, PluginToggleAudit
from apps.plugin_manager.services import set_enabled, update_settings
from apps.plugin_manager.status import HealthStatus
from kgc_erp.tenants.models import StaffMembership
from tests.factories import TenantFactory

pytestmark = pytest.mark.django_db

SECRET = "alpha-secret-token-98765"
OVERVIEW = "admin:plugin_manager_pluginstate_changelist"


def scope_url(plugin_id: str = "alpha", scope: str = "global") -> str:
    return reverse("admin:plugin_manager_scope", args=(plugin_id, scope))


def switch_url(target: str, plugin_id: str = "alpha", scope: str = "global") -> str:
    return reverse("admin:plugin_manager_switch", args=(plugin_id, scope, target))


def staff_client(*, with_permission: bool, tenant=None) -> tuple[Client, User]:
    user = User.objects.create_user("pult", password="x", is_staff=True)
    if with_permission:
        user.user_permissions.add(Permission.objects.get(codename="manage_plugins"))
    if tenant is not None:
        StaffMembership.objects.create(user=user, tenant=tenant)
    client = Client()
    client.force_login(user)
    return client, user


def configure_alpha() -> None:
    update_settings("alpha", None, {"base_url": "https://alpha.example.test", "api_token": SECRET})


def test_superuser_sees_every_plugin_and_scope(admin_client) -> None:
    franchise = TenantFactory(name="Franchise Győr", slug="franchise-gyor")
    response = admin_client.get(reverse(OVERVIEW))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Alpha (teszt)", "Beta (teszt)", "Bővítmények", "Globális (alapértelmezés)",
                 "Franchise Győr", "Kapcsolat tesztelése", "Bekapcsolás"):
        assert name in html
    assert f'data-scope="t-{franchise.slug}"' in html
    # the scope page renders too, with the settings form
    page = admin_client.get(scope_url())
    assert page.status_code == 200
    assert "Alpha API token" in page.content.decode()


def test_staff_without_the_permission_is_refused() -> None:
    client, _ = staff_client(with_permission=False)
    assert client.get(reverse(OVERVIEW)).status_code == 403
    assert client.get(scope_url()).status_code == 403
    assert client.post(switch_url("on")).status_code == 403
    assert client.post(reverse("admin:plugin_manager_test", args=("alpha", "global"))
                       ).status_code == 403
    assert runtime.is_enabled("alpha", None) is False
    # and the plugin pages are not even listed for them
    assert "Bővítmények" not in client.get(reverse("admin:index")).content.decode()


def test_staff_with_the_permission_may_manage() -> None:
    client, _ = staff_client(with_permission=True)
    assert client.get(reverse(OVERVIEW)).status_code == 200


def test_franchise_staff_only_see_and_switch_their_own_tenant() -> None:
    own = TenantFactory(name="Saját üzlet", slug="sajat")
    other = TenantFactory(name="Másik üzlet", slug="masik")
    client, _ = staff_client(with_permission=True, tenant=own)
    html = client.get(reverse(OVERVIEW)).content.decode()
    assert "Saját üzlet" in html
    assert "Másik üzlet" not in html
    assert "Globális (alapértelmezés)" not in html
    assert client.post(switch_url("off", scope=f"t-{other.slug}")).status_code == 403
    assert client.post(switch_url("off", scope="global")).status_code == 403


def test_switching_asks_for_confirmation_then_applies_and_audits(admin_client, admin_user) -> None:
    configure_alpha()
    confirm = admin_client.get(switch_url("on"))
    assert confirm.status_code == 200
    assert "Igen, bekapcsolás" in confirm.content.decode()
    assert runtime.is_enabled("alpha", None) is False  # GET changes nothing

    response = admin_client.post(switch_url("on"), {"next": "overview"})
    assert response.status_code == 302
    assert response["Location"] == reverse(OVERVIEW)
    assert runtime.is_enabled("alpha", None) is True

    franchise = TenantFactory(slug="franchise-b")
    admin_client.post(switch_url("off", scope="t-franchise-b"))
    assert runtime.is_enabled("alpha", franchise.pk) is False
    assert runtime.is_enabled("alpha", None) is True

    entries = list(PluginToggleAudit.objects.filter(action__in=("enable", "disable"))
                   .order_by("created_at"))
    assert [(e.action, e.tenant_id, e.user_id, e.actor) for e in entries] == [
        ("enable", None, admin_user.pk, admin_user.username),
        ("disable", franchise.pk, admin_user.pk, admin_user.username),
    ]
    assert entries[0].details == {"before": False, "after": True, "row_value": True}


def test_switching_on_with_incomplete_settings_names_the_fields(admin_client) -> None:
    response = admin_client.post(switch_url("on"), follow=True)
    html = response.content.decode()
    assert "Nem kapcsolható be" in html
    assert "„Alpha alap URL”" in html and "„Alpha API token”" in html
    assert runtime.is_enabled("alpha", None) is False


def test_secrets_are_never_rendered_back(admin_client) -> None:
    configure_alpha()
    franchise = TenantFactory(slug="franchise-c")
    update_settings("alpha", franchise, {"api_token": "franchise-token-55554444"})
    for url in (scope_url(), scope_url(scope="t-franchise-c"), reverse(OVERVIEW),
                reverse("admin:plugin_manager_plugintoggleaudit_changelist")):
        html = admin_client.get(url).content.decode()
        assert SECRET not in html
        assert "franchise-token-55554444" not in html
        stored = PluginState.objects.get(plugin_id="alpha", tenant=None).settings["api_token"]
        assert stored not in html  # not even the ciphertext
    html = admin_client.get(scope_url()).content.decode()
    assert "••••8765" in html  # only a mask of the last four characters


def test_settings_form_saves_keeps_secret_when_empty_and_reports_errors(admin_client) -> None:
    configure_alpha()
    response = admin_client.post(scope_url(), {"base_url": "https://uj.example.test/",
                                               "api_token": "", "batch_size": "25",
                                               "verbose": "true"})
    assert response.status_code == 302
    values = runtime.get_plugin_settings("alpha", None)
    assert values["base_url"] == "https://uj.example.test"
    assert values["api_token"] == SECRET  # left empty: kept
    assert (values["batch_size"], values["verbose"]) == (25, True)

    response = admin_client.post(scope_url(), {"base_url": "nem url", "batch_size": "sok"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Érvényes http(s) URL-t adjon meg." in html
    assert "Egész számot adjon meg." in html
    assert runtime.get_plugin_settings("alpha", None)["batch_size"] == 25

    admin_client.post(scope_url(), {"base_url": "https://uj.example.test",
                                    "api_token__clear": "on"})
    assert runtime.get_plugin_settings("alpha", None)["api_token"] == ""
    audit = PluginToggleAudit.objects.filter(action="settings").first()
    assert audit.details["secrets_changed"] == ["api_token"]
    assert SECRET not in str(audit.details)


def test_clearing_a_required_secret_of_an_enabled_plugin_is_refused(admin_client) -> None:
    configure_alpha()
    set_enabled("alpha", None, True)
    response = admin_client.post(scope_url(), {"base_url": "https://alpha.example.test",
                                               "api_token__clear": "on"})
    assert response.status_code == 200
    assert "„Alpha API token” mező kitöltése kötelező" in response.content.decode()
    assert crypto.is_encrypted(
        PluginState.objects.get(plugin_id="alpha", tenant=None).settings["api_token"]
    )


def test_test_connection_calls_the_system_and_shows_the_result(admin_client, strict_http) -> None:
    configure_alpha()
    strict_http.get("https://alpha.example.test/health", status=502)
    url = reverse("admin:plugin_manager_test", args=("alpha", "global"))
    assert admin_client.get(url).status_code == 405
    response = admin_client.post(url, follow=True)
    html = response.content.decode()
    assert "Kapcsolat tesztelése — Alpha (teszt): Nem elérhető" in html
    assert "502" in html
    # tested while disabled: reported, but the scope stays DISABLED rather than DOWN
    assert not PluginState.objects.filter(health_status=HealthStatus.DOWN).exists()
    assert PluginToggleAudit.objects.filter(action="test", details__status="down").exists()


def test_down_plugin_shows_a_warning_banner_but_the_admin_works(admin_client) -> None:
    configure_alpha()
    set_enabled("alpha", None, True)
    PluginState.objects.filter(plugin_id="alpha", tenant=None).update(
        health_status=HealthStatus.DOWN, health_last_error="Connection refused"
    )
    from apps.plugin_manager.snapshot import bump_version

    bump_version()
    html = admin_client.get(reverse(OVERVIEW)).content.decode()
    assert 'data-testid="down-banner"' in html
    assert "Connection refused" in html
    index = admin_client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert "Nem elérhető bővítmény: alpha" in index.content.decode()


def test_actions_start_with_confirmation_and_report_progress(admin_client, admin_user,
                                                              strict_http,
                                                              django_capture_on_commit_callbacks,
                                                              settings) -> None:
    from tests.factories import PartnerFactory

    settings.CELERY_TASK_ALWAYS_EAGER = True  # run the action in-process for this page test
    from kgc_erp.celery import app

    app.conf.task_always_eager = True
    try:
        configure_alpha()
        PartnerFactory.create_batch(3)
        strict_http.post("https://alpha.example.test/partners", json={"ok": True})
        url = reverse("admin:plugin_manager_action", args=("alpha", "global", "initial_sync"))
        # refused while the plugin is off: no outbound call, a clear message
        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(url)
        assert not PluginActionRun.objects.exists()
        assert len(strict_http.calls) == 0

        set_enabled("alpha", None, True)
        assert "Igen, indítás" in admin_client.get(url).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(url)
        run = PluginActionRun.objects.get()
        assert (run.status, run.progress_current, run.progress_total) == ("succeeded", 3, 3)
        assert run.started_by == admin_user
        assert len(strict_http.calls) == 3
        progress = admin_client.get(
            reverse("admin:plugin_manager_run_progress", args=(run.pk,))).json()
        assert progress["percent"] == 100 and progress["finished"] is True
        page = admin_client.get(scope_url()).content.decode()
        assert f'data-run="{run.pk}"' in page and "3 / 3" in page
    finally:
        app.conf.task_always_eager = False
