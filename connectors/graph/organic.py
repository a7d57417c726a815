"""What the organic Graph sources (Facebook Pages, Instagram accounts) share: reading the ids and the
Page token from the settings, one SDK session, and Graph's errors as ours (the error codes and usage
headers live once, in graph/__init__.py), retried with backoff a few times when Graph fails transiently.

Throttles: Page and Instagram calls made with a Page token count against Business Use Case limits, per
business object ("requests made with system user or page access tokens are subject to Business Use Case
Rate Limits"; 80001 is the Pages use case, 80002 Instagram's), and once one is reached "any subsequent
requests made by your app will fail ... until enough time has passed" (developers.facebook.com/docs/
graph-api/overview/rate-limiting). So a throttle is read from `X-Business-Use-Case-Usage`: a wait the
run allows (`max_throttle_wait_seconds`) is waited out once; a longer one is never retried: the business
objects it names are remembered until Meta says they regain access (`BUSINESS_THROTTLES`, shared by every
organic client of the process, so by every source of a run), and every later call for an account of
theirs fails at once, without a request, with the one message that says which, until when, and what to do.
A throttle without the header (the app's code 4, the user's 17) is retried with backoff as before.

Many small reads of one account (a day's insights each, an item's insights each) go in Graph's batch requests, up
to 50 in one HTTP call (`_call_batched`, through the SDK's FacebookAdsApiBatch): each still counts as a call
against the limits, so batching saves round trips, not quota. A request the batch answers with an error fails as
a lone call would; one it leaves unanswered (a batch that ran out of time answers null) is sent again.

A source subclasses `OrganicGraphClient`, names what it reads (`NOUN`, `PERMISSIONS`, `PERMISSION_ADVICE`)
and says how Graph words a metric it no longer serves (`retired_metric_error`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence

import requests
from facebook_business.api import FacebookAdsApi, FacebookAdsApiBatch, FacebookResponse
from facebook_business.exceptions import FacebookRequestError

from connectors import clock
from connectors.endpoints import credentialed_url
from connectors.errors import (
    MalformedPayloadError,
    PlatformAuthError,
    PlatformConfigError,
    PlatformError,
    PlatformThrottledError,
    TransientPlatformError,
)
from connectors.graph import (
    EXPIRED_TOKEN_CODE,
    MAX_REQUESTS_PER_BATCH,
    MISSING_PAGE_TASK,
    PERMISSION_CODES,
    THROTTLE_CODES,
    TRANSIENT_CODES,
    graph_api,
    regain_seconds_by_business,
)

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
TOKEN_SETTINGS = ("META_PAGE_ACCESS_TOKEN", "META_ACCESS_TOKEN")

log = logging.getLogger(__name__)

# A request to put in a batch: called with the batch and the callbacks for its answer (an SDK read such as
# `IGUser(id).get_insights(params=..., batch=batch, success=success, failure=failure)`).
BatchedRequest = Callable[
    [FacebookAdsApiBatch, Callable[[FacebookResponse], None], Callable[[FacebookResponse], None]], object
]


def ids_and_token(
    env: Mapping[str, str], platform: str, ids_setting: str, permissions: str, id_advice: str
) -> tuple[tuple[str, ...], str, str] | None:
    """(the numeric ids of `ids_setting`, the Page token else the Meta token, the Graph URL); None when
    `ids_setting` is empty. A missing token or an id that is not a number is a PlatformConfigError."""
    listed = env.get(ids_setting, "").strip()
    if not listed:
        return None
    token = next((env[name].strip() for name in TOKEN_SETTINGS if env.get(name, "").strip()), "")
    if not token:
        raise PlatformConfigError(
            platform,
            f"{ids_setting} is set but neither META_PAGE_ACCESS_TOKEN nor META_ACCESS_TOKEN is: set a token with the {permissions} permissions.",
        )
    ids = tuple(part.strip() for part in listed.split(",") if part.strip())
    for object_id in ids:
        if not object_id.isdigit():
            raise PlatformConfigError(platform, f"{object_id!r} in {ids_setting} is not a numeric id: {id_advice}.")
    return ids, token, credentialed_url(env, "META_GRAPH_URL", DEFAULT_GRAPH_URL, platform)


@dataclasses.dataclass(frozen=True)
class BusinessThrottle:
    """Meta's word that a business object may not call before `regains_at`, and the message that says so."""

    business_id: str
    regains_at: dt.datetime  # UTC
    message: str


class BusinessThrottles:
    """The business objects Meta throttles for longer than a run waits, and which accounts count against which,
    as the usage headers named them. Keyed by Graph URL too: another Graph (a test's sandbox) is another Meta."""

    def __init__(self):
        self._lock = threading.Lock()
        self._throttled: dict[tuple[str, str], BusinessThrottle] = {}
        self._businesses_of: dict[tuple[str, str], set[str]] = {}

    def throttling(self, graph_url: str, account_id: str) -> BusinessThrottle | None:
        """The throttle that still holds for a business `account_id` counts against (itself included), if any."""
        now = clock.now(dt.UTC)
        with self._lock:
            businesses = {account_id} | self._businesses_of.get((graph_url, account_id), set())
            holding = [self._throttled.get((graph_url, business)) for business in sorted(businesses)]
        return next((throttle for throttle in holding if throttle is not None and throttle.regains_at > now), None)

    def remember(self, graph_url: str, account_id: str, throttles: list[BusinessThrottle]) -> None:
        with self._lock:
            self._businesses_of.setdefault((graph_url, account_id), set()).update(t.business_id for t in throttles)
            for throttle in throttles:
                self._throttled[(graph_url, throttle.business_id)] = throttle

    def clear(self) -> None:
        with self._lock:
            self._throttled.clear()
            self._businesses_of.clear()


# One per process: a run's sources run one after another in it (pipelines/definitions.py, in_process_executor).
BUSINESS_THROTTLES = BusinessThrottles()


class PageTokens:
    """The Page tokens got in this process (`GET /{page_id}?fields=access_token`), so that a run asks each Page's
    once for all its sources and tables, not once per client. Keyed by Graph URL, the Page and a digest of the
    token they were got with: another token (or another Graph) asks again. Held in memory only, as the settings'
    own tokens are; every one is registered for redaction when it is read (connectors/redaction.py)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str, str], str] = {}

    @staticmethod
    def _key(graph_url: str, token: str, page_id: str) -> tuple[str, str, str]:
        return graph_url, hashlib.sha256(token.encode()).hexdigest(), page_id

    def get(self, graph_url: str, token: str, page_id: str) -> str | None:
        with self._lock:
            return self._tokens.get(self._key(graph_url, token, page_id))

    def keep(self, graph_url: str, token: str, page_id: str, page_token: str) -> None:
        with self._lock:
            self._tokens[self._key(graph_url, token, page_id)] = page_token

    def forget(self, graph_url: str, token: str, page_id: str) -> None:
        with self._lock:
            self._tokens.pop(self._key(graph_url, token, page_id), None)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


# One per process, as BUSINESS_THROTTLES.
PAGE_TOKENS = PageTokens()


class OrganicGraphClient:
    """One SDK session, and every Graph call made through `_call`; `sleep` is the clock it waits with."""

    PLATFORM = ""
    NOUN = ""  # what one slice is, e.g. "Facebook Page"
    PERMISSIONS = ""
    PERMISSION_ADVICE = ""  # where such a token comes from
    # What the token's user needs on the Page, and where to grant it, when Meta says it lacks the task (MISSING_PAGE_TASK).
    TASK_ADVICE = ""

    def __init__(self, settings, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.sleep = sleep
        self._api = graph_api(settings.access_token, settings.graph_url)
        self._answered: set[str] = set()  # the accounts that have answered a request of this client

    def close(self) -> None:
        self._api._session.requests.close()

    def _api_for(self, object_id: str) -> FacebookAdsApi:
        """The session that reads `object_id` (its batches included): the settings' token's, unless a source reads
        an object with a token of its own (a Facebook Page with its Page token)."""
        del object_id
        return self._api

    def retired_metric_error(self, object_id: str, message: str, metrics: tuple[str, ...]) -> PlatformError | None:
        """The error for Graph's refusal of a metric (code 100), naming it and its replacement; None when
        `message` is not such a refusal."""
        raise NotImplementedError

    def _call(self, object_id: str, operation: Callable, metrics: tuple[str, ...] = ()):
        """`operation()`, retried while Graph throttles or fails transiently; otherwise its error as ours. An
        account of a business Meta throttles beyond the run's patience is not called at all."""
        graph_url = self.settings.graph_url
        if (throttle := BUSINESS_THROTTLES.throttling(graph_url, object_id)) is not None:
            raise PlatformThrottledError(self.PLATFORM, f"Not read: {throttle.message}", object_id)
        backoff = self.settings.backoff
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            regain: dict[str, float] = {}
            try:
                return operation()
            except FacebookRequestError as error:
                problem = self._classify(error, object_id, metrics)
                if isinstance(problem, PlatformThrottledError):
                    regain = regain_seconds_by_business(error.http_headers() or {})
                    said = f"code {error.api_error_code()}: {error.api_error_message() or error.http_status()}"
            except TransientPlatformError as error:  # a batch that answered none of its requests
                problem = error
            except requests.RequestException as error:
                problem = TransientPlatformError(
                    self.PLATFORM,
                    f"Could not reach Meta for {self.NOUN} {object_id} ({type(error).__name__}).",
                    object_id,
                )
            # Decided outside the except blocks: the SDK's exception (which carries the token) is not chained.
            if regain:  # Meta said how long: wait that long once, or give the business up for the run
                wait = max(regain.values())
                if waited + wait > self.settings.max_throttle_wait_seconds:
                    raise self._throttled_beyond_patience(object_id, regain, said)
                log.warning(
                    "Meta throttled %s %s (%s); waiting %.0fs as the usage header asks",
                    self.NOUN,
                    object_id,
                    said,
                    wait,
                )
                waited += wait
                self.sleep(wait)
                continue
            if problem.retryable and attempt < backoff.attempts:
                delay = backoff.delay(attempt)
                waited += delay if isinstance(problem, PlatformThrottledError) else 0
                if waited <= self.settings.max_throttle_wait_seconds:
                    log.warning("Meta %s %s failed (%s); retry in %.1fs", self.NOUN, object_id, problem, delay)
                    self.sleep(delay)
                    continue
            raise problem

    def _call_batched(
        self,
        object_id: str,
        requests: Sequence[BatchedRequest],
        metrics: tuple[str, ...] = (),
        item_error: Callable[[FacebookRequestError], bool] = lambda _error: False,
    ) -> list[object]:
        """The JSON answers to `requests`, in their order, asked in batches of up to 50. An error `item_error`
        accepts is about its request's object alone and is that request's answer (a FacebookRequestError); any
        other error fails the whole read as `_call` fails a lone call (throttles waited out, transient errors
        retried, without asking again the requests already answered). A batch Graph answers in part (out of
        time) is sent again with the requests it left, with a fresh count of attempts while each answers some."""
        answers: dict[int, object] = {}
        # The first request for an account goes alone: an account Meta refuses (a throttle, a lost permission, a
        # bad token) then costs one call, not a batch of them, as every request in a batch counts against the
        # limits. Once the account has answered, its later reads in this client go in full batches.
        first_size = MAX_REQUESTS_PER_BATCH if object_id in self._answered else 1
        for indices in batch_ranges(len(requests), first_size):
            while any(index not in answers for index in indices):
                self._call(
                    object_id, lambda i=indices: self._send_batch(object_id, requests, i, answers, item_error), metrics
                )
            self._answered.add(object_id)
        return [answers[index] for index in range(len(requests))]

    def _send_batch(
        self,
        object_id: str,
        requests: Sequence[BatchedRequest],
        indices: range,
        answers: dict[int, object],
        item_error: Callable[[FacebookRequestError], bool],
    ) -> None:
        """One batch of the requests at `indices` not yet answered; their answers go into `answers`. The first
        error Graph answered that is not an item's own is raised as the SDK raises a lone call's; a batch that
        answered none of its requests (out of time) is a transient failure."""
        batch = self._api_for(object_id).new_batch()
        failures: dict[int, FacebookResponse] = {}
        asked = [index for index in indices if index not in answers]
        for index in asked:
            requests[index](
                batch,
                lambda response, i=index: answers.__setitem__(i, response.json()),
                lambda response, i=index: failures.__setitem__(i, response),
            )
        try:
            batch.execute()
        except AttributeError:  # the SDK reads each entry with .get: the answer was not a list of entries
            raise MalformedPayloadError(
                self.PLATFORM,
                f"Meta answered a batch of requests for {self.NOUN} {object_id} with something other than a list of answers.",
                object_id,
            ) from None
        for index in sorted(failures):
            error = graph_error(failures[index])
            if not item_error(error):
                raise error
            answers[index] = error
        if all(index not in answers for index in asked):
            raise TransientPlatformError(
                self.PLATFORM,
                f"Meta's batch left all {len(asked)} request(s) for {self.NOUN} {object_id} unanswered (out of time).",
                object_id,
            )

    def _throttled_beyond_patience(self, object_id: str, regain: dict[str, float], said: str) -> PlatformThrottledError:
        """The one message for a business throttled longer than the run waits; its accounts are remembered, so
        that the run's later calls for them fail with it at once."""
        now = clock.now(dt.UTC)
        regains_at = now + dt.timedelta(seconds=max(regain.values()))
        businesses = " and ".join(sorted(regain))
        message = (
            f"Meta throttles the calls counted against {businesses} (its Business Use Case rate limit; met reading "
            f"{self.NOUN} {object_id}, {said}) until about {regains_at:%Y-%m-%d %H:%M} UTC, longer than a run waits "
            f"({self.settings.max_throttle_wait_seconds / 60:.0f} minutes). Its accounts are not called again in this "
            f"run and keep their earlier data. Rerun the sync for these days after {regains_at:%H:%M} UTC, or let the "
            "next nightly sync fetch them; if it recurs, the limit grows with the Page's or account's engaged "
            "audience, and fewer days per run spend fewer calls."
        )
        throttles = [
            BusinessThrottle(business, now + dt.timedelta(seconds=seconds), message)
            for business, seconds in regain.items()
        ]
        BUSINESS_THROTTLES.remember(self.settings.graph_url, object_id, throttles)
        log.warning("%s", message)
        return PlatformThrottledError(self.PLATFORM, message, object_id)

    def _classify(self, error: FacebookRequestError, object_id: str, metrics: tuple[str, ...]) -> PlatformError:
        code = error.api_error_code()
        message = error.api_error_message() or f"HTTP {error.http_status()}"
        where = f"{self.NOUN} {object_id}"
        if code == EXPIRED_TOKEN_CODE:
            return PlatformAuthError(
                self.PLATFORM,
                f"Meta rejected the access token while reading {where} (code 190: {message}). Generate a new Page token and set META_PAGE_ACCESS_TOKEN.",
                object_id,
            )
        if (code, error.api_error_subcode()) == MISSING_PAGE_TASK:
            return PlatformAuthError(
                self.PLATFORM,
                f"The token's user has no task on {where} that lets it read insights (code {code}/{MISSING_PAGE_TASK[1]}: {message}). {self.TASK_ADVICE}",
                object_id,
            )
        if code in PERMISSION_CODES:
            return PlatformAuthError(
                self.PLATFORM,
                f"The token may not read insights of {where} (code {code}: {message}). Give it the {self.PERMISSIONS} permissions ({self.PERMISSION_ADVICE}), then set META_PAGE_ACCESS_TOKEN.",
                object_id,
            )
        if code == 100 and (retired := self.retired_metric_error(object_id, message, metrics)) is not None:
            return retired
        if code in THROTTLE_CODES:
            return PlatformThrottledError(self.PLATFORM, f"Meta throttled {where} (code {code}: {message}).", object_id)
        if code in TRANSIENT_CODES or (error.http_status() or 0) >= 500:
            return TransientPlatformError(
                self.PLATFORM,
                f"Meta answered HTTP {error.http_status()} for {where} (code {code}: {message}).",
                object_id,
            )
        return PlatformConfigError(
            self.PLATFORM, f"Meta refused the request for {where} (code {code}: {message}).", object_id
        )


def graph_error(response: FacebookResponse) -> FacebookRequestError:
    """The error of a request answered inside a batch, as the SDK raises a lone call's (`FacebookResponse.error`),
    with its headers as a mapping: a batch answer lists them as [{"name", "value"}]."""
    listed = response.headers()
    headers = {entry["name"]: entry["value"] for entry in listed} if isinstance(listed, list) else dict(listed or {})
    return FacebookRequestError("Call was not successful", {}, response.status(), headers, response.body())


def batch_ranges(count: int, first_size: int) -> list[range]:
    """The indices of `count` requests in batches: the first of `first_size`, the others of up to 50."""
    ranges, start, size = [], 0, first_size
    while start < count:
        ranges.append(range(start, min(start + size, count)))
        start, size = start + size, MAX_REQUESTS_PER_BATCH
    return ranges
