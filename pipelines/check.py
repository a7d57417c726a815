"""`social-roi check`: is this installation ready for tonight's sync?

One line per platform account (or property), each proven by one cheap read-only call with the
same client and error sorting a sync uses, so a line says what a sync would meet and what to fix.
The warehouse and its published copy are checked for being writable. Nothing is written to the
warehouse, and no token, secret or key ever reaches a line.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from connectors.errors import PlatformError
from connectors.platform import CheckWarning, Platform
from connectors.redaction import scrub, secret_settings
from connectors.registry import PLATFORMS
from pipelines.lake import Lake, LakeError
from pipelines.private_files import private_directory
from pipelines.settings import (
    LAKE_DATA_PATH,
    LOCAL_DIR,
    PUBLISHED,
    WAREHOUSE,
    local_directory,
    published_path,
    warehouse_location,
)

OK = "OK"
FAILED = "FAILED"
WARNING = "WARNING"  # works tonight, needs doing soon (an API version close to its sunset); not a failure
NOT_CONFIGURED = "not configured"
NOT_CHECKED = "configured"  # a source with nothing to log in to (public reference data)


@dataclasses.dataclass(frozen=True)
class CheckLine:
    """One verdict: `subject` is a platform (or "warehouse" / "published"), `target` an account, a
    property or a path, `detail` what is wrong and how to fix it."""

    subject: str
    target: str
    status: str
    detail: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == FAILED


def check_all(env: Mapping[str, str] = os.environ, platforms: Iterable[Platform] = PLATFORMS) -> list[CheckLine]:
    """The warehouse paths, then every platform in sync order: configured or not, and each account's access."""
    lines = [*check_paths(env)]
    for platform in platforms:
        lines.extend(check_platform(platform, env))
    # The settings checked may not be the process's own: their secrets are blanked out too, whichever library quoted them.
    secrets = secret_settings(env)
    return [dataclasses.replace(line, detail=line.detail and scrub(line.detail, secrets)) for line in lines]


def check_platform(platform: Platform, env: Mapping[str, str], credential_warnings: bool = True) -> list[CheckLine]:
    """The platform's lines: each account's access, then what needs doing soon about its credential."""
    lines = _account_lines(platform, env)
    if credential_warnings and not any(line.status in (NOT_CONFIGURED, NOT_CHECKED) for line in lines):
        lines.extend(credential_lines(platform, env))
    return lines


def credential_lines(platform: Platform, env: Mapping[str, str]) -> list[CheckLine]:
    """A WARNING line for each thing to do soon about the platform's credential (a token that expires
    within 14 days); what every run that syncs the platform logs too (pipelines/assets/raw.py)."""
    if platform.credential_warnings is None:
        return []
    try:
        settings = platform.settings_from_env(env)
    except PlatformError:  # half configured: the accounts' line says what is missing
        return []
    if settings is None:
        return []
    try:
        return [
            CheckLine(platform.name, "credentials", WARNING, warning.message)
            for warning in platform.credential_warnings(settings)
        ]
    except PlatformError as error:
        reason = str(error)
    except Exception as error:  # noqa: BLE001 - a warning that cannot be read must not fail the check or a sync
        reason = f"the expiry check stopped with {type(error).__name__}"  # a library's message may quote the request
    return [CheckLine(platform.name, "credentials", WARNING, f"its expiry could not be read: {reason}")]


def _account_lines(platform: Platform, env: Mapping[str, str]) -> list[CheckLine]:
    try:
        settings = platform.settings_from_env(env)
    except PlatformError as error:  # half configured: the message names what is missing
        return [CheckLine(platform.name, "-", FAILED, str(error))]
    if settings is None:
        return [CheckLine(platform.name, "-", NOT_CONFIGURED, f"set {platform.credentials_hint} to ingest it")]
    if platform.check is None:
        return [CheckLine(platform.name, "-", NOT_CHECKED, "no credentials to check")]
    lines = []
    try:
        for account, problem in platform.check(settings):
            if problem is None:
                lines.append(CheckLine(platform.name, account, OK))
            elif isinstance(problem, CheckWarning):
                lines.append(CheckLine(platform.name, account, WARNING, problem.message))
            else:
                lines.append(CheckLine(platform.name, account, FAILED, problem))
    except Exception as error:  # noqa: BLE001 - a bug in one connector's check must not hide the other platforms
        # Only the type: a library's own message may quote the request, token included.
        lines.append(
            CheckLine(
                platform.name,
                "-",
                FAILED,
                f"the check stopped with {type(error).__name__}; run a sync for the full error",
            )
        )
    return lines


def check_paths(env: Mapping[str, str]) -> list[CheckLine]:
    """The sync writes the warehouse and swaps the published copy in beside it: both directories must take new files.
    A lake's catalog must answer (an empty database gets DuckLake's catalog tables, as a first sync would),
    a data path on a directory must take new files (a bucket is met by the first sync), and so must this
    machine's directory for the lake."""
    warehouse = warehouse_location(env, create=False)
    if isinstance(warehouse, Lake):
        lines = [_lake_answers(warehouse)]
        if not warehouse.on_s3:
            lines.append(_writable("lake data", Path(warehouse.data_path) / ".probe", LAKE_DATA_PATH))
        return [*lines, _writable("local files", local_directory(env) / ".lake", LOCAL_DIR)]
    return [
        _writable("warehouse", warehouse, WAREHOUSE),
        _writable("published", published_path(env), PUBLISHED),
    ]


def _lake_answers(lake: Lake) -> CheckLine:
    try:
        with lake.connect():  # creates an empty lake's catalog: a first sync needs it anyway
            pass
    except LakeError as error:
        return CheckLine("warehouse", lake.catalog, FAILED, str(error))
    return CheckLine("warehouse", lake.catalog, OK)


def _writable(subject: str, path: Path, setting: str) -> CheckLine:
    try:
        private_directory(path.parent)
        # A file really created and removed: permission bits alone miss read-only mounts and full disks.
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".social-roi-check-"):
            pass
    except OSError as error:
        return CheckLine(
            subject,
            str(path),
            FAILED,
            f"cannot create files in {path.parent} ({error.strerror}); set {setting} to a writable place",
        )
    if path.exists() and not os.access(path, os.W_OK):
        return CheckLine(subject, str(path), FAILED, f"{path} is not writable; fix its permissions or set {setting}")
    return CheckLine(subject, str(path), OK)


def format_lines(lines: Iterable[CheckLine]) -> str:
    """Aligned columns: subject, target, then OK / FAILED: why / WARNING: what to do soon / not configured: what to set."""
    lines = list(lines)
    subject_width = max((len(line.subject) for line in lines), default=0)
    target_width = max((len(line.target) for line in lines), default=0)
    rendered = []
    for line in lines:
        verdict = line.status if line.detail is None else f"{line.status}: {line.detail}"
        rendered.append(f"{line.subject:<{subject_width}}  {line.target:<{target_width}}  {verdict}")
    return "\n".join(rendered)


def run_check(env: Mapping[str, str] = os.environ) -> tuple[str, int]:
    """The report to print and the exit code: 1 when any line FAILED, else 0."""
    lines = check_all(env)
    return format_lines(lines), 1 if any(line.failed for line in lines) else 0
