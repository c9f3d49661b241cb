"""JSON exactly as Rails writes it.

``ActiveSupport::JSON`` is compact, keeps non-ASCII as UTF-8 and escapes ``<``, ``>`` and
``&`` (``escape_html_entities_in_json``) plus U+2028/U+2029. Webhook receivers that verify a
signature against re-serialised JSON instead of the raw body break on exactly these bytes,
so the sandbox reproduces them.
"""

from __future__ import annotations

import json
from typing import Any

# These characters only ever occur inside JSON strings, so replacing them in the encoded
# text is equivalent to escaping them inside each string.
_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def rails_json(value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in _ESCAPES.items():
        text = text.replace(char, escaped)
    return text.encode("utf-8")
