"""LinkedIn's organization-page endpoints (Community Management API, versioned REST, Rest.li 2.0), as a plain-HTTP
client calls them.

Served, for the advertiser's pages (``linkedin_pages_figures.py``):
  GET /rest/organizationalEntityFollowerStatistics?q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3AN
      &timeIntervals=(timeRange:(start:<ms>,end:<ms>),timeGranularityType:DAY)
      -> {"paging": {...}, "elements": [{"timeRange": {"start", "end"}, "organizationalEntity",
          "followerGains": {"organicFollowerGain", "paidFollowerGain"}}, ...]}, one element per UTC day
  GET /rest/organizationalEntityShareStatistics?... the same parameters
      -> {"elements": [{"timeRange", "organizationalEntity", "totalShareStatistics": {"impressionCount",
          "uniqueImpressionsCount", "clickCount", "likeCount", "commentCount", "shareCount", "engagement"}}, ...]}
  GET /rest/organizationalEntityShareStatistics?q=organizationalEntity&organizationalEntity=..
      &shares=List(urn%3Ali%3Ashare%3A..)&ugcPosts=List(urn%3Ali%3AugcPost%3A..)
      -> lifetime statistics per post: {"share": <urn>} or {"ugcPost": <urn>} beside totalShareStatistics
  GET /rest/posts?q=author&author=urn%3Ali%3Aorganization%3AN&sortBy=CREATED&start=..&count=..
      -> the page's posts newest first, {"elements": [...], "paging": {"start", "count", "total", "links"}}
  GET /rest/networkSizes/urn%3Ali%3Aorganization%3AN?edgeType=COMPANY_FOLLOWED_BY_MEMBER -> {"firstDegreeSize": N}
  GET /rest/organizationAcls?q=roleAssignee[&role=..][&state=..][&start=..&count=..]
      [&projection=(elements*(*,organization~(localizedName)))]
      -> the token's member's roles, {"elements": [{"roleAssignee", "role", "state", "organization"}, ...],
         "paging": {"start", "count", "total", "links"}}: ADMINISTRATOR on each of the advertiser's pages, and
         DIRECT_SPONSORED_CONTENT_POSTER on ``PARTNER_ORGANIZATION_ID``, a page it may sponsor posts of but not read

Faithful details, with where they come from:
- Statistics: "returns share data only within the past 12 months, using a rolling 12-month window"; the share
  statistics are organic only; ``timeRange.start`` inclusive, ``timeRange.end`` exclusive, in epoch milliseconds,
  the smallest granularity a day (learn.microsoft.com/linkedin/marketing/community-management/organizations/
  share-statistics, view li-lms-2025-11; follower-statistics for the follower gains). A time range starting more
  than 12 months before the request time answers 400 with "Invalid timeIntervals parameter" (the message Airbyte's
  source-linkedin-pages matches in its manifest.yaml: "Start Date must be atmost 12 months before the request
  date"). The sandbox counts the 12 months back from the moment it answers, in UTC, as the rolling window does: a
  range starting at the UTC midnight of the date a year before today is already refused.
- Time-bound follower statistics carry gains only, organic and paid, not segmented by facet; the total follower
  count is no longer in these statistics: "Use the networkSizes API ... to retrieve an organization's total follower
  count" (follower-statistics page); ``edgeType=COMPANY_FOLLOWED_BY_MEMBER`` answers ``firstDegreeSize`` (Airbyte's
  manifest.yaml, stream total_follower_count, LinkedIn-Version 20250301).
- Per-post statistics: the ``share`` field holds a Share URN, ``ugcPost`` a UGC Post URN (share-statistics schema),
  asked for with ``shares=List(..)`` and ``ugcPosts=List(..)``, URNs percent-encoded inside List(..). A URN of the
  other kind in a list is refused with 400 (sandbox strictness: LinkedIn documents only which list takes which).
- Posts: finder ``q=author``, ``sortBy=CREATED`` for newest created first (LAST_MODIFIED is the default), paged with
  ``start``/``count``; elements carry ``id`` (the post's URN), ``author``, ``commentary``, ``publishedAt``,
  ``createdAt``, ``lastModifiedAt`` (epoch ms), ``lifecycleState``, ``visibility``, ``distribution``
  (learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api). The sandbox caps count at 100.
- Roles: the roleAssignee finder lists the authenticated member's roles, filtered by ``role`` and ``state`` when
  given, paged with ``start``/``count`` (learn.microsoft.com/linkedin/marketing/community-management/organizations/
  organization-access-control-by-role: roles ADMINISTRATOR, DIRECT_SPONSORED_CONTENT_POSTER, RECRUITING_POSTER,
  LEAD_CAPTURE_ADMINISTRATOR, LEAD_GEN_FORMS_MANAGER, ANALYST, CURATOR, CONTENT_ADMINISTRATOR; states APPROVED,
  REJECTED, REQUESTED, REVOKED). The page's name comes with it through the projection that page's samples use,
  ``projection=(elements*(*,organization~(localizedName)))``: the element gains ``organization~`` with the fields
  asked for (localizedName, vanityName, id). The statistics need rw_organization_admin, "restricted to organizations
  in which the authenticated member has the following role: ADMINISTRATOR" (same page, "Permissions"): the partner
  page's Sponsored Content poster role reads none of them.
- Errors have LinkedIn's shape {"status", "serviceErrorCode", "code", "message"}; a member who is not an
  ADMINISTRATOR of the page (the partner page, or any page not the advertiser's) is refused with 403 ACCESS_DENIED
  "Not enough permissions to access: <resource>.<method>.<version>". Everything LinkedIn checks on every call (LinkedIn-Version and its sunset, X-Restli-Protocol-Version,
  the token, throttling, server errors) is ``linkedin_ads.py``'s, armed on the "linkedin" platform: it is one API.

Fault kinds (``sandbox.faults.arm("linkedin_pages", kind, ...)``): ``organization_permission_denied``
(organization=<id or URN>, or every page without it): the token's member lost the ADMINISTRATOR role on the page, so
every call about it answers 403. Arm with ``times=None`` to keep it for the whole test.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import urllib.parse

from connectors import clock
from connectors.sandbox.http import Request, Response
from connectors.sandbox.linkedin_ads import SANDBOX_MEMBER, _linkedin_error
from connectors.sandbox.linkedin_pages_figures import (
    LinkedInOrganization,
    OrganizationPost,
    follower_total,
    linkedin_organization,
    linkedin_organizations,
    organization_days,
    organization_posts,
)
from connectors.sandbox.linkedin_restli import RestliSyntaxError, parse_restli

FAULT_PLATFORM = "linkedin_pages"
POSTS_MAX_COUNT = 100
RESTLI_DEFAULT_COUNT = 10
DAY_MS = 86_400_000
# Parameters in Rest.li syntax on these endpoints: their ( ) , must arrive unencoded.
RESTLI_PARAMS = ("timeIntervals", "shares", "ugcPosts", "projection")
_ORGANIZATION = re.compile(r"urn:li:organization:(\d+)")
# A page of another company that the token's member may run Sponsored Content for (a paid media admin role) but is
# not an ADMINISTRATOR of: listed by organizationAcls, refused by every statistics call. In no default setting and
# with no figures (not one of `linkedin_organizations`), so no sync reads it unless asked to. Nine digits: outside
# the advertiser's pages' range (10,000,000 + up to 90,000,000).
PARTNER_ORGANIZATION_ID = "110000001"
PARTNER_ORGANIZATION_NAME = "Fjellsport Dealers Network"
PARTNER_ORGANIZATION_ROLE = "DIRECT_SPONSORED_CONTENT_POSTER"
ORGANIZATION_ROLES = (
    "ADMINISTRATOR",
    "DIRECT_SPONSORED_CONTENT_POSTER",
    "RECRUITING_POSTER",
    "LEAD_CAPTURE_ADMINISTRATOR",
    "LEAD_GEN_FORMS_MANAGER",
    "ANALYST",
    "CURATOR",
    "CONTENT_ADMINISTRATOR",
)
ROLE_STATES = ("APPROVED", "REJECTED", "REQUESTED", "REVOKED")
_DECORATED_ORGANIZATION = re.compile(r"organization~\(([^()]*)\)")


def environment(sandbox) -> dict[str, str]:
    """Every page of the advertiser; the token, API URL and version are the ones ``linkedin_ads.environment`` sets
    for LinkedIn Ads (one LinkedIn app, one member token for both)."""
    return {
        "LINKEDIN_ORGANIZATION_IDS": ",".join(
            organization.urn for organization in linkedin_organizations(sandbox.advertiser)
        )
    }


@dataclasses.dataclass(frozen=True)
class _TimeRange:
    since: dt.date
    until: dt.date  # the last day: the range's exclusive end is the next midnight


class LinkedInOrganizationApi:
    def __init__(self, sandbox):
        self.sandbox = sandbox
        self.advertiser = sandbox.advertiser
        # Every request answered past the common checks: (resource, organization id).
        self.requests: list[tuple[str, str]] = []

    def routes(self):
        served = [
            (r"^/rest/organizationalEntityFollowerStatistics$", self._follower_statistics),
            (r"^/rest/organizationalEntityShareStatistics$", self._share_statistics),
            (r"^/rest/posts$", self._posts),
            (r"^/rest/networkSizes/([^/]+)$", self._network_size),
            (r"^/rest/organizationAcls$", self._organization_acls),
        ]
        return [
            ("GET", re.compile(path), lambda request, match, h=handler: self._answer(request, match, h))
            for path, handler in served
        ]

    # --- what every request meets first ---------------------------------------------------------

    def _answer(self, request: Request, match, handler) -> Response:
        # LinkedIn's gateway, as for the ads endpoints (linkedin_ads.py): version, protocol header, token,
        # throttling, server errors, a re-encoded Rest.li query; then the parameters.
        return self.sandbox.linkedin._answer(request, match, request.raw_query, handler, RESTLI_PARAMS)

    def _organization(self, request: Request, urn: str | None, resource: str) -> LinkedInOrganization | Response:
        """The page a request is about, or the answer LinkedIn gives about it: 400 for no organization URN, 403 for
        a page the token's member is not an ADMINISTRATOR of (one of the advertiser's pages under the fault, or any
        other page)."""
        found = _ORGANIZATION.fullmatch(urllib.parse.unquote(urn or ""))
        if found is None:
            return _linkedin_error(400, "ILLEGAL_ARGUMENT", f"Invalid organizational entity URN: {urn!r}", 100)
        organization = linkedin_organization(self.advertiser, found.group(1))
        self.requests.append((resource, found.group(1)))
        if organization is None or self._permission_denied(organization.id):
            digits = request.headers.get("linkedin-version", "").replace(".", "")  # 202610 is named 20261001
            version = digits if len(digits) == 8 else digits + "01"
            return _linkedin_error(403, "ACCESS_DENIED", f"Not enough permissions to access: {resource}.{version}", 100)
        return organization

    def _permission_denied(self, organization_id: str) -> bool:
        return (
            self.sandbox.faults.take_for(
                FAULT_PLATFORM, "organization_permission_denied", "organization", organization_id
            )
            is not None
        )

    # --- statistics -----------------------------------------------------------------------------

    def _follower_statistics(self, request: Request, match, params: dict[str, str]) -> Response:
        if params.get("q") != "organizationalEntity":
            return _linkedin_error(400, "ILLEGAL_ARGUMENT", "Invalid finder: use q=organizationalEntity", 100)
        organization = self._organization(
            request,
            params.get("organizationalEntity"),
            "organizationalEntityFollowerStatistics.FINDER-organizationalEntity",
        )
        if isinstance(organization, Response):
            return organization
        time_range = self._time_range(params)
        if isinstance(time_range, Response):
            return time_range
        elements = [
            {
                "timeRange": _time_range_of(day.day),
                "organizationalEntity": organization.urn,
                "followerGains": {
                    "organicFollowerGain": day.organic_follower_gain,
                    "paidFollowerGain": day.paid_follower_gain,
                },
            }
            for day in organization_days(self.advertiser, organization, time_range.since, time_range.until)
        ]
        return _collection(elements)

    def _share_statistics(self, request: Request, match, params: dict[str, str]) -> Response:
        if params.get("q") != "organizationalEntity":
            return _linkedin_error(400, "ILLEGAL_ARGUMENT", "Invalid finder: use q=organizationalEntity", 100)
        organization = self._organization(
            request,
            params.get("organizationalEntity"),
            "organizationalEntityShareStatistics.FINDER-organizationalEntity",
        )
        if isinstance(organization, Response):
            return organization
        if "shares" in params or "ugcPosts" in params:
            return self._post_statistics(organization, params)
        time_range = self._time_range(params)
        if isinstance(time_range, Response):
            return time_range
        elements = [
            {
                "timeRange": _time_range_of(day.day),
                "organizationalEntity": organization.urn,
                "totalShareStatistics": {
                    "impressionCount": day.impressions,
                    "uniqueImpressionsCount": day.unique_impressions,
                    "clickCount": day.clicks,
                    "likeCount": day.reactions,
                    "commentCount": day.comments,
                    "shareCount": day.shares,
                    "engagement": day.engagement,
                },
            }
            for day in organization_days(self.advertiser, organization, time_range.since, time_range.until)
        ]
        return _collection(elements)

    def _post_statistics(self, organization: LinkedInOrganization, params: dict[str, str]) -> Response:
        """Lifetime statistics of the posts asked for, as of now; posts of other pages are left out."""
        if "timeIntervals" in params:
            return _linkedin_error(
                400, "ILLEGAL_ARGUMENT", "The sandbox serves per-post statistics as lifetime figures only", 100
            )
        asked: list[tuple[str, str]] = []
        for parameter, field, kind in (("shares", "share", "share"), ("ugcPosts", "ugcPost", "ugcPost")):
            if parameter not in params:
                continue
            try:
                urns = parse_restli(params[parameter])
            except RestliSyntaxError as problem:
                return _linkedin_error(400, "ILLEGAL_ARGUMENT", f"{parameter} must be List(...): {problem}", 100)
            if not isinstance(urns, list) or not all(re.fullmatch(rf"urn:li:{kind}:\d+", u) for u in urns):
                return _linkedin_error(
                    400,
                    "ILLEGAL_ARGUMENT",
                    f"{parameter} takes a List of urn:li:{kind} URNs, not {params[parameter][:120]!r}",
                    100,
                )
            asked += [(field, urn) for urn in urns]
        posts = self._posts_of(organization)
        today, restatements = self.advertiser.today, self.sandbox.restatements
        elements = []
        for field, urn in asked:
            post = posts.get(urn)
            if post is None:
                continue
            figures = post.figures(today, restatements)
            elements.append(
                {
                    "organizationalEntity": organization.urn,
                    field: urn,
                    "totalShareStatistics": {
                        "impressionCount": figures["impressions"],
                        "uniqueImpressionsCount": figures["unique_impressions"],
                        "clickCount": figures["clicks"],
                        "likeCount": figures["reactions"],
                        "commentCount": figures["comments"],
                        "shareCount": figures["shares"],
                        "engagement": figures["engagement"],
                    },
                }
            )
        return _collection(elements)

    def _time_range(self, params: dict[str, str]) -> _TimeRange | Response:
        """timeIntervals=(timeRange:(start:<ms>,end:<ms>),timeGranularityType:DAY): start inclusive, end exclusive,
        both UTC midnights (the sandbox's strictness), within the rolling 12 months."""
        try:
            intervals = parse_restli(params["timeIntervals"])
            start, end = int(intervals["timeRange"]["start"]), int(intervals["timeRange"]["end"])
            granularity = intervals["timeGranularityType"]
        except (KeyError, TypeError, ValueError, RestliSyntaxError) as problem:
            return _linkedin_error(
                400, "ILLEGAL_ARGUMENT", f"Invalid timeIntervals parameter: {type(problem).__name__} {problem}", 100
            )
        if granularity != "DAY" or start % DAY_MS or end % DAY_MS or end <= start:
            return _linkedin_error(
                400,
                "ILLEGAL_ARGUMENT",
                "Invalid timeIntervals parameter: the sandbox serves DAY granularity over whole UTC days, end after start",
                100,
            )
        since = dt.datetime.fromtimestamp(start / 1000, dt.UTC).date()
        until = dt.datetime.fromtimestamp(end / 1000, dt.UTC).date() - dt.timedelta(days=1)
        if start < _twelve_months_before(clock.now(dt.UTC)).timestamp() * 1000:
            return _linkedin_error(
                400,
                "ILLEGAL_ARGUMENT",
                f"Invalid timeIntervals parameter: timeRange.start {start} is more than 12 months before the request time",
                100,
            )
        return _TimeRange(since, until)

    # --- posts and follower count ---------------------------------------------------------------

    def _posts(self, request: Request, match, params: dict[str, str]) -> Response:
        if params.get("q") != "author":
            return _linkedin_error(400, "ILLEGAL_ARGUMENT", "The sandbox serves posts with q=author", 100)
        organization = self._organization(request, params.get("author"), "partnerApiPostsExternal.FINDER-author")
        if isinstance(organization, Response):
            return organization
        try:
            start, count = int(params.get("start", "0")), int(params.get("count", str(RESTLI_DEFAULT_COUNT)))
        except ValueError as problem:
            return _linkedin_error(400, "ILLEGAL_ARGUMENT", f"Invalid start or count: {problem}", 100)
        if start < 0 or not 1 <= count <= POSTS_MAX_COUNT or params.get("sortBy", "LAST_MODIFIED") != "CREATED":
            return _linkedin_error(
                400,
                "ILLEGAL_ARGUMENT",
                f"start must be >= 0, count 1..{POSTS_MAX_COUNT}, and the sandbox serves sortBy=CREATED",
                100,
            )
        newest_first = sorted(self._posts_of(organization).values(), key=lambda p: p.published_at, reverse=True)
        page = [_post_element(post) for post in newest_first[start : start + count]]
        links = []
        if start + count < len(newest_first):
            query = urllib.parse.urlencode(
                {"author": organization.urn, "count": count, "q": "author", "sortBy": "CREATED", "start": start + count}
            )
            links.append({"type": "application/json", "rel": "next", "href": f"/rest/posts?{query}"})
        paging = {"start": start, "count": count, "total": len(newest_first), "links": links}
        return Response.json(200, {"paging": paging, "elements": page})

    def _network_size(self, request: Request, match, params: dict[str, str]) -> Response:
        if params.get("edgeType") != "COMPANY_FOLLOWED_BY_MEMBER":
            return _linkedin_error(400, "ILLEGAL_ARGUMENT", "edgeType must be COMPANY_FOLLOWED_BY_MEMBER", 100)
        organization = self._organization(request, match.group(1), "networkSizes.GET")
        if isinstance(organization, Response):
            return organization
        return Response.json(200, {"firstDegreeSize": follower_total(self.advertiser, organization)})

    # --- the member's roles -----------------------------------------------------------------------

    def _organization_acls(self, request: Request, match, params: dict[str, str]) -> Response:
        """organizationAcls' roleAssignee finder: the token's member's roles on pages, as Rest.li pages them."""
        if params.get("q") != "roleAssignee":
            return _linkedin_error(
                400, "ILLEGAL_ARGUMENT", "The sandbox serves organizationAcls with q=roleAssignee", 100
            )
        role, state = params.get("role"), params.get("state")
        if role not in (None, *ORGANIZATION_ROLES) or state not in (None, *ROLE_STATES):
            return _linkedin_error(
                400, "ILLEGAL_ARGUMENT", f"role must be one of {ORGANIZATION_ROLES}, state one of {ROLE_STATES}", 100
            )
        try:
            start, count = int(params.get("start", "0")), int(params.get("count", str(RESTLI_DEFAULT_COUNT)))
        except ValueError as problem:
            return _linkedin_error(400, "ILLEGAL_ARGUMENT", f"Invalid start or count: {problem}", 100)
        if start < 0 or count < 1:
            return _linkedin_error(400, "ILLEGAL_ARGUMENT", "start must be >= 0 and count >= 1", 100)
        decorated = _DECORATED_ORGANIZATION.search(urllib.parse.unquote(params.get("projection", "")))
        fields = [field.strip() for field in decorated.group(1).split(",")] if decorated else []
        held = [
            (organization.id, organization.name, "ADMINISTRATOR")
            for organization in linkedin_organizations(self.advertiser)
        ]
        held.append((PARTNER_ORGANIZATION_ID, PARTNER_ORGANIZATION_NAME, PARTNER_ORGANIZATION_ROLE))
        elements = []
        for organization_id, name, held_role in held:
            if role not in (None, held_role) or state not in (None, "APPROVED"):
                continue
            element: dict[str, object] = {
                "roleAssignee": SANDBOX_MEMBER,
                "role": held_role,
                "state": "APPROVED",
                "organization": f"urn:li:organization:{organization_id}",
            }
            if fields:
                known = {"id": int(organization_id), "localizedName": name, "vanityName": _vanity_name(name)}
                element["organization~"] = {field: known[field] for field in fields if field in known}
            elements.append(element)
        links = []
        if start + count < len(elements):
            query = urllib.parse.urlencode(
                {"q": "roleAssignee", **({"role": role} if role else {}), **({"state": state} if state else {})}
            )
            links.append(
                {
                    "type": "application/json",
                    "rel": "next",
                    "href": f"/rest/organizationAcls?{query}&start={start + count}&count={count}",
                }
            )
        paging = {"start": start, "count": count, "total": len(elements), "links": links}
        return Response.json(200, {"paging": paging, "elements": elements[start : start + count]})

    def _posts_of(self, organization: LinkedInOrganization) -> dict[str, OrganizationPost]:
        """Every post of the page LinkedIn still serves statistics for, by URN."""
        today = self.advertiser.today
        posts = organization_posts(self.advertiser, organization, earliest_day(today), today)
        return {post.urn: post for post in posts}


def earliest_day(today: dt.date) -> dt.date:
    """The first day of LinkedIn's rolling 12-month window: the same date a year before today (28 February for 29)."""
    if (today.month, today.day) == (2, 29):
        return dt.date(today.year - 1, 2, 28)
    return today.replace(year=today.year - 1)


def _twelve_months_before(moment: dt.datetime) -> dt.datetime:
    """The same instant a year earlier (28 February standing for 29): where the rolling 12 months begin."""
    if (moment.month, moment.day) == (2, 29):
        return moment.replace(year=moment.year - 1, day=28)
    return moment.replace(year=moment.year - 1)


def _time_range_of(day: dt.date) -> dict:
    start = int(dt.datetime.combine(day, dt.time(), dt.UTC).timestamp() * 1000)
    return {"start": start, "end": start + DAY_MS}


def _vanity_name(name: str) -> str:
    """The page's name in its URL, linkedin.com/company/<vanityName>."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _collection(elements: list[dict]) -> Response:
    """A finder's answer: every element at once, with the paging block LinkedIn sends beside them."""
    return Response.json(200, {"paging": {"start": 0, "count": 10, "links": []}, "elements": elements})


def _post_element(post: OrganizationPost) -> dict:
    """A post as the Posts API answers it (posts-api docs, "Post Schema")."""
    published = int(post.published_at.timestamp() * 1000)
    return {
        "id": post.urn,
        "author": post.organization.urn,
        "commentary": post.commentary,
        "visibility": "PUBLIC",
        "lifecycleState": "PUBLISHED",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
        "isReshareDisabledByAuthor": False,
        "createdAt": published,
        "publishedAt": published,
        "lastModifiedAt": published,
    }


# What the sandbox server mounts for this platform (connectors/sandbox/server.py).
API = LinkedInOrganizationApi
