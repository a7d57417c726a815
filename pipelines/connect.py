"""`social-roi connect`: from credentials to a configuration, without looking up a single id by hand.

For each login (connectors/discovery.py: Meta, LinkedIn, GA4) it lists every account, Page,
Instagram account, organization and property the credentials can see, and every one the
configuration already names. Each is checked with its platform's own `check`, the same call and
the same words as `social-roi check` and a failed night, so a refusal here names what to grant and
where. The user then chooses (`--all`, `--accounts`, or a numbered list typed in), and the chosen
ids are written to the settings file, or to the client's table of the clients file: ids only,
never a secret (DECISIONLOG.md, "social-roi connect writes ids, and secrets apart").

A login's choice is its whole configuration: a setting of its platforms that gets no id is removed
from the file, so a Page left out of `--accounts` is no longer synced. `--all` keeps what the
configuration names even when its check fails now (`every_usable_or_configured`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from connectors.discovery import Connection, Found
from connectors.errors import PlatformError
from connectors.platform import Platform
from connectors.redaction import scrub, secret_settings
from pipelines.check import FAILED, OK, WARNING, check_platform, credential_lines

# What a user types to choose every usable one in the numbered list, or none of them.
EVERY_USABLE = ("", "all")
NONE_OF_THEM = ("none", "skip")


class ConnectError(ValueError):
    """A choice or a login that cannot be used; the message says what to do."""


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One account as `connect` shows it: what the listing said, and the check's verdict."""

    found: Found
    problem: str | None  # the check's (or the listing's) words; None: a sync can read it
    configured: bool  # the configuration names it already

    @property
    def usable(self) -> bool:
        return self.problem is None


@dataclasses.dataclass(frozen=True)
class Survey:
    """What one login sees, checked."""

    connection: Connection
    candidates: tuple[Candidate, ...]
    warnings: tuple[str, ...]


def ids_setting(platform: Platform) -> str:
    """The one setting that lists a platform's accounts (META_AD_ACCOUNT_IDS, GA4_PROPERTY_IDS, ...)."""
    [name] = [name for name in platform.setting_names if name.endswith("_IDS")]
    return name


def same_id(a: str, b: str) -> bool:
    """Whether two spellings name one account: act_123 / 123, urn:li:sponsoredAccount:5 / 5, properties/9 / 9;
    never two kinds (urn:li:organization:5 / urn:li:sponsoredAccount:5)."""
    a, b = a.strip(), b.strip()
    if a == b:
        return True
    digits = _digits(a)
    if not digits or digits != _digits(b):
        return False
    kind_a, kind_b = a.removesuffix(digits), b.removesuffix(digits)
    return not kind_a or not kind_b or kind_a == kind_b


def _digits(text: str) -> str:
    match = re.search(r"(\d+)\s*$", text)
    return match.group(1) if match else ""


def configured_ids(env: Mapping[str, str], setting: str) -> list[str]:
    return [part.strip() for part in (env.get(setting) or "").split(",") if part.strip()]


def survey(connection: Connection, env: Mapping[str, str], platforms: Mapping[str, Platform]) -> Survey:
    """Everything the login sees and everything its platforms' settings name, each checked alone."""
    discovery = connection.discover(env)
    found = list(discovery.found)
    configured: set[tuple[str, str]] = set()
    for name in connection.platforms:
        setting = ids_setting(platforms[name])
        for account in configured_ids(env, setting):
            match = next((item for item in found if item.setting == setting and same_id(item.id, account)), None)
            if match is None:  # named by the configuration, not listed: access lost, or never given
                kind = next((item.kind for item in found if item.setting == setting), "account")
                match = Found(name, setting, account, "(not listed for these credentials)", kind)
                found.append(match)
            configured.add((match.setting, match.id))
    warnings = [warning.message for warning in discovery.warnings]
    for name in connection.platforms:  # once per platform, in `check`'s words: a token that expires soon
        one = next((item for item in found if item.platform == name), None)
        for line in credential_lines(platforms[name], {**env, one.setting: one.id}) if one else []:
            if line.detail and line.detail not in warnings:
                warnings.append(line.detail)
    candidates = []
    for item in found:
        # The check's words first, so that connect and `check` say the same; the listing's (a Page's tasks)
        # where the check passed.
        problem, said = verdict(platforms[item.platform], item, env)
        problem = problem or item.problem
        warnings.extend(message for message in said if message not in warnings)
        candidates.append(Candidate(item, problem, (item.setting, item.id) in configured))
    secrets = secret_settings(env)
    return Survey(
        connection,
        tuple(dataclasses.replace(c, problem=c.problem and scrub(c.problem, secrets)) for c in candidates),
        tuple(scrub(message, secrets) for message in warnings),
    )


def verdict(platform: Platform, item: Found, env: Mapping[str, str]) -> tuple[str | None, list[str]]:
    """The platform's `check` of this one account: its problem (None when a sync can read it) and what
    the check warns of besides."""
    lines = check_platform(platform, {**env, item.setting: item.id}, credential_warnings=False)
    problems = [line.detail or line.status for line in lines if line.status == FAILED]
    warnings = [line.detail for line in lines if line.status == WARNING and line.detail]
    if not problems and not any(line.status == OK for line in lines):
        problems = [f"{platform.name} could not be checked: {lines[0].status}: {lines[0].detail}"]
    return (problems[0] if problems else None), warnings


def describe(survey: Survey, numbered_from: int = 1) -> str:
    """The numbered list the user chooses from: kind, id, name, currency and time zone, and the verdict."""
    rows = []
    for number, candidate in enumerate(survey.candidates, numbered_from):
        item = candidate.found
        where = f"{item.name}" + (f" ({item.parent})" if item.parent else "")
        money = " ".join(part for part in (item.currency, item.time_zone) if part)
        status = "OK" if candidate.usable else f"FAILED: {candidate.problem}"
        marks = " [configured]" if candidate.configured else ""
        rows.append((f"[{number}]", item.kind, item.id, where, money, status + marks))
    widths = [max((len(row[column]) for row in rows), default=0) for column in range(5)]
    return "\n".join(
        "  " + "  ".join(cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True)) + "  " + row[5]
        for row in rows
    )


def choose_accounts(candidates: Sequence[Candidate], wanted: Iterable[str]) -> list[Candidate]:
    """The candidates `--accounts` names (any spelling of an id): each must be listed and usable."""
    chosen, unknown, refused = [], [], []
    for account in wanted:
        match = [candidate for candidate in candidates if same_id(candidate.found.id, account)]
        if not match:
            unknown.append(account)
        for candidate in match:
            (chosen if candidate.usable else refused).append(candidate)
    if unknown:
        raise ConnectError(
            f"{', '.join(unknown)}: not among the accounts these credentials can see or the configuration names; "
            "run `social-roi connect` without --accounts to list them."
        )
    if refused:
        raise ConnectError(
            "a sync could not read "
            + "; ".join(f"{c.found.id}: {c.problem}" for c in refused)
            + ". Nothing was written: fix that, or leave it out of --accounts."
        )
    return chosen


def every_usable_or_configured(candidates: Sequence[Candidate]) -> list[Candidate]:
    """What `--all` (and Enter) chooses: every account a sync can read, and every one the configuration
    names already, even if its check failed now: a check cannot tell lost access from a passing outage
    (a spent quota), and an account dropped quietly is never synced again, where one kept fails the
    night loudly until it is fixed or left out with --accounts."""
    return [candidate for candidate in candidates if candidate.usable or candidate.configured]


def choose_by_number(candidates: Sequence[Candidate], answer: str) -> list[Candidate]:
    """What a typed answer chooses: Enter or `all` every usable one, `none` nothing, or numbers and
    ranges (`1,3-5`), each of a usable one."""
    text = answer.strip().lower()
    if text in EVERY_USABLE:
        return every_usable_or_configured(candidates)
    if text in NONE_OF_THEM:
        return []
    numbers: list[int] = []
    for part in re.split(r"[,\s]+", text):
        first, _, last = part.partition("-")
        if not first.isdigit() or (last and not last.isdigit()):
            raise ConnectError(f"{part!r} is not a number or a range (1,3-5); Enter takes every usable one.")
        numbers.extend(range(int(first), int(last or first) + 1))
    chosen = []
    for number in numbers:
        if not 1 <= number <= len(candidates):
            raise ConnectError(f"there is no [{number}]: choose from 1 to {len(candidates)}.")
        candidate = candidates[number - 1]
        if not candidate.usable:
            raise ConnectError(f"[{number}] {candidate.found.id} cannot be synced: {candidate.problem}")
        chosen.append(candidate)
    return chosen


def settings_to_write(
    survey: Survey, chosen: Iterable[Candidate], platforms: Mapping[str, Platform]
) -> dict[str, str | None]:
    """Each of the login's platforms' id setting: the chosen ids in listing order, None (removed) for none."""
    chosen_keys = {(c.found.setting, c.found.id) for c in chosen}
    values: dict[str, str | None] = {}
    for name in survey.connection.platforms:
        setting = ids_setting(platforms[name])
        ids = [
            c.found.id for c in survey.candidates if c.found.setting == setting and (setting, c.found.id) in chosen_keys
        ]
        values[setting] = ",".join(dict.fromkeys(ids)) or None
    return values


def shadowed(values: Mapping[str, object], set_by_environment: frozenset[str], written_to: Path) -> list[str]:
    """A line per setting the process's environment also sets, which wins over the file."""
    return [
        f"{name} is also set in the environment, which wins over {written_to}: unset it to use what was written."
        for name in values
        if name in set_by_environment
    ]


def connections_named(names: Sequence[str]) -> list[Connection]:
    from connectors.registry import connections

    every = connections()
    by_name = {connection.name: connection for connection in every}
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise ConnectError(f"no login called {', '.join(unknown)}: connect {' | '.join(by_name)}, or none for all.")
    return [by_name[name] for name in names] if names else list(every)


def run_connect(
    names: Sequence[str],
    env: Mapping[str, str],
    *,
    every_usable: bool,
    accounts: Sequence[str] | None,
    ask: Callable[[str], str] | None,
    write: Callable[[dict[str, str | None]], Path],
    set_by_environment: frozenset[str],
    say: Callable[[str], None] = print,
) -> int:
    """List, check, choose and write, for the named logins (none: every login that has credentials).

    `ask` reads the user's answer to the numbered list (None where nobody can answer: then only
    `every_usable` or `accounts` write anything); `write` stores the settings and says where;
    `set_by_environment` are the variables the process's environment itself sets, which win over
    the file. Exit status: 1 when a login could not be used at all or nothing chosen can be synced."""
    from connectors.registry import PLATFORMS

    platforms = {platform.name: platform for platform in PLATFORMS}
    status = 0
    surveys: list[Survey] = []
    for connection in connections_named(names):
        if not connection.configured(env):
            line = f"{connection.name}: not configured: set {connection.credentials_hint}."
            if names:
                raise ConnectError(line)
            say(line)
            continue
        try:
            surveys.append(survey(connection, env, platforms))
        except PlatformError as error:
            say(f"{connection.name}: FAILED: {scrub(str(error), secret_settings(env))}")
            status = 1
    if not surveys:
        if status == 0:
            raise ConnectError(
                "no login has credentials: set them for at least one ("
                + "; ".join(f"{c.name}: {c.credentials_hint}" for c in connections_named(()))
                + ")."
            )
        return status
    number = 1
    for found in surveys:
        say(f"{found.connection.name}: {len(found.candidates)} visible or configured")
        say(describe(found, number))
        number += len(found.candidates)
        for warning in found.warnings:
            say(f"  WARNING: {warning}")
    every = [candidate for found in surveys for candidate in found.candidates]
    if accounts is not None:
        chosen = choose_accounts(every, accounts)
    elif every_usable:
        chosen = every_usable_or_configured(every)
    elif ask is not None:
        chosen = choose_by_number(
            every,
            ask("Sync which? Numbers and ranges (1,3-5); Enter: every usable one and those configured; none: none: "),
        )
    else:
        say("Nothing written: choose with --all (every usable one) or --accounts ID,ID.")
        return status
    values: dict[str, str | None] = {}
    for found in surveys:
        values.update(settings_to_write(found, chosen, platforms))
    written_to = write(values)
    kept = [name for name, value in values.items() if value is not None]
    say(
        f"Wrote {', '.join(kept) or 'no account'} to {written_to}"
        + (f" (removed {', '.join(removed)})" if (removed := [n for n, v in values.items() if v is None]) else "")
        + "."
    )
    for candidate in every:
        if candidate.configured and candidate not in chosen:
            say(f"  {candidate.found.id} is no longer configured.")
        elif candidate.configured and not candidate.usable:
            say(
                f"  WARNING: {candidate.found.id} stays configured though a sync cannot read it now ({candidate.problem}): "
                "fix that, or leave it out with --accounts."
            )
    for line in shadowed(values, set_by_environment, written_to):
        say(f"  WARNING: {line}")
    if not chosen:
        return 1
    say("Next: `social-roi check`, then `social-roi sync --start YYYY-MM-DD --end YYYY-MM-DD`.")
    return status
