"""The two files `social-roi connect` writes, read under the environment by every command and run.

- **The settings file** (`SOCIAL_ROI_SETTINGS_FILE`, default `config/settings.toml`): the single
  advertiser's settings, spelled as in the README's table, one `NAME = "value"` line each. It holds
  ids, names and paths, never a secret: a setting that holds one is refused unless it names the
  environment variable to read (`env:NAME`), as in the clients file. An agency writes each client's
  into its table of the clients file instead (pipelines/clients.py).
- **The secrets file** (`SOCIAL_ROI_SECRETS_FILE`, default `~/.config/social-roi/secrets.toml`,
  outside any repository): environment variables that hold secrets (a LinkedIn refresh token, a
  long-lived Meta token), 0600. A file another user may read is refused, and connect refuses to write
  one inside a git working tree, where it could be committed.

The environment always wins: a variable set there is used whatever the files say (a CI secret, a
one-off override). Then the settings file, then the secrets file. The CLI applies both files to its
own environment before any command, and the Dagster code location does so when it loads, so a run the
daemon launches sees them too.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from typing import Any

import tomlkit

from connectors.redaction import SECRET_SETTING
from pipelines import settings as pipeline_settings
from pipelines.lake import is_lake
from pipelines.private_files import write_private

SETTINGS_FILE = pipeline_settings.SETTINGS_FILE
SECRETS_FILE = pipeline_settings.SECRETS_FILE
DEFAULT_SETTINGS_FILE = Path("config/settings.toml")
FROM_ENVIRONMENT = "env:"
VARIABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# The pipeline's settings that name a file or directory: relative ones are read from the directory of the
# file that sets them (the settings file's, a clients file's). A platform's settings are taken as written.
PATH_SETTINGS = frozenset(
    {
        pipeline_settings.WAREHOUSE,
        pipeline_settings.PUBLISHED,
        pipeline_settings.COST_LEDGER,
        pipeline_settings.KPI_TARGETS,
        pipeline_settings.CONVERSION_VALUES,
        pipeline_settings.BUDGETS,
        pipeline_settings.CAMPAIGN_MAPPING,
        pipeline_settings.CHANNEL_MAPPING,
        pipeline_settings.CONVERSION_GOALS,
        pipeline_settings.CAMPAIGN_OBJECTIVES,
        pipeline_settings.REPORT_DIR,
        pipeline_settings.LAKE_DATA_PATH,
        pipeline_settings.LOCAL_DIR,
    }
)
# Settings no file may set: the one the clients file sets per run, and the files' own places.
NOT_IN_A_FILE = frozenset({pipeline_settings.CLIENT, SETTINGS_FILE, SECRETS_FILE})


class SettingFileError(ValueError):
    """A settings or secrets file cannot be used; the message names the file, the line's setting and the fix."""


def every_setting() -> frozenset[str]:
    """Every setting the README's table lists: the pipeline's own, every platform's, and their windows."""
    from connectors.registry import PLATFORMS  # the platforms' SDKs: only when a file is read

    names = {str(name) for name in pipeline_settings.SETTING_NAMES}
    for platform in PLATFORMS:
        names.update(platform.setting_names)
        if platform.restatement is not None:
            names.update(pipeline_settings.window_setting_names(platform.name))
    return frozenset(names)


def settings_file(env: Mapping[str, str]) -> Path:
    return Path((env.get(SETTINGS_FILE) or "").strip() or DEFAULT_SETTINGS_FILE).expanduser().resolve()


def secrets_file(env: Mapping[str, str]) -> Path:
    written = (env.get(SECRETS_FILE) or "").strip()
    if written:
        return Path(written).expanduser().resolve()
    config_home = (env.get("XDG_CONFIG_HOME") or "").strip() or "~/.config"
    return (Path(config_home).expanduser() / "social-roi" / "secrets.toml").resolve()


def checked_value(
    where: str,
    name: str,
    value: object,
    allowed: frozenset[str],
    base: Path,
    error: type[ValueError] = SettingFileError,
) -> str:
    """A setting's value as a file writes it, checked: text (a list of ids joined by commas), never a
    secret unless it names the variable to read (`env:NAME`), a relative path read from `base`."""
    if name not in allowed:
        raise error(f"{where}: {name} is not a setting this file can have (see the README's settings table).")
    if isinstance(value, list) and all(isinstance(part, str | int) for part in value):
        value = ",".join(str(part) for part in value)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise error(f"{where}: {name} must be text, a number or a list of ids.")
    text = str(value).strip()
    if text.startswith(FROM_ENVIRONMENT):
        variable = text.removeprefix(FROM_ENVIRONMENT).strip()
        if not VARIABLE_NAME.fullmatch(variable):
            raise error(f"{where}: {name} = {text!r} does not name an environment variable (env:NAME).")
        return FROM_ENVIRONMENT + variable
    if SECRET_SETTING.search(name):
        raise error(
            f"{where}: {name} holds a secret, which never goes in the settings or clients file: put it in an environment variable "
            f'or the secrets file ({SECRETS_FILE}) and write {name} = "env:<VARIABLE>".'
        )
    # a lake's catalog (ducklake:postgres:…) and a bucket (s3://…) are addresses, not paths
    if name in PATH_SETTINGS and text and not is_lake(text) and not text.startswith("s3://"):
        text = str((base / Path(text).expanduser()).resolve())
    return text


def read_from_environment(
    where: str, name: str, value: str, env: Mapping[str, str], error: type[ValueError] = SettingFileError
) -> str:
    """A checked value with its `env:NAME` read from `env`: the secret itself, which no file names."""
    if not value.startswith(FROM_ENVIRONMENT):
        return value
    variable = value.removeprefix(FROM_ENVIRONMENT)
    if not (env.get(variable) or "").strip():
        raise error(
            f"{where}: {name} is read from the environment variable {variable}, which is not set: set it, or put it "
            f"in the secrets file ({SECRETS_FILE}); the file names it, never the secret itself."
        )
    return env[variable]


def _load(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SettingFileError(f"{path} is not valid TOML ({error}): fix it and run again.") from None


def read_settings_file(path: Path) -> dict[str, str]:
    """The settings file's settings, checked, as written (`env:NAME` not yet read); {} when there is none."""
    if not path.is_file():
        return {}
    allowed = every_setting() - NOT_IN_A_FILE
    return {name: checked_value(f"{path}", name, value, allowed, path.parent) for name, value in _load(path).items()}


def read_secrets(path: Path) -> dict[str, str]:
    """The secrets file's variables; {} when there is none. Refused when another user may read it."""
    if not path.is_file():
        return {}
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SettingFileError(
            f"the secrets file {path} may be read by other users: run `chmod 600 {path}` (and replace the secrets "
            "in it if others could have read them)."
        )
    variables = {}
    for name, value in _load(path).items():
        if not VARIABLE_NAME.fullmatch(name) or not isinstance(value, str):
            raise SettingFileError(f"{path}: {name} must be an environment variable's name with a text value.")
        variables[name] = value
    return variables


def with_setting_files(env: Mapping[str, str]) -> dict[str, str]:
    """`env` with what the settings and secrets files add: the environment wins, then the settings
    file, then the secrets file."""
    merged = {**read_secrets(secrets_file(env)), **env}
    path = settings_file(env)
    for name, value in read_settings_file(path).items():
        if name not in env:
            merged[name] = read_from_environment(str(path), name, value, merged)
    return merged


def apply_setting_files(environ: os._Environ | dict[str, str] = os.environ) -> frozenset[str]:
    """Put what the files add into `environ` (the process's own), leaving every variable it has; the
    names it added."""
    added = {name: value for name, value in with_setting_files(environ).items() if name not in environ}
    environ.update(added)
    return frozenset(added)


def inside_a_repository(path: Path) -> Path | None:
    """The git working tree `path` would be in, if any."""
    for directory in path.resolve().parents:
        if (directory / ".git").exists():
            return directory
    return None


def update_table(document: MutableMapping[str, Any], values: Mapping[str, str | None]) -> None:
    """Set (None: remove) each value in a TOML table, its other lines and comments kept."""
    for name, value in values.items():
        if value is None:
            document.pop(name, None)
        else:
            document[name] = value


def _document(path: Path, heading: str) -> tomlkit.TOMLDocument:
    if path.is_file():
        return tomlkit.parse(path.read_text(encoding="utf-8"))
    document = tomlkit.document()
    document.add(tomlkit.comment(heading))
    return document


def store_settings(path: Path, values: Mapping[str, str | None]) -> None:
    """Set (or, for None, remove) settings in the settings file, keeping its other lines and comments."""
    allowed = every_setting() - NOT_IN_A_FILE
    for name, value in values.items():
        if value is not None:
            checked_value(str(path), name, value, allowed, path.parent)
    document = _document(
        path, "social-roi's settings (README, 'Pointing it at real accounts'); the environment wins over them."
    )
    update_table(document, values)
    write_private(path, tomlkit.dumps(document))


def secret_variable(client_id: str | None, setting: str) -> str:
    """The variable a secret is kept under: the setting's own name for the single advertiser, prefixed by
    the client's id for an agency's client (whose table then reads it with env:NAME)."""
    if client_id is None:
        return setting
    prefix = re.sub(r"[^A-Za-z0-9]", "_", client_id).upper()
    # a client id may start with a digit (3m), a variable's name may not: 3M_… could be neither read nor named
    return f"{'CLIENT_' if prefix[:1].isdigit() else ''}{prefix}_{setting}"


def store_secrets(path: Path, values: Mapping[str, str]) -> None:
    """Set variables in the secrets file, 0600; refused inside a git working tree."""
    repository = inside_a_repository(path)
    if repository is not None:
        raise SettingFileError(
            f"the secrets file {path} would be inside the git repository {repository}, where it could be committed: "
            f"set {SECRETS_FILE} to a path outside it (default ~/.config/social-roi/secrets.toml)."
        )
    read_secrets(path)  # an existing file readable by others is refused before a secret is added to it
    unreadable = [name for name in values if not VARIABLE_NAME.fullmatch(name)]
    if unreadable:  # read_secrets would refuse the file, and with it every command, from then on
        raise SettingFileError(
            f"{', '.join(unreadable)} is not an environment variable's name: {path} was left as it was."
        )
    document = _document(path, "social-roi's secrets: never commit or share this file.")
    update_table(document, values)
    write_private(path, tomlkit.dumps(document))
