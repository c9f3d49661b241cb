"""`manage.py plugins list | enable <id> [--tenant slug] | disable <id> [--tenant slug]
| inherit <id> --tenant slug | check [<id>]` — the admin's Plugins page from the shell.

Uses the same services as the admin, so switching is validated and audited (actor "cli").
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kgc_erp.tenants.models import Tenant

from ... import health
from ...overview import build_overview
from ...registry import UnknownPlugin, get_plugin
from ...services import set_enabled
from ...status import HealthStatus


class Command(BaseCommand):
    help = "Bővítmények listázása, be- és kikapcsolása, állapotellenőrzése."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        sub.add_parser("list", help="Bővítmények és állapotuk hatókörönként")
        for name, text in (("enable", "bekapcsolás"), ("disable", "kikapcsolás"),
                           ("inherit", "saját kapcsoló törlése (öröklés)")):
            p = sub.add_parser(name, help=f"Bővítmény {text}")
            p.add_argument("plugin_id")
            p.add_argument("--tenant", help="telephely azonosító (slug); nélküle globális")
        check = sub.add_parser("check", help="Állapotellenőrzés most")
        check.add_argument("plugin_id", nargs="?")

    def handle(self, *args: Any, **options: Any) -> None:
        subcommand = options["subcommand"]
        if subcommand == "list":
            self._list()
        elif subcommand == "check":
            self._check(options.get("plugin_id"))
        else:
            target = {"enable": True, "disable": False, "inherit": None}[subcommand]
            self._switch(options["plugin_id"], options.get("tenant"), target)

    def _tenant(self, slug: str | None) -> Tenant | None:
        if not slug:
            return None
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"Ismeretlen telephely: {slug}")
        return tenant

    def _plugin(self, plugin_id: str) -> None:
        try:
            get_plugin(plugin_id)
        except UnknownPlugin:
            raise CommandError(f"Ismeretlen bővítmény: {plugin_id}") from None

    def _switch(self, plugin_id: str, slug: str | None, enabled: bool | None) -> None:
        self._plugin(plugin_id)
        tenant = self._tenant(slug)
        if enabled is None and tenant is None:
            # The global row's "inherit" means: follow the env flag again. Allowed, but say so.
            self.stdout.write("A globális kapcsoló a környezeti alapértéket követi.")
        try:
            now = set_enabled(plugin_id, tenant, enabled, user=None)
        except ValidationError as exc:
            lines = [f"  {name}: {' '.join(msgs)}" for name, msgs in exc.message_dict.items()]
            raise CommandError("Nem kapcsolható be, hibás beállítások:\n" + "\n".join(lines)) \
                from None
        scope = tenant.slug if tenant else "globális"
        self.stdout.write(self.style.SUCCESS(
            f"{plugin_id} ({scope}): {'bekapcsolva' if now else 'kikapcsolva'}"
        ))

    def _list(self) -> None:
        views = build_overview(Tenant.objects.order_by("slug"))
        header = f"{'bővítmény':<12} {'hatókör':<20} {'kapcsoló':<18} {'állapot':<10} " \
                 f"{'ellenőrizve':<17} hiba"
        self.stdout.write(header)
        for view in views:
            for scope in view.scopes:
                switch = ("be" if scope.enabled else "ki") + (
                    " (öröklött)" if scope.enabled_inherited else "")
                checked = scope.checked_at.strftime("%Y-%m-%d %H:%M") if scope.checked_at else "-"
                where = scope.tenant.slug if scope.tenant else "globális"
                self.stdout.write(
                    f"{view.plugin.plugin_id:<12} {where:<20} {switch:<18} "
                    f"{scope.health_status:<10} {checked:<17} {scope.last_error[:60]}"
                )

    def _check(self, plugin_id: str | None) -> None:
        if plugin_id:
            self._plugin(plugin_id)
        results = health.check_all(plugin_id)
        slugs = dict(Tenant.objects.values_list("pk", "slug"))
        for scope in results:
            where = slugs.get(scope.tenant_id, "globális") if scope.tenant_id else "globális"
            result = scope.result
            latency = f"{result.latency_ms:.0f} ms" if result.latency_ms is not None else "-"
            line = f"{scope.plugin_id:<12} {where:<20} {result.status:<10} {latency:>9} " \
                   f"{result.error}"
            style = self.style.ERROR if result.status == HealthStatus.DOWN else (
                self.style.WARNING if result.status == HealthStatus.DEGRADED else None)
            self.stdout.write(style(line) if style else line)
