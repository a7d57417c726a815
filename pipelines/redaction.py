"""Dagster's side of connectors/redaction.py: nothing an asset hands to Dagster carries a secret.

Dagster stores three kinds of text from a step: its log lines (scrubbed as every log record is made, once
`connectors.redaction.scrub_every_log_record` is installed: definitions.py does it), the metadata and check
results it returns, and the error it fails with. `keeps_secrets_out` wraps an asset's body and scrubs the
last two, after the asset has finished formatting them.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable
from typing import Any

import dagster as dg

from connectors.redaction import Scrubber, scrub_value


def keeps_secrets_out(compute: Callable[..., Any]) -> Callable[..., Any]:
    """The asset body `compute`, its result's metadata and check results scrubbed, and an error whose text
    holds a secret replaced by a Failure with the scrubbed message (the original is not chained: its traceback
    would carry the secret into the run's storage). Errors without a secret pass unchanged."""

    @functools.wraps(compute)
    def run(*args, **kwargs):
        try:
            result = compute(*args, **kwargs)
        except Exception as error:
            scrub = Scrubber()
            told = "".join(traceback.format_exception(error))
            if scrub(told) == told:
                raise
            allow_retries = error.allow_retries if isinstance(error, dg.Failure) else True
            message = error.description if isinstance(error, dg.Failure) else f"{type(error).__name__}: {error}"
            raise dg.Failure(description=scrub(message or ""), allow_retries=allow_retries) from None
        return _scrubbed(result, Scrubber())

    return run


def _scrubbed(result: Any, scrub: Scrubber) -> Any:
    if isinstance(result, dg.MaterializeResult):
        return result._replace(
            metadata=_scrubbed_metadata(result.metadata, scrub),
            check_results=[_scrubbed(check, scrub) for check in result.check_results or []],
        )
    if isinstance(result, dg.AssetCheckResult):
        return result._replace(
            description=scrub(result.description) if result.description else result.description,
            metadata=_scrubbed_metadata(result.metadata, scrub),
        )
    return result


def _scrubbed_metadata(metadata, scrub: Scrubber) -> dict:
    """Metadata as an asset gives it (plain values) or as Dagster normalized it (MetadataValue objects)."""
    scrubbed = {}
    for name, value in (metadata or {}).items():
        if isinstance(value, dg.TextMetadataValue):
            value = dg.MetadataValue.text(scrub(value.value))
        elif isinstance(value, dg.MarkdownMetadataValue):
            value = dg.MetadataValue.md(scrub(value.value))
        scrubbed[name] = scrub_value(value, scrub)
    return scrubbed
