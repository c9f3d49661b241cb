"""A campaign template flattened once into text and the `{{ }}` variables between it.

Rendering a Django template walks its node tree for every e-mail: `{% extends %}` looks
its parent up again, `{% include %}` its template, each block pushes a context, each node
is wrapped for error reporting. The campaign e-mails are small templates (a base with
blocks, a footer included, a few variables and `{% if %}`s), and this walk was half of
their rendering cost, the biggest single cost of sending an e-mail.

`TemplatePlan.of` resolves extends, blocks and includes once, into a list of text,
variable nodes and `{% if %}` branches (flattened likewise). `render` then evaluates
only the variables and conditions, with Django's own node and condition objects
against a Django `Context` built as the backend builds it, so filters, auto-escaping
and localisation are Django's. Any template using something else (`{% for %}`, `{% with %}`,
`{{ block.super }}`, a variable template name, a custom tag, an isolated include) gets
no plan (`of` returns None) and is rendered by Django as before.
tests/crm_plugin/campaigns/test_template_plan.py compares both for every campaign template.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Union

from django.template import Context
from django.template.base import (
    FilterExpression,
    Node,
    NodeList,
    TextNode,
    Variable,
    VariableDoesNotExist,
    VariableNode,
)
from django.template.base import Template as CompiledTemplate
from django.template.defaulttags import CommentNode, IfNode, LoadNode, TemplateLiteral
from django.template.loader_tags import (
    BlockNode,
    ExtendsNode,
    IncludeNode,
    construct_relative_path,
)


class Unsupported(Exception):
    """The template uses something a plan does not reproduce exactly."""


@dataclass(frozen=True)
class _Branches:
    """`{% if %}` / `{% elif %}` / `{% else %}`: the first true condition's parts."""

    branches: tuple[tuple[Any, tuple[_Part, ...]], ...]  # (condition or None, parts)


_Part = Union[str, VariableNode, _Branches]  # noqa: UP007 - a runtime alias under 3.11


def _expressions(condition: Any) -> Iterator[FilterExpression]:
    """The filter expressions an `{% if %}` condition reads (smartif's operator tree)."""
    if condition is None:
        return
    if isinstance(condition, TemplateLiteral):
        value: object = condition.value
        if not isinstance(value, FilterExpression):
            raise Unsupported("condition")
        yield value
        return
    for operand in (getattr(condition, "first", None), getattr(condition, "second", None)):
        yield from _expressions(operand)


def _check(expression: FilterExpression) -> None:
    # `block` (and `block.super`) means the block being rendered: the walk is gone.
    variables = [expression.var] + [arg for filter_ in expression.filters
                                     for lookup, arg in filter_[1] if lookup]
    for variable in variables:
        if isinstance(variable, Variable) and variable.lookups and \
                variable.lookups[0] == "block":
            raise Unsupported("block variable")


def _constant_name(expression: object) -> str:
    if (not isinstance(expression, FilterExpression) or expression.filters
            or not isinstance(expression.var, str)):
        raise Unsupported("template name from a variable")
    return str(expression.var)


class _Flattener:
    def __init__(self, template: CompiledTemplate) -> None:
        self.engine = template.engine

    def template(self, template: CompiledTemplate,
                 blocks: dict[str, BlockNode] | None) -> list[_Part]:
        """A whole template; `blocks`: the overriding blocks of the templates extending it
        (None: an included template, whose blocks are not supported)."""
        parts: list[_Part] = []
        for node in template.nodelist:
            if isinstance(node, ExtendsNode):
                name = _constant_name(node.parent_name)
                if name == template.name:
                    raise Unsupported("recursive extends")
                parent = self.engine.get_template(name)
                # The most derived template's block wins (Django's BlockContext).
                parts.extend(self.template(parent, {**node.blocks, **(blocks or {})}))
                return parts  # nothing after an extends node is rendered
            parts.extend(self.nodes([node], blocks))
        return parts

    def nodes(self, nodelist: NodeList | list[Node],
              blocks: dict[str, BlockNode] | None) -> list[_Part]:
        parts: list[_Part] = []
        for node in nodelist:
            if isinstance(node, TextNode):
                parts.append(node.s)
            elif isinstance(node, VariableNode):
                _check(node.filter_expression)
                parts.append(node)
            elif isinstance(node, LoadNode | CommentNode):
                continue
            elif isinstance(node, BlockNode):
                if blocks is None:
                    raise Unsupported("block outside an extended template")
                parts.extend(self.nodes(blocks.get(node.name, node).nodelist, blocks))
            elif isinstance(node, IncludeNode):
                if node.isolated_context or node.extra_context:
                    raise Unsupported("include with its own context")
                origin = node.origin.template_name
                name = construct_relative_path(origin if isinstance(origin, str) else None,
                                               _constant_name(node.template))
                parts.extend(self.template(self.engine.get_template(name), None))
            elif isinstance(node, IfNode):
                branches = []
                for condition, branch in node.conditions_nodelists:
                    for expression in _expressions(condition):
                        _check(expression)
                    branches.append((condition, tuple(self.nodes(branch, blocks))))
                parts.append(_Branches(tuple(branches)))
            else:
                raise Unsupported(type(node).__name__)
        return parts


def _merge(parts: list[_Part]) -> tuple[_Part, ...]:
    """Adjacent text joined, so rendering appends fewer pieces."""
    merged: list[_Part] = []
    for part in parts:
        if isinstance(part, str) and merged and isinstance(merged[-1], str):
            merged[-1] += part
        elif isinstance(part, _Branches):
            merged.append(_Branches(tuple((condition, _merge(list(branch)))
                                          for condition, branch in part.branches)))
        elif part != "":
            merged.append(part)
    return tuple(merged)


def _render(parts: tuple[_Part, ...], context: Context, out: list[str]) -> None:
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, VariableNode):
            out.append(str(part.render(context)))
        else:
            for condition, branch in part.branches:  # as IfNode.render decides
                if condition is None:
                    match = True
                else:
                    try:
                        match = condition.eval(context)
                    except VariableDoesNotExist:
                        match = None
                if match:
                    _render(branch, context, out)
                    break


class TemplatePlan:
    """One template, flattened; `render(dict)` gives what the template's own `render`
    gives for the same dict (no request: e-mails have none)."""

    def __init__(self, template: CompiledTemplate, parts: tuple[_Part, ...],
                 autoescape: bool) -> None:
        self.template = template
        self.parts = parts
        self.autoescape = autoescape

    @classmethod
    def of(cls, backend_template: Any) -> TemplatePlan | None:
        """The plan of a template from `get_template`, or None when it has none."""
        template = getattr(backend_template, "template", None)
        if not isinstance(template, CompiledTemplate):
            return None
        try:
            parts = _Flattener(template).template(template, {})
        except Unsupported:
            return None
        return cls(template, _merge(parts), template.engine.autoescape)

    def render(self, data: dict[str, object]) -> str:
        # As the backend's render builds it (make_context without a request); the
        # variables read the engine (string_if_invalid) through `context.template`.
        context = Context(data, autoescape=self.autoescape)
        context.template = self.template
        out: list[str] = []
        _render(self.parts, context, out)
        return "".join(out)


__all__ = ("TemplatePlan",)
