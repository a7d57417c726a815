"""Retrying shared by the connectors: exponential backoff with full jitter, and the retry loop of
the connectors that speak plain HTTP."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email.utils
import logging
import random
import re
from collections.abc import Callable

import requests

from connectors.errors import PlatformThrottledError, TransientPlatformError


@dataclasses.dataclass(frozen=True)
class Backoff:
    attempts: int = 5  # total tries for one call, the first included
    base_seconds: float = 2.0
    max_seconds: float = 120.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed try number `attempt` (1-based). Jitter spreads out retries
        so that parallel runs do not hit the platform again in lockstep."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)


def retry_after_seconds(headers) -> float | None:
    """Retry-After as seconds ("30") or as an HTTP date; None when absent or unreadable."""
    value = (headers.get("Retry-After") or "").strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    # Seconds to wait are the real clock's, not the calendar's (connectors/clock.py): the server's date is real.
    return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())


@dataclasses.dataclass(frozen=True)
class HttpRetry:
    """The retry loop of the connectors that speak plain HTTP with `requests`: 429 waits as long as
    Retry-After says (else backs off) up to a total, 5xx and broken connections back off with
    jitter up to `backoff.attempts` tries. Anything else is returned for the caller to judge."""

    platform: str
    label: str  # how messages name the service, e.g. "LinkedIn"
    backoff: Backoff
    max_throttle_wait_seconds: float
    sleep: Callable[[float], None]
    # What a 429 without Retry-After raises at once, instead of being backed off: for a platform whose limits
    # without Retry-After are daily ones, which no wait within a run outlasts. None: back off as for any 429.
    throttled_for_the_day: Callable[[requests.Response], PlatformThrottledError] | None = None

    def send(
        self,
        send: Callable[[], requests.Response],
        what: str,
        account: str | None = None,
        detail: Callable[[requests.Response], str] = lambda r: r.reason or "",
        throttle_hint: str = "",
    ) -> requests.Response:
        log = logging.getLogger(f"connectors.{self.platform}")
        failures = throttles = 0
        throttle_waited = 0.0
        while True:
            try:
                response, problem = send(), None
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as error:
                response, problem = None, type(error).__name__
            # Decided outside the except block, so the library's exception is never chained onto ours.
            if response is not None and response.status_code == 429:
                throttles += 1
                wait = retry_after_seconds(response.headers)
                if wait is None and self.throttled_for_the_day is not None:
                    raise self.throttled_for_the_day(response)
                wait = self.backoff.delay(throttles) if wait is None else wait
                throttle_waited += wait
                if throttle_waited > self.max_throttle_wait_seconds:
                    raise PlatformThrottledError(
                        self.platform,
                        f"{self.label} throttled {what} for longer than {self.max_throttle_wait_seconds / 60:.0f} minutes. Rerun later.{throttle_hint}",
                        account,
                    )
                log.warning("%s throttled %s; waiting %.1fs", self.label, what, wait)
                self.sleep(wait)
                continue
            if response is not None and response.status_code < 500:
                return response
            failures += 1
            if response is not None:  # a 5xx answer; without one, `problem` names the connection's failure
                problem = f"HTTP {response.status_code} {detail(response)}"
            if failures >= self.backoff.attempts:
                raise TransientPlatformError(
                    self.platform,
                    f"{self.label} kept failing on {what} after {failures} tries ({problem}). Rerun later.",
                    account,
                )
            delay = self.backoff.delay(failures)
            log.warning("%s: %s failed (%s); retry %d in %.1fs", self.label, what, problem, failures, delay)
            self.sleep(delay)
