"""Rest.li 2.0 URL syntax, as LinkedIn's versioned REST API reads its query parameters.

``(key:value,...)`` records, ``List(...)`` lists and percent-decoded atoms; and the check that the syntax
itself arrived unencoded (a client whose HTTP library re-encoded the query sends ``%28`` for ``(``), which
``linkedin_ads.py`` answers with 400.
"""

import re
import urllib.parse
from typing import Any

# Parameters written in Rest.li syntax: their parentheses, colons and commas must arrive unencoded.
RESTLI_PARAMS = ("pivot", "pivots", "timeGranularity", "dateRange", "campaigns", "accounts", "search", "fields")
_ENCODED_SYNTAX = re.compile(r"%(28|29|2C|25)", re.IGNORECASE)  # ( ) , and a doubly encoded %
_ENCODED_COLON = re.compile(r"%3A", re.IGNORECASE)
_ATOM_END = re.compile(r"[(),:]")


class RestliSyntaxError(ValueError):
    pass


# A Rest.li value: a str, a list or a dict of such values, as json.loads returns JSON's (hence Any).
def parse_restli(text: str) -> Any:
    value, end = _restli_value(text, 0)
    if end != len(text):
        raise RestliSyntaxError(f"unexpected {text[end : end + 20]!r} at position {end}")
    return value


def _restli_value(text: str, pos: int) -> tuple[Any, int]:
    if text.startswith("List(", pos):
        return _restli_sequence(text, pos + len("List("), list)
    if text.startswith("(", pos):
        return _restli_sequence(text, pos + 1, dict)
    end = _ATOM_END.search(text, pos)  # an atom runs to the next delimiter, or to the end
    stop = end.start() if end else len(text)
    return urllib.parse.unquote(text[pos:stop]), stop


def _restli_sequence(text: str, pos: int, kind: type):
    items = kind()
    while not text.startswith(")", pos):
        if kind is dict:
            key, pos = _restli_value(text, pos)
            if not text.startswith(":", pos):
                raise RestliSyntaxError(f"expected ':' after {key!r} at position {pos}")
            items[key], pos = _restli_value(text, pos + 1)
        else:
            item, pos = _restli_value(text, pos)
            items.append(item)
        if text.startswith(",", pos):
            pos += 1
        elif not text.startswith(")", pos):
            raise RestliSyntaxError(f"expected ',' or ')' at position {pos}")
    return items, pos + 1


def reencoded_params(raw_query: str, restli_params: tuple[str, ...] = RESTLI_PARAMS) -> list[str]:
    """The Rest.li parameters (of `restli_params`: the endpoint's) whose syntax arrived percent-encoded.
    Only URNs inside List(...) may carry an encoded colon; encoded parentheses or commas anywhere mean
    the query was re-encoded."""
    found = []
    for name, _, value in (part.partition("=") for part in raw_query.split("&")):
        if name in restli_params and (
            _ENCODED_SYNTAX.search(value) or (_ENCODED_COLON.search(value) and not value.startswith("List("))
        ):
            found.append(name)
    return found
