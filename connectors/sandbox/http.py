"""The request and response every sandbox route handles, independent of the HTTP server that carries them.

A platform module (``meta_ads.py`` …) exposes ``routes()``: (method, path pattern, handler) triples whose
handlers take a ``Request`` and the path's ``re.Match`` and return a ``Response``. ``server.py`` turns HTTP
into ``Request`` and ``Response`` back into HTTP.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable


@dataclasses.dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    body: bytes
    headers: dict[str, str]
    base_url: str
    raw_query: str = ""  # the query string as sent, before any decoding (Rest.li syntax checks)

    def param(self, name: str, default: str | None = None) -> str | None:
        """A parameter from the query string or the form body, as the Graph API accepts both."""
        return self.form.get(name, self.query.get(name, default))


@dataclasses.dataclass
class Response:
    status: int
    body: bytes
    headers: dict[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: object, headers: dict[str, str] | None = None) -> Response:
        return cls(status, json.dumps(payload).encode(), {"Content-Type": "application/json", **(headers or {})})


Route = Callable[[Request, re.Match], Response]
