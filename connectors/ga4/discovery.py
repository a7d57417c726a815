"""What a Google login can see in GA4, for `social-roi connect ga4`: every property with its GA4
account, currency and time zone, through the official google-analytics-admin client.

One accountSummaries.list, paged (every account the credentials can access, with its properties), then
one properties.get per property for its currency and time zone, which the summaries do not carry
(Admin API v1beta: https://developers.google.com/analytics/devguides/config/admin/v1/rest). Nothing
is written. Whether a sync may read each property is the GA4 check's to say (client.check_access):
the Admin API lists what a Viewer may see, the Data API decides.

Endpoints and credentials are the Data API's (client.py): an http:// GA4_API_URL is the sandbox over
REST without credentials; otherwise Google's own Admin API (analyticsadmin.googleapis.com, whatever
GA4_API_URL says, as that names the Data API's host) with the service-account key file
GOOGLE_APPLICATION_CREDENTIALS names, or application default credentials. GA4_GRPC_TARGET alone is
refused with what to set instead: the sandbox serves the Admin API over REST only.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import requests
from google.analytics.admin_v1beta import AnalyticsAdminServiceClient
from google.analytics.admin_v1beta.types import GetPropertyRequest, ListAccountSummariesRequest
from google.api_core import exceptions as google_errors
from google.auth import exceptions as google_auth_errors

from connectors.discovery import Connection, Discovery, Found
from connectors.errors import PlatformAuthError, PlatformConfigError, PlatformError, TransientPlatformError
from connectors.ga4.client import (
    CREDENTIALS_FIX,
    PLATFORM,
    TRANSIENT_ERRORS,
    Ga4Settings,
    api_not_enabled,
    grant_viewer_fix,
    is_credential_failure,
    plain_http_client_arguments,
    platform_message,
    service_account_email,
    user_credentials,
)
from connectors.platform import CheckWarning

SETTING = "GA4_PROPERTY_IDS"
# accountSummaries.list's largest page ("The maximum value is 200; higher values will be coerced").
ACCOUNT_SUMMARIES_PAGE_SIZE = 200
CREDENTIALS_HINT = (
    "GOOGLE_APPLICATION_CREDENTIALS (a service-account key file), or application default credentials "
    "(`gcloud auth application-default login`)"
)


def discover(env: Mapping[str, str]) -> Discovery:
    """Every GA4 property the credentials in `env` can see, as GA4_PROPERTY_IDS takes it
    ("properties/123"), with its name, GA4 account, currency and time zone. PlatformError naming the
    setting and the fix when the credentials cannot be used or the Admin API refuses them."""
    settings = Ga4Settings.connection_from_env(env)
    client = build_admin_client(settings)
    try:
        found = tuple(_found(client, settings))
    finally:
        client.transport.close()
    if found:
        return Discovery(found=found)
    who = service_account_email(settings) or "These credentials"
    return Discovery(
        found=(),
        warnings=(
            CheckWarning(
                f"{who} can see no GA4 property yet: add it as a Viewer on each property to sync, in GA4 Admin → Property access management (or on the GA4 account, under Account access management)."
            ),
        ),
    )


def build_admin_client(settings: Ga4Settings) -> AnalyticsAdminServiceClient:
    """The official Admin API client: REST without credentials for the sandbox's http:// endpoint,
    otherwise Google's default endpoint and transport with the user's credentials."""
    if settings.grpc_target:
        raise PlatformConfigError(
            PLATFORM,
            f"GA4_GRPC_TARGET={settings.grpc_target!r} serves only the Data API's runReport, not the Admin API that lists the properties: for `social-roi connect ga4` against the sandbox, set GA4_API_URL to its http:// address (`social-roi sandbox` prints it) instead.",
        )
    if settings.uses_plain_http:
        return AnalyticsAdminServiceClient(**plain_http_client_arguments(settings))
    return AnalyticsAdminServiceClient(credentials=user_credentials(settings))


def _found(client: AnalyticsAdminServiceClient, settings: Ga4Settings) -> Iterator[Found]:
    timeout = settings.request_timeout_seconds
    summaries = _call(
        "list the GA4 accounts",
        lambda: client.list_account_summaries(
            request=ListAccountSummariesRequest(page_size=ACCOUNT_SUMMARIES_PAGE_SIZE), retry=None, timeout=timeout
        ),
    )
    for page in _call("list the GA4 accounts", lambda: list(summaries.pages)):
        for account in page.account_summaries:
            for summary in account.property_summaries:
                yield _property(client, settings, summary.property, summary.display_name, account.display_name)


def _property(
    client: AnalyticsAdminServiceClient, settings: Ga4Settings, name: str, display_name: str, account: str
) -> Found:
    """The property's row, its currency and time zone from properties.get; a property the summaries
    list but properties.get refuses keeps its row, with the refusal and its fix as the problem."""
    found = Found(platform=PLATFORM, setting=SETTING, id=name, name=display_name, kind="property", parent=account)
    try:
        prop = _call(
            f"read GA4 {name}",
            lambda: client.get_property(
                request=GetPropertyRequest(name=name), retry=None, timeout=settings.request_timeout_seconds
            ),
            account=name,
        )
    except PlatformAuthError as error:
        if error.account != name:
            raise  # the credentials themselves, not this property
        return dataclasses.replace(found, problem=f"{error} {grant_viewer_fix(settings)}")
    return dataclasses.replace(
        found,
        name=prop.display_name or display_name,
        currency=prop.currency_code or None,
        time_zone=prop.time_zone or None,
    )


def _call(what: str, call, account: str | None = None):
    """`call`'s answer, or the PlatformError that says what to do about Google's refusal (a refusal of
    `account` itself, PERMISSION_DENIED, names it). Google's exception is never chained onto ours: it
    may quote the request."""
    try:
        return call()
    except google_errors.GoogleAPICallError as error:
        problem = _refused(error, what, account)
    except google_auth_errors.RefreshError as error:
        # google-auth marks a refresh that failed on a 5xx or a timeout as retryable: Google's outage, not the key
        problem = (
            TransientPlatformError(
                PLATFORM, f"Google's token endpoint failed when asked to {what} ({error}). Run again later."
            )
            if getattr(error, "retryable", False)
            else PlatformAuthError(
                PLATFORM, f"The GA4 credentials could not get an access token to {what} ({error}). {CREDENTIALS_FIX}"
            )
        )
    except (google_auth_errors.TransportError, requests.RequestException) as error:
        problem = TransientPlatformError(
            PLATFORM, f"Could not reach Google to {what} ({type(error).__name__}). Run again later."
        )
    raise problem


def _refused(error: google_errors.GoogleAPICallError, what: str, account: str | None) -> PlatformError:
    message = platform_message(error)
    if disabled := api_not_enabled(error):
        return PlatformConfigError(PLATFORM, f"Google refused to {what}: {disabled}")
    if is_credential_failure(error) or isinstance(error, google_errors.Unauthorized):
        return PlatformAuthError(
            PLATFORM, f"Google rejected the GA4 credentials asked to {what} ({message}). {CREDENTIALS_FIX}"
        )
    if isinstance(error, google_errors.Forbidden):
        fix = "" if account else f" {CREDENTIALS_FIX}"
        return PlatformAuthError(PLATFORM, f"Google refused to {what} (PERMISSION_DENIED: {message}).{fix}", account)
    if isinstance(error, TRANSIENT_ERRORS):
        return TransientPlatformError(
            PLATFORM, f"Google failed to {what} ({type(error).__name__}: {message}). Run again later."
        )
    return PlatformError(PLATFORM, f"Google refused to {what} ({type(error).__name__}: {message}).")


def configured(env: Mapping[str, str]) -> bool:
    """Whether `discover` has something to go on: the sandbox's http:// GA4_API_URL (it needs no
    credentials), a key file, gcloud's application default credentials, or GA4_GRPC_TARGET (so that
    `connect` says what to set instead)."""
    plain_http = (env.get("GA4_API_URL") or "").strip().lower().startswith("http://")
    named = any((env.get(name) or "").strip() for name in ("GOOGLE_APPLICATION_CREDENTIALS", "GA4_GRPC_TARGET"))
    return plain_http or named or _gcloud_credentials_file(env).is_file()


def _gcloud_credentials_file(env: Mapping[str, str]) -> Path:
    """Where `gcloud auth application-default login` leaves its credentials, as google-auth looks for
    them (google/auth/_cloud_sdk.py: $CLOUDSDK_CONFIG, else ~/.config/gcloud; %APPDATA%\\gcloud on Windows)."""
    config = (env.get("CLOUDSDK_CONFIG") or "").strip()
    if not config:
        home = env.get("APPDATA") if os.name == "nt" else os.path.join(env.get("HOME") or "~", ".config")
        config = os.path.join(os.path.expanduser(home or "~"), "gcloud")
    return Path(config) / "application_default_credentials.json"


CONNECTION = Connection(
    name="ga4",
    platforms=(PLATFORM,),
    credentials_hint=CREDENTIALS_HINT,
    discover=discover,
    configured=configured,
)
