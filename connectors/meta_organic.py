"""What the organic Graph sources (Facebook Pages, Instagram accounts) share: reading the ids and the
Page token from the settings, one SDK session, and Graph's errors as ours (the error codes live once,
in meta_ads.py), retried with backoff a few times when Graph throttles or fails transiently. Unlike
the ad connector, it does not read Meta's usage headers to wait out a throttle.

A source subclasses `OrganicGraphClient`, names what it reads (`NOUN`, `PERMISSIONS`, `PERMISSION_ADVICE`)
and says how Graph words a metric it no longer serves (`retired_metric_error`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

import requests
from facebook_business.api import FacebookAdsApi
from facebook_business.exceptions import FacebookRequestError
from facebook_business.session import FacebookSession

from connectors.endpoints import credentialed_url
from connectors.errors import (
    PlatformAuthError,
    PlatformConfigError,
    PlatformError,
    PlatformThrottledError,
    TransientPlatformError,
)
from connectors.meta_ads import EXPIRED_TOKEN_CODE, PERMISSION_CODES, THROTTLE_CODES, TRANSIENT_CODES

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
TOKEN_SETTINGS = ("META_PAGE_ACCESS_TOKEN", "META_ACCESS_TOKEN")

log = logging.getLogger(__name__)


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


class OrganicGraphClient:
    """One SDK session, and every Graph call made through `_call`; `sleep` is the clock it waits with."""

    PLATFORM = ""
    NOUN = ""  # what one slice is, e.g. "Facebook Page"
    PERMISSIONS = ""
    PERMISSION_ADVICE = ""  # where such a token comes from

    def __init__(self, settings, sleep: Callable[[float], None] = time.sleep):
        self.settings = settings
        self.sleep = sleep
        session = FacebookSession(access_token=settings.access_token, timeout=120)
        session.GRAPH = settings.graph_url  # the SDK's documented base-URL attribute
        self._api = FacebookAdsApi(session, api_version=FacebookAdsApi.API_VERSION)

    def close(self) -> None:
        self._api._session.requests.close()

    def retired_metric_error(self, object_id: str, message: str, metrics: tuple[str, ...]) -> PlatformError | None:
        """The error for Graph's refusal of a metric (code 100), naming it and its replacement; None when
        `message` is not such a refusal."""
        raise NotImplementedError

    def _call(self, object_id: str, operation: Callable, metrics: tuple[str, ...] = ()):
        """`operation()`, retried while Graph throttles or fails transiently; otherwise its error as ours."""
        backoff = self.settings.backoff
        waited = 0.0
        attempt = 0
        while True:
            attempt += 1
            try:
                return operation()
            except FacebookRequestError as error:
                problem = self._classify(error, object_id, metrics)
            except requests.RequestException as error:
                problem = TransientPlatformError(
                    self.PLATFORM,
                    f"Could not reach Meta for {self.NOUN} {object_id} ({type(error).__name__}).",
                    object_id,
                )
            # Decided outside the except blocks: the SDK's exception (which carries the token) is not chained.
            if problem.retryable and attempt < backoff.attempts:
                delay = backoff.delay(attempt)
                waited += delay if isinstance(problem, PlatformThrottledError) else 0
                if waited <= self.settings.max_throttle_wait_seconds:
                    log.warning("Meta %s %s failed (%s); retry in %.1fs", self.NOUN, object_id, problem, delay)
                    self.sleep(delay)
                    continue
            raise problem

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
