"""Generate the workspace /graphql SDL from metadata, following Twenty's naming rules.

For the full KGC model the output matches core-subset.graphql type for type (a test checks
it); for a fresh workspace the custom fields and objects are simply absent, as in Twenty.
"""

from __future__ import annotations

from sandboxes.twenty.model import (
    COMPOSITES,
    CompositeType,
    FieldMeta,
    FieldType,
    ObjectMeta,
    SubfieldKind,
    pascal,
)
from sandboxes.twenty.workspace import Workspace

CONNECTION_ARGS = (
    "first: Int, last: Int, offset: Int, before: String, after: String, "
    "filter: {t}FilterInput, orderBy: [{t}OrderByInput]"
)

_STATIC_SDL = '''
"""A UUID scalar type (Twenty accepts RFC-4122 versions 1-5 only)"""
scalar UUID
"""A date-time string at UTC, such as 2019-12-03T09:54:33Z"""
scalar DateTime
"""Date custom scalar type (DATE fields; send "YYYY-MM-DD")"""
scalar Date
"""The `JSON` scalar (graphql-type-json)"""
scalar JSON
"""A custom scalar type for representing big floating point numbers"""
scalar BigFloat
scalar BigInt
"""A custom scalar type for representing record position in a list ('first' | 'last' | number)"""
scalar Position
"""A custom scalar that represents a cursor for pagination"""
scalar Cursor
"""Cursor for paging through collections"""
scalar ConnectionCursor
scalar TSVector

"""This enum is used to specify the order of results"""
enum OrderByDirection { AscNullsFirst AscNullsLast DescNullsFirst DescNullsLast }

"""This enum to filter by nullability"""
enum FilterIs { NULL NOT_NULL }

type PageInfo {
  startCursor: ConnectionCursor
  endCursor: ConnectionCursor
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
}

input StringFilter {
  eq: String gt: String gte: String in: [String!] lt: String lte: String neq: String
  startsWith: String endsWith: String like: String ilike: String regex: String iregex: String
  is: FilterIs
}
input UUIDFilter {
  eq: UUID gt: UUID gte: UUID in: [UUID!] lt: UUID lte: UUID neq: UUID is: FilterIs
}
input DateTimeFilter {
  eq: DateTime gt: DateTime gte: DateTime in: [DateTime!] lt: DateTime lte: DateTime
  neq: DateTime is: FilterIs
}
input DateFilter {
  eq: Date gt: Date gte: Date in: [Date!] lt: Date lte: Date neq: Date is: FilterIs
}
input FloatFilter {
  eq: Float gt: Float gte: Float in: [Float!] lt: Float lte: Float neq: Float is: FilterIs
}
input IntFilter { eq: Int gt: Int gte: Int in: [Int!] lt: Int lte: Int neq: Int is: FilterIs }
input BigFloatFilter {
  eq: BigFloat gt: BigFloat gte: BigFloat in: [BigFloat!] lt: BigFloat lte: BigFloat
  neq: BigFloat is: FilterIs
}
input BooleanFilter { eq: Boolean is: FilterIs }
input RawJsonFilter { is: FilterIs like: String }
input TSVectorFilter { search: String }
input ArrayFilter { containsIlike: String is: FilterIs isEmptyArray: Boolean }

enum ActorSourceEnum { EMAIL CALENDAR WORKFLOW AGENT API IMPORT MANUAL SYSTEM WEBHOOK }
'''

_SUBFIELD_TYPES: dict[SubfieldKind, tuple[str, str]] = {
    SubfieldKind.TEXT: ("String", "StringFilter"),
    SubfieldKind.JSON: ("JSON", "RawJsonFilter"),
    SubfieldKind.BIG_FLOAT: ("BigFloat", "BigFloatFilter"),
    SubfieldKind.UUID: ("UUID", "UUIDFilter"),
    SubfieldKind.ACTOR_SOURCE: ("ActorSourceEnum", "ActorSourceEnumFilter"),
}

_SCALAR_FILTERS: dict[FieldType, str] = {
    FieldType.TEXT: "StringFilter",
    FieldType.BOOLEAN: "BooleanFilter",
    FieldType.DATE: "DateFilter",
    FieldType.DATE_TIME: "DateTimeFilter",
    FieldType.RAW_JSON: "RawJsonFilter",
    FieldType.ARRAY: "ArrayFilter",
    FieldType.UUID: "UUIDFilter",
    FieldType.POSITION: "FloatFilter",
    FieldType.TS_VECTOR: "TSVectorFilter",
}

_SCALAR_OUTPUTS: dict[FieldType, str] = {
    FieldType.TEXT: "String",
    FieldType.BOOLEAN: "Boolean",
    FieldType.DATE: "Date",
    FieldType.DATE_TIME: "DateTime",
    FieldType.RAW_JSON: "JSON",
    FieldType.ARRAY: "[String]",
    FieldType.UUID: "UUID",
    FieldType.POSITION: "Position",
    FieldType.TS_VECTOR: "TSVector",
}


def enum_filter_sdl(enum_name: str, *, ordered: bool = True) -> str:
    """`<Enum>Filter`; SELECT filters on the newest servers also compare by option order."""
    e = enum_name
    order = f" gt: {e} gte: {e} lt: {e} lte: {e}" if ordered else ""
    return (
        f"input {e}Filter {{\n  eq: {e} neq: {e} in: [{e}] containsAny: [{e}] is: FilterIs\n"
        f"  isEmptyArray: Boolean{order}\n}}\n"
    )


def composite_sdl(composite: CompositeType) -> str:
    name = composite.graphql_name
    out = "\n".join(f"  {s.name}: {_SUBFIELD_TYPES[s.kind][0]}" for s in composite.subfields)
    writable = composite.subfields
    if name == "Actor":
        writable = tuple(s for s in composite.subfields if s.name in ("source", "context"))
    inputs = "\n".join(f"  {s.name}: {_SUBFIELD_TYPES[s.kind][0]}" for s in writable)
    filters = "\n".join(f"  {s.name}: {_SUBFIELD_TYPES[s.kind][1]}" for s in composite.subfields)
    orders = "\n".join(f"  {s.name}: OrderByDirection" for s in composite.subfields)
    return (
        f"type {name} {{\n{out}\n}}\n"
        f"input {name}CreateInput {{\n{inputs}\n}}\n"
        f"input {name}UpdateInput {{\n{inputs}\n}}\n"
        f"input {name}FilterInput {{\n{filters}\n}}\n"
        f"input {name}OrderByInput {{\n{orders}\n}}\n"
    )


def enum_name(obj: ObjectMeta, f: FieldMeta) -> str:
    """SELECT fields become `Pascal(object)Pascal(field)Enum` (NOTES section 1)."""
    return f"{pascal(obj.name_singular)}{pascal(f.name)}Enum"


def number_scalar(f: FieldMeta) -> str:
    data_type = (f.settings or {}).get("dataType")
    return {"int": "Int", "bigint": "BigInt"}.get(str(data_type), "Float")


class _ObjectSdl:
    """Builds the SDL block of one object with a records API."""

    def __init__(self, ws: Workspace, obj: ObjectMeta) -> None:
        self.ws = ws
        self.obj = obj
        self.t = pascal(obj.name_singular)

    def fields(self) -> list[FieldMeta]:
        return [f for f in self.obj.fields if self.ws.is_exposed(f)]

    def _target_has_api(self, f: FieldMeta) -> bool:
        target = self.ws.relation_target(f)
        return target is not None and target.has_records_api

    def output_lines(self) -> list[str]:
        lines = []
        for f in self.fields():
            target = self.ws.relation_target(f)
            if f.is_many_to_one and target is not None:
                lines.append(f"  {f.join_column}: ID")
                lines.append(f"  {f.name}: {pascal(target.name_singular)}")
            elif f.is_one_to_many and target is not None:
                if self._target_has_api(f):
                    tt = pascal(target.name_singular)
                    args = CONNECTION_ARGS.format(t=tt)
                    lines.append(f"  {f.name}({args}): {tt}Connection")
            else:
                bang = "" if f.is_nullable else "!"
                lines.append(f"  {f.name}: {self.output_type(f)}{bang}")
        return lines

    def output_type(self, f: FieldMeta) -> str:
        composite = COMPOSITES.get(f.type)
        if composite is not None:
            return composite.graphql_name
        if f.type is FieldType.SELECT:
            return enum_name(self.obj, f)
        if f.type is FieldType.MULTI_SELECT:
            return f"[{enum_name(self.obj, f)}!]"
        if f.type is FieldType.NUMBER:
            return number_scalar(f)
        return _SCALAR_OUTPUTS[f.type]

    def input_lines(self, suffix: str) -> list[str]:
        lines = []
        for f in self.fields():
            if f.is_one_to_many:
                continue
            if f.is_many_to_one:
                lines.append(f"  {f.join_column}: ID")
                target = self.ws.relation_target(f)
                if target is not None and target.has_records_api:
                    lines.append(f"  {f.name}: {pascal(target.name_singular)}RelationInput")
                continue
            composite = COMPOSITES.get(f.type)
            if composite is not None:
                lines.append(f"  {f.name}: {composite.graphql_name}{suffix}Input")
            elif f.type is FieldType.UUID and f.name == "id":
                lines.append("  id: ID")
            elif f.type is FieldType.MULTI_SELECT:
                lines.append(f"  {f.name}: [{enum_name(self.obj, f)}]")
            else:
                lines.append(f"  {f.name}: {self.output_type(f)}")
        return lines

    def filter_lines(self) -> list[str]:
        lines = []
        for f in self.fields():
            if f.is_one_to_many:
                continue
            if f.is_many_to_one:
                lines.append(f"  {f.join_column}: UUIDFilter")
                continue
            composite = COMPOSITES.get(f.type)
            if composite is not None:
                lines.append(f"  {f.name}: {composite.graphql_name}FilterInput")
            elif f.type in (FieldType.SELECT, FieldType.MULTI_SELECT):
                lines.append(f"  {f.name}: {enum_name(self.obj, f)}Filter")
            elif f.type is FieldType.NUMBER:
                scalar = number_scalar(f)
                lines.append(f"  {f.name}: {'BigFloat' if scalar == 'BigInt' else scalar}Filter")
            else:
                lines.append(f"  {f.name}: {_SCALAR_FILTERS[f.type]}")
        t = self.t
        lines += [f"  and: [{t}FilterInput]", f"  or: [{t}FilterInput]", f"  not: {t}FilterInput"]
        return lines

    def order_lines(self) -> list[str]:
        lines = []
        for f in self.fields():
            if f.is_one_to_many:
                continue
            if f.is_many_to_one:
                lines.append(f"  {f.join_column}: OrderByDirection")
                continue
            composite = COMPOSITES.get(f.type)
            kind = f"{composite.graphql_name}OrderByInput" if composite else "OrderByDirection"
            lines.append(f"  {f.name}: {kind}")
        return lines

    def where_unique(self) -> str:
        t = self.t
        lines = ['  """Connect by Id"""', "  id: ID"]
        extra = []
        for f in self.fields():
            if not f.is_unique or f.relation is not None:
                continue
            composite = COMPOSITES.get(f.type)
            if composite is None:
                lines.append(f"  {f.name}: {self.output_type(f)}")
                continue
            where = f"{t}{pascal(f.name)}WhereInput"
            subs = [s for s in composite.subfields if s.in_unique_constraint]
            body = "\n".join(f"  {s.name}: {_SUBFIELD_TYPES[s.kind][0]}" for s in subs)
            extra.append(f"input {where} {{\n{body}\n}}\n")
            lines.append(f"  {f.name}: {where}")
        body = "\n".join(lines)
        return f"input {t}WhereUniqueInput {{\n{body}\n}}\n" + "".join(extra)

    def enums(self) -> str:
        out = []
        for f in self.fields():
            if f.type in (FieldType.SELECT, FieldType.MULTI_SELECT):
                name = enum_name(self.obj, f)
                out.append(f"enum {name} {{ {' '.join(f.option_values())} }}\n")
                out.append(enum_filter_sdl(name))
        return "".join(out)

    def block(self) -> str:
        t = self.t
        nl = "\n"
        return (
            self.enums()
            + f"type {t} {{\n{nl.join(self.output_lines())}\n}}\n"
            + f"type {t}Edge {{\n  node: {t}!\n  cursor: Cursor!\n}}\n"
            + f"type {t}Connection {{\n  totalCount: Int\n  edges: [{t}Edge!]!\n"
            + "  pageInfo: PageInfo!\n}\n"
            + f"input {t}RelationInput {{\n  connect: {t}ConnectInput\n  disconnect: Boolean\n}}\n"
            + f"input {t}ConnectInput {{\n  where: {t}WhereUniqueInput\n}}\n"
            + self.where_unique()
            + f"input {t}CreateInput {{\n{nl.join(self.input_lines('Create'))}\n}}\n"
            + f"input {t}UpdateInput {{\n{nl.join(self.input_lines('Update'))}\n}}\n"
            + f"input {t}FilterInput {{\n{nl.join(self.filter_lines())}\n}}\n"
            + f"input {t}OrderByInput {{\n{nl.join(self.order_lines())}\n}}\n"
        )

    def query_fields(self) -> list[str]:
        t, obj = self.t, self.obj
        lines = [
            f"  {obj.name_plural}({CONNECTION_ARGS.format(t=t)}): {t}Connection",
            f"  {obj.name_singular}(filter: {t}FilterInput!): {t}",
        ]
        if obj.duplicate_criteria:
            lines.append(
                f"  {obj.name_singular}Duplicates(ids: [UUID], data: [{t}CreateInput]): "
                f"[{t}Connection!]"
            )
        return lines

    def mutation_fields(self) -> list[str]:
        t, p = self.t, pascal(self.obj.name_plural)
        lines = [
            f"  create{p}(data: [{t}CreateInput!]!, upsert: Boolean): [{t}!]",
            f"  create{t}(data: {t}CreateInput!, upsert: Boolean): {t}",
            f"  update{t}(id: UUID!, data: {t}UpdateInput!): {t}",
            f"  delete{t}(id: UUID!): {t}",
            f"  update{p}(data: {t}UpdateInput!, filter: {t}FilterInput!): [{t}!]",
            f"  delete{p}(filter: {t}FilterInput!): [{t}!]",
            f"  destroy{t}(id: UUID!): {t}",
            f"  destroy{p}(filter: {t}FilterInput!): [{t}!]",
            f"  restore{t}(id: UUID!): {t}",
            f"  restore{p}(filter: {t}FilterInput!): [{t}!]",
        ]
        if self.obj.duplicate_criteria:
            lines.append(
                f"  merge{p}(ids: [UUID!]!, conflictPriorityIndex: Int!, dryRun: Boolean): {t}"
            )
        return lines


def _output_only_block(ws: Workspace, obj: ObjectMeta) -> str:
    """Objects without a records API (workspaceMember) appear only as an output type."""
    lines = []
    for f in obj.fields:
        if not f.is_active or f.relation is not None:
            continue
        builder = _ObjectSdl(ws, obj)
        bang = "" if f.is_nullable else "!"
        lines.append(f"  {f.name}: {builder.output_type(f)}{bang}")
    body = "\n".join(lines)
    return f"type {pascal(obj.name_singular)} {{\n{body}\n}}\n"


def build_core_sdl(ws: Workspace) -> str:
    parts = [_STATIC_SDL, enum_filter_sdl("ActorSourceEnum", ordered=False)]
    parts += [composite_sdl(c) for c in COMPOSITES.values()]
    query: list[str] = []
    mutation: list[str] = []
    for obj in ws.objects.values():
        if not obj.is_active:
            continue
        if not obj.has_records_api:
            parts.append(_output_only_block(ws, obj))
            continue
        builder = _ObjectSdl(ws, obj)
        parts.append(builder.block())
        query += builder.query_fields()
        mutation += builder.mutation_fields()
    parts.append("type Query {\n" + "\n".join(query) + "\n}\n")
    parts.append("type Mutation {\n" + "\n".join(mutation) + "\n}\n")
    parts.append("schema {\n  query: Query\n  mutation: Mutation\n}\n")
    return "\n".join(parts)
