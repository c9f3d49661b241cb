"""The /api/v1 routes the sandbox serves (NOTES section 3), mapped to handlers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from werkzeug.routing import Map, Rule

from sandboxes.krayin import account, activities, leads, persons, settings
from sandboxes.krayin.call import Reply

Handler = Callable[..., Reply]
PREFIX = "/api/v1"


@dataclass(frozen=True)
class Route:
    handler: Handler
    auth: bool = True
    # Fixed keyword arguments, e.g. which settings table a shared handler serves.
    extra: dict[str, str] = field(default_factory=dict)


ROUTES: list[tuple[str, str, str, Route]] = [
    ("POST", "/login", "login", Route(account.login, auth=False)),
    ("POST", "/forgot-password", "forgot_password", Route(account.forgot_password, auth=False)),
    ("DELETE", "/logout", "logout", Route(account.logout)),
    ("GET", "/get", "me", Route(account.me)),
    # leads
    ("GET", "/leads", "leads.index", Route(leads.index)),
    ("POST", "/leads", "leads.store", Route(leads.store)),
    ("GET", "/leads/search", "leads.search", Route(leads.search)),
    ("POST", "/leads/mass-update", "leads.mass_update", Route(leads.mass_update)),
    ("POST", "/leads/mass-destroy", "leads.mass_destroy", Route(leads.mass_destroy)),
    ("GET", "/leads/<int:lead_id>", "leads.show", Route(leads.show)),
    ("PUT", "/leads/<int:lead_id>", "leads.update", Route(leads.update)),
    ("DELETE", "/leads/<int:lead_id>", "leads.destroy", Route(leads.destroy)),
    ("PUT", "/leads/attributes/edit/<int:lead_id>", "leads.attributes",
     Route(leads.update_attributes)),
    ("PUT", "/leads/stage/edit/<int:lead_id>", "leads.stage", Route(leads.update_stage)),
    ("GET", "/leads/<int:lead_id>/activities", "leads.activities", Route(leads.activities)),
    # persons
    ("GET", "/contacts/persons", "persons.index", Route(persons.index)),
    ("POST", "/contacts/persons", "persons.store", Route(persons.store)),
    ("GET", "/contacts/persons/search", "persons.search", Route(persons.search)),
    ("POST", "/contacts/persons/mass-destroy", "persons.mass_destroy",
     Route(persons.mass_destroy)),
    ("GET", "/contacts/persons/<int:person_id>", "persons.show", Route(persons.show)),
    ("PUT", "/contacts/persons/<int:person_id>", "persons.update", Route(persons.update)),
    ("DELETE", "/contacts/persons/<int:person_id>", "persons.destroy", Route(persons.destroy)),
    ("GET", "/contacts/persons/<int:person_id>/activities", "persons.activities",
     Route(persons.activities)),
    # organizations
    ("GET", "/contacts/organizations", "orgs.index", Route(persons.organization_index)),
    ("POST", "/contacts/organizations", "orgs.store", Route(persons.organization_store)),
    ("GET", "/contacts/organizations/<int:org_id>", "orgs.show",
     Route(persons.organization_show)),
    ("PUT", "/contacts/organizations/<int:org_id>", "orgs.update",
     Route(persons.organization_update)),
    ("DELETE", "/contacts/organizations/<int:org_id>", "orgs.destroy",
     Route(persons.organization_destroy)),
    # activities
    ("GET", "/activities", "activities.index", Route(activities.index)),
    ("POST", "/activities", "activities.store", Route(activities.store)),
    ("POST", "/activities/mass-update", "activities.mass_update",
     Route(activities.mass_update)),
    ("POST", "/activities/mass-destroy", "activities.mass_destroy",
     Route(activities.mass_destroy)),
    ("GET", "/activities/<int:activity_id>", "activities.show", Route(activities.show)),
    ("PUT", "/activities/<int:activity_id>", "activities.update", Route(activities.update)),
    ("DELETE", "/activities/<int:activity_id>", "activities.destroy",
     Route(activities.destroy)),
    # settings
    ("GET", "/settings/pipelines", "pipelines.index", Route(settings.pipeline_index)),
    ("GET", "/settings/pipelines/<int:pipeline_id>", "pipelines.show",
     Route(settings.pipeline_show)),
    ("GET", "/settings/users", "users.index", Route(settings.user_index)),
    ("GET", "/settings/users/<int:user_id>", "users.show", Route(settings.user_show)),
]  # fmt: skip

for _table in ("sources", "types"):
    _extra = {"table": _table}
    ROUTES += [
        ("GET", f"/settings/{_table}", f"{_table}.index",
         Route(settings.named_index, extra=_extra)),
        ("POST", f"/settings/{_table}", f"{_table}.store",
         Route(settings.named_store, extra=_extra)),
        ("GET", f"/settings/{_table}/<int:row_id>", f"{_table}.show",
         Route(settings.named_show, extra=_extra)),
        ("PUT", f"/settings/{_table}/<int:row_id>", f"{_table}.update",
         Route(settings.named_update, extra=_extra)),
        ("DELETE", f"/settings/{_table}/<int:row_id>", f"{_table}.destroy",
         Route(settings.named_destroy, extra=_extra)),
    ]  # fmt: skip

ENDPOINTS: dict[str, Route] = {name: route for _, _, name, route in ROUTES}
URL_MAP = Map(
    [Rule(PREFIX + path, methods=[method], endpoint=name) for method, path, name, _ in ROUTES],
    strict_slashes=False,
)
