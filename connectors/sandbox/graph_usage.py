"""Business Use Case throttling of the organic Graph endpoints (Facebook Pages, Instagram accounts), shared by
``facebook_pages.py`` and ``instagram.py``: the answer a call meets once its business has spent its limit.

Faithful details:
- Page calls made with a Page token, and Instagram calls, count against Business Use Case limits ("Pages API:
  Calls within 24 hours = 4800 * Number of Engaged Users", "Instagram Platform: Calls within 24 hours = 4800 *
  Number of Impressions"), and once one is reached "any subsequent requests made by your app will fail"
  until it regains access (developers.facebook.com/docs/graph-api/overview/rate-limiting).
- The refusal is HTTP 400 with code 80001 "There have been too many calls to this Page account. Wait a bit and
  try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting."
  or 80002, the same for "this Instagram account" (the "Error Codes" tables of the Page and IG User references).
- It carries ``X-Business-Use-Case-Usage``: {"<business object id>": [{"type": "pages"|"instagram", "call_count",
  "total_cputime", "total_time" (percent), "estimated_time_to_regain_access" (minutes)}]} (same rate-limiting
  page; the shape sns-sdks/python-facebook tests in tests/test_ratelimit.py, keyed by a Page id for "pages").
  The sandbox names both the account and its business, as a public client's fixture recorded for one Instagram
  read ("reported under the business AND the account"); Meta's documentation does not say which ids an 80001 or
  80002 answer's header names, so this is an assumption, kept for Pages too.

The advertiser's Page i and Instagram account i belong to the business of its Meta ad account i
(``advertiser.meta_accounts[i].business_id``).

Fault kind ``business_throttle`` (armed on "facebook_pages" or "instagram"): every call for an account of the
throttled business is refused as above. Options: ``account=<page or ig id>`` (its business; every business
without it), ``regain_minutes`` (default 30). Arm with ``times=None``: a spent limit stays spent.
"""

from __future__ import annotations

import json

from connectors.sandbox.http import Response
from connectors.sandbox.instagram_figures import instagram_accounts
from connectors.sandbox.meta_ads import _graph_error
from connectors.sandbox.organic_figures import facebook_pages

# platform → (error code, what the message calls the account, the use case type in the header)
USE_CASES = {"facebook_pages": (80001, "Page", "pages"), "instagram": (80002, "Instagram", "instagram")}
# The subcode public clients' 80002 fixtures carry; Meta documents none for 80001/80002.
THROTTLE_SUBCODE = 2446079


def business_of(advertiser, platform: str, account_id: str) -> str | None:
    """The business that owns the advertiser's Page or Instagram account `account_id`."""
    accounts = facebook_pages(advertiser) if platform == "facebook_pages" else instagram_accounts(advertiser)
    index = next((i for i, account in enumerate(accounts) if account.id == account_id), None)
    return None if index is None else advertiser.meta_accounts[index].business_id


def business_throttle(sandbox, platform: str, account_id: str) -> Response | None:
    """Graph's answer to a call for `account_id` while its business is throttled (fault ``business_throttle``)."""
    business = business_of(sandbox.advertiser, platform, account_id)

    def meant_for_this_business(fault) -> bool:
        target = fault.options.get("account")
        return target is None or business_of(sandbox.advertiser, platform, str(target)) == business

    fault = sandbox.faults.take_matching(platform, "business_throttle", meant_for_this_business)
    if fault is None:
        return None
    code, noun, use_case = USE_CASES[platform]
    regain = int(fault.options.get("regain_minutes", 30))
    usage = {"type": use_case, "call_count": 100, "total_cputime": 12, "total_time": 15}
    usage["estimated_time_to_regain_access"] = regain
    response = _graph_error(
        400,
        f"There have been too many calls to this {noun} account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
        code,
        THROTTLE_SUBCODE,
        transient=True,
    )
    response.headers["X-Business-Use-Case-Usage"] = json.dumps({business: [usage], account_id: [usage]})
    return response
