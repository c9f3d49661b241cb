"""How an event names the row it is about, and how a handler gets that row back.

An object reference is (`app_label.model_name`, primary key as text). Plugins may also
use their own namespace (e.g. "helpdesk.conversation" with the remote id), which simply
resolves to no local row.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Manager, Model


class _NotRead(Enum):
    NOT_READ = "not read"


# "The caller has not read the row": a row that is gone is None, so None cannot say it.
NOT_READ = _NotRead.NOT_READ
Current = Model | None | _NotRead


def object_type_of(model: type[Model]) -> str:
    """The object type events and external refs use for rows of `model`."""
    return model._meta.label_lower


def object_ref(obj: Model) -> tuple[str, str]:
    return object_type_of(type(obj)), str(obj.pk)


def load_object(object_type: str, object_id: str) -> Model | None:
    """The current row, or None when it is gone (or the type is not a local model)."""
    if not object_type or not object_id:
        return None
    model = _local_model(object_type)
    if model is None:
        return None
    statement = _by_pk_statement(model)
    if statement is None:  # a manager of its own: its queryset decides what exists
        try:
            # No .first(): its ORDER BY buys nothing on a primary key lookup.
            rows = list(model._default_manager.filter(pk=object_id)[:1])
        except (ValueError, TypeError):  # an id that does not fit the primary key's type
            return None
        return rows[0] if rows else None
    pk_field = model._meta.pk
    assert pk_field is not None
    try:
        pk = pk_field.get_db_prep_value(pk_field.to_python(object_id), connection)
    except (ValueError, TypeError, ValidationError):  # does not fit the primary key's type
        return None
    with connection.cursor() as cursor:
        cursor.execute(f"{statement} = %s", [pk])
        row = cursor.fetchone()
    return None if row is None else _from_row(model, row)


def load_objects(object_type: str, object_ids: Iterable[str]) -> dict[str, Model | None] | None:
    """The current rows of several objects of one type, by object id, in one statement
    (None for an id whose row is gone); None when the type cannot be read this way (not
    a local model, or a manager of its own): `load_object` then reads them one by one."""
    model = _local_model(object_type) if object_type else None
    statement = _by_pk_statement(model) if model is not None else None
    if model is None or statement is None:
        return None
    pk_field = model._meta.pk
    assert pk_field is not None
    found: dict[str, Model | None] = {}
    wanted: dict[str, str] = {}  # the primary key as text -> the object id naming it
    prepared = []
    for object_id in object_ids:
        found[object_id] = None
        try:
            pk = pk_field.to_python(object_id)
            prepared.append(pk_field.get_db_prep_value(pk, connection))
        except (ValueError, TypeError, ValidationError):  # does not fit the primary key
            continue
        wanted[str(pk)] = object_id
    if prepared:
        with connection.cursor() as cursor:
            cursor.execute(f"{statement} = ANY(%s)", [prepared])
            rows = cursor.fetchall()
        for row in rows:
            obj = _from_row(model, row)
            asking = wanted.get(str(obj.pk))
            if asking is not None:
                found[asking] = obj
    return found


def _local_model(object_type: str) -> type[Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _from_row(model: type[Model], row: tuple) -> Model:
    fields = model._meta.concrete_fields
    # What the ORM's compiler applies to each column (JSON text parsed, and so on).
    values = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(fields, row, strict=True)
    ]
    return model.from_db(connection.alias, [f.attname for f in fields], values)


_STATEMENTS: dict[type[Model], str | None] = {}


def _by_pk_statement(model: type[Model]) -> str | None:
    if model not in _STATEMENTS:
        _STATEMENTS[model] = _build_by_pk_statement(model)
    return _STATEMENTS[model]


def _build_by_pk_statement(model: type[Model]) -> str | None:
    """`SELECT <every column> ... WHERE <pk>` (the caller appends `= %s` or `= ANY(%s)`),
    built once per model: compiling the ORM's query cost a fifth of a delivery's CPU (the
    handlers re-read the row on every delivery). None when the default manager has its
    own get_queryset, which may filter."""
    if type(model._default_manager).get_queryset is not Manager.get_queryset:
        return None
    meta = model._meta
    assert meta.pk is not None
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in meta.concrete_fields)
    return f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(meta.pk.column)}"


__all__ = ("NOT_READ", "Current", "load_object", "load_objects", "object_ref", "object_type_of")
