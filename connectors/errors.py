"""Errors every connector raises, sorted by what the caller should do about them.

Messages name the platform, the account and the fix, and never carry a token: the platforms' own
exception objects (which embed the request, token included) are not chained onto these, and every message
is scrubbed of the run's secrets as it is made (connectors/redaction.py), whatever it quotes.
"""

from connectors.redaction import scrub


class PlatformError(Exception):
    """Base class: something went wrong talking to an ad or analytics platform."""

    retryable = False

    def __init__(self, platform: str, message: str, account: str | None = None):
        self.platform = platform
        self.account = account
        super().__init__(scrub(message))


class PlatformConfigError(PlatformError):
    """Settings are missing or wrong (unknown account id, half-configured platform): fix and rerun."""


class PlatformAuthError(PlatformError):
    """The token is expired, revoked or lacks a permission. Retrying cannot help."""


class PlatformThrottledError(PlatformError):
    """The platform asked us to wait longer than the run is allowed to; rerun later."""

    retryable = True


class TransientPlatformError(PlatformError):
    """Server errors or broken connections that outlasted our retries; a later retry may succeed."""

    retryable = True


class ReportJobError(PlatformError):
    """An asynchronous report kept failing even on the smallest range we could ask for."""

    retryable = True


class MalformedPayloadError(PlatformError):
    """The platform answered with data we cannot parse. Nothing from this response is loaded."""
