"""URL converters of the bot API."""

from __future__ import annotations


class AnyTextConverter:
    """Everything to the end of the path, slashes and line breaks included: a phone number
    typed as "06-30/123-4567" must reach the view (and get a JSON answer), not fall
    through to Django's HTML 404."""

    regex = r"[\s\S]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
