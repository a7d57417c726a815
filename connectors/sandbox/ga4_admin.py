"""The GA4 Admin API (v1beta) as the official google-analytics-admin client's REST transport sees it:
the accounts and properties a service account can see, for `social-roi connect ga4`.

Served (https://developers.google.com/analytics/devguides/config/admin/v1/rest, v1beta):
``GET /v1beta/accountSummaries`` with pageSize and pageToken, answering accountSummaries (name,
account, displayName, propertySummaries of property, displayName, propertyType, parent) and
nextPageToken; ``GET /v1beta/properties/{id}``, answering the Property (name, propertyType,
createTime, updateTime, parent, displayName, industryCategory, timeZone, currencyCode, serviceLevel,
account). What the credentials see is the advertiser's GA4 properties (``advertiser.ga4_properties``),
each in a GA4 account of its own client: the advertiser's named after its brand, an agency client's
after the client, as its ad accounts are. ``UNSHARED_PROPERTY_ID`` is a property that exists in GA4
but was never shared with the service account: left out of the summaries, refused by properties.get
and by runReport (``ga4.py`` refuses every property the credentials cannot see) with
PERMISSION_DENIED, as Google refuses a property the caller has no access to.

Faithful details: pageSize defaults to 50 and is coerced to at most 200 (accountSummaries.list
reference); "the service may return fewer than this value, even if there are additional pages",
which ``page_size_cap`` does for tests that want pages small; nextPageToken is left out on the last
page; the client's REST transport asks for enums as numbers (``$alt=json;enum-encoding=int``, its
``rest_numeric_enums=True``; system parameters: cloud.google.com/apis/docs/system-parameters), and
they are answered as numbers then, as their names otherwise; errors use Google's JSON error shape.
Credentials are checked as the Data API's are (``ga4.py``): none is fine, a bearer token other than
the one the sandbox's token endpoint hands out is UNAUTHENTICATED.

Fault kind (``sandbox.faults.arm("ga4", "admin_api_disabled", times=None)``): the Admin API is not
enabled in the credentials' Cloud project: 403 PERMISSION_DENIED with Google's message and the
google.rpc.ErrorInfo of reason SERVICE_DISABLED (Google's error model: cloud.google.com/apis/design/errors).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import re

from connectors.sandbox.advertiser import Ga4Property
from connectors.sandbox.ga4 import OTHER_FAULTS, SANDBOX_GA4_ACCESS_TOKEN
from connectors.sandbox.http import Request, Response

# accountSummaries.list's pageSize: "If unspecified, at most 50 resources will be returned. The maximum
# value is 200; (higher values will be coerced to the maximum)".
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# A property in GA4 that was never shared with the service account: outside GA4_PROPERTY_IDS and the figures.
UNSHARED_PROPERTY_ID = "398000017"
# The Cloud project the sandbox's credentials belong to, as Google names it in SERVICE_DISABLED errors.
SANDBOX_PROJECT_NUMBER = "612345678901"
# GA4 account ids of the advertiser's clients: the n-th property's account is ACCOUNT_ID_BASE + n.
ACCOUNT_ID_BASE = 210_000_000

# Enums as the v1beta reference names them, and their numbers in google/analytics/admin/v1beta/resources.proto.
PROPERTY_TYPE_ORDINARY = ("PROPERTY_TYPE_ORDINARY", 1)
GOOGLE_ANALYTICS_STANDARD = ("GOOGLE_ANALYTICS_STANDARD", 1)
INDUSTRY_SHOPPING = ("SHOPPING", 26)  # an outdoor-gear web shop

PERMISSION_DENIED = (403, "PERMISSION_DENIED", "The caller does not have permission")
# Google's words when the API is not enabled in the caller's project (googleapis' service control).
ADMIN_API_DISABLED = (
    "Google Analytics Admin API has not been used in project {project} before or it is disabled. Enable it by "
    "visiting https://console.developers.google.com/apis/api/analyticsadmin.googleapis.com/overview?project={project} "
    "then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry."
)


@dataclasses.dataclass(frozen=True)
class Ga4Account:
    """A GA4 account and the properties in it that the service account can see."""

    id: str
    name: str
    properties: tuple[tuple[Ga4Property, str], ...]  # (property, its display name)


class Ga4AdminApi:
    def __init__(self, sandbox):
        self.sandbox = sandbox
        # Fewer account summaries per page than asked for, as the service may send: tests make pages small.
        self.page_size_cap: int | None = None
        self.summary_pages_served = 0
        self.properties_served = 0

    def routes(self):
        return [
            ("GET", re.compile(r"^/v1beta/accountSummaries$"), self.account_summaries),
            ("GET", re.compile(r"^/v1beta/properties/(\d+)$"), self.get_property),
        ]

    def accounts(self) -> list[Ga4Account]:
        """The advertiser's client first (named after its brand), then the agency's other clients, each
        property in an account of its own client (agency client k has the k-th further property)."""
        advertiser = self.sandbox.advertiser
        accounts = []
        for index, prop in enumerate(advertiser.ga4_properties):
            client = advertiser.brand if index == 0 else f"Agency client {index:02d}"
            accounts.append(Ga4Account(str(ACCOUNT_ID_BASE + index), client, ((prop, f"{client} – web shop"),)))
        return accounts

    def account_summaries(self, request: Request, _match) -> Response:
        """accountSummaries.list: every account the caller can access, with its properties, a page at a time."""
        if refusal := self._refusal(request):
            return refusal
        try:
            page_size = int(request.query.get("pageSize") or 0) or DEFAULT_PAGE_SIZE
            start = (
                int(base64.urlsafe_b64decode(request.query["pageToken"]).decode())
                if request.query.get("pageToken")
                else 0
            )
        except ValueError:
            return _error(400, "INVALID_ARGUMENT", "Invalid page token or page size.")
        if page_size < 0:
            return _error(400, "INVALID_ARGUMENT", "page_size must be positive")
        page_size = min(page_size, MAX_PAGE_SIZE, self.page_size_cap or MAX_PAGE_SIZE)
        accounts = self.accounts()
        page = accounts[start : start + page_size]
        numbers = _numeric_enums(request)
        payload: dict = {
            "accountSummaries": [
                {
                    "name": f"accountSummaries/{account.id}",
                    "account": f"accounts/{account.id}",
                    "displayName": account.name,
                    "propertySummaries": [
                        {
                            "property": f"properties/{prop.id}",
                            "displayName": display_name,
                            "propertyType": _enum(PROPERTY_TYPE_ORDINARY, numbers),
                            "parent": f"accounts/{account.id}",
                        }
                        for prop, display_name in account.properties
                    ],
                }
                for account in page
            ]
        }
        if start + page_size < len(accounts):
            # an opaque token (any string does for the client: it only sends it back)
            payload["nextPageToken"] = base64.urlsafe_b64encode(str(start + page_size).encode()).decode()
        self.summary_pages_served += 1
        return Response.json(200, payload)

    def get_property(self, request: Request, match: re.Match) -> Response:
        """properties.get: the property's settings, for a property the caller can access."""
        if refusal := self._refusal(request):
            return refusal
        seen = {prop.id: (account, prop, name) for account in self.accounts() for prop, name in account.properties}
        if match.group(1) not in seen:
            # GetProperty on a property the caller cannot access: "The caller does not have permission (code: 403,
            # reason: forbidden)" (google/site-kit-wp#10707, which counts it among the Admin API's commonest
            # answers). A property that does not exist is answered the same here; whether Google says 404 for
            # one instead is not documented, and connect treats both as "not yours to read".
            return _error(*PERMISSION_DENIED)
        account, prop, display_name = seen[match.group(1)]
        numbers = _numeric_enums(request)
        created = dt.datetime.combine(self.sandbox.advertiser.today - dt.timedelta(days=900), dt.time(9, 30))
        self.properties_served += 1
        return Response.json(
            200,
            {
                "name": f"properties/{prop.id}",
                "propertyType": _enum(PROPERTY_TYPE_ORDINARY, numbers),
                "createTime": f"{created.isoformat()}.000Z",
                "updateTime": f"{(created + dt.timedelta(days=30)).isoformat()}.000Z",
                "parent": f"accounts/{account.id}",
                "displayName": display_name,
                "industryCategory": _enum(INDUSTRY_SHOPPING, numbers),
                "timeZone": prop.timezone,
                "currencyCode": prop.currency,
                "serviceLevel": _enum(GOOGLE_ANALYTICS_STANDARD, numbers),
                "account": f"accounts/{account.id}",
            },
        )

    def _refusal(self, request: Request) -> Response | None:
        if self.sandbox.faults.take("ga4", "admin_api_disabled"):
            message = ADMIN_API_DISABLED.format(project=SANDBOX_PROJECT_NUMBER)
            activation = f"https://console.developers.google.com/apis/api/analyticsadmin.googleapis.com/overview?project={SANDBOX_PROJECT_NUMBER}"
            return _error(
                403,
                "PERMISSION_DENIED",
                message,
                details=[
                    {
                        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                        "reason": "SERVICE_DISABLED",
                        "domain": "googleapis.com",
                        "metadata": {
                            "service": "analyticsadmin.googleapis.com",
                            "consumer": f"projects/{SANDBOX_PROJECT_NUMBER}",
                            "activationUrl": activation,
                        },
                    },
                    {
                        "@type": "type.googleapis.com/google.rpc.Help",
                        "links": [{"description": "Google developers console API activation", "url": activation}],
                    },
                ],
            )
        authorization = request.headers.get("authorization")
        if authorization is not None and authorization != f"Bearer {SANDBOX_GA4_ACCESS_TOKEN}":
            return _error(*OTHER_FAULTS["unauthenticated"])
        return None


def _numeric_enums(request: Request) -> bool:
    return "enum-encoding=int" in (request.query.get("$alt") or "")


def _enum(value: tuple[str, int], numbers: bool) -> str | int:
    return value[1] if numbers else value[0]


def _error(status: int, name: str, message: str, details: list | None = None) -> Response:
    error: dict = {"code": status, "message": message, "status": name}
    if details:
        error["details"] = details
    return Response.json(status, {"error": error})
