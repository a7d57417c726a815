"""What every LinkedIn connector (ads, organization pages) shares of LinkedIn's REST API: where it
is, which version and protocol it is spoken in, and how its errors read."""

from __future__ import annotations

import os

import requests

from connectors.redaction import excerpt

DEFAULT_API_URL = "https://api.linkedin.com"
DEFAULT_OAUTH_URL = "https://www.linkedin.com"
DEFAULT_API_VERSION = "202610"  # LinkedIn-Version, YYYYMM; LinkedIn retires a version after about a year
API_VERSION_PATTERN = r"20\d\d(0[1-9]|1[0-2])(\.\d{2})?"  # YYYYMM, or with LinkedIn's patch suffix: 202508.02
RESTLI_PROTOCOL_VERSION = "2.0.0"


def configured_api_version() -> str:
    """The LinkedIn-Version every LinkedIn client sends unless its settings name one: the
    LINKEDIN_API_VERSION setting, else the version this release was written against."""
    return os.environ.get("LINKEDIN_API_VERSION") or DEFAULT_API_VERSION


# Where LinkedIn lists its versions and their sunsets.
VERSIONS_PAGE = "learn.microsoft.com/linkedin/marketing/versioning"


def error_detail(response: requests.Response, secrets: list[str]) -> str:
    """LinkedIn's error code and message (or the OAuth error), with any secret blanked out: the whole answer is
    scrubbed before it is cut, so that no half of a secret is left at the cut."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        code = body.get("code") or body.get("error") or body.get("serviceErrorCode") or ""
        detail = f"{code}: {body.get('message') or body.get('error_description') or ''}".strip(": ")
        return excerpt(detail, 300, secrets)
    return excerpt(response.text, 200, secrets)
