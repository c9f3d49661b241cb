"""A request's headers read straight from its WSGI environ, one name at a time.

The inbox asks for about six headers by name (the signature scheme's three, the kept
ones). Django's ``request.headers`` builds an ``HttpHeaders`` from every environ entry on
first use (a gunicorn environ has some thirty), which was a measurable share of the
inbox's own CPU per webhook (docs/benchmarks.md). Lookups here are case-insensitive like
``HttpHeaders``'s; iterating (rare: a refusal's kept headers, a missing header) falls
back to Django's parsing, so both views list the same headers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property

from django.http.request import HttpHeaders

# Headers the WSGI environ carries without the HTTP_ prefix (PEP 3333).
_UNPREFIXED = frozenset({"CONTENT_TYPE", "CONTENT_LENGTH"})


def environ_key(name: str) -> str:
    key = name.upper().replace("-", "_")
    return key if key in _UNPREFIXED else "HTTP_" + key


class EnvironHeaders(Mapping[str, str]):
    def __init__(self, environ: Mapping[str, object]) -> None:
        self._environ = environ

    def __getitem__(self, name: str) -> str:
        value = self._environ[environ_key(name)]
        if not isinstance(value, str):
            raise KeyError(name)
        return value

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        value = self._environ.get(environ_key(name))
        return value if isinstance(value, str) else default

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    @cached_property
    def _parsed(self) -> HttpHeaders:
        return HttpHeaders(self._environ)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parsed)

    def __len__(self) -> int:
        return len(self._parsed)


__all__ = ("EnvironHeaders", "environ_key")
