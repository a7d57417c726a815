"""Every setting the pipeline itself reads, in one typed object, read from the environment at run time.

Platform settings (tokens, account ids, endpoints) belong to their connector: each `Platform`
names them in `setting_names`. `SETTING_NAMES` below lists the pipeline's own; the README's table
lists both, and a test keeps the three in step.
"""

from __future__ import annotations

import dataclasses
import os
import zoneinfo
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml

from connectors import clock
from connectors.platform import Platform, RestatementWindow
from pipelines.lake import Lake, LakeError, is_lake, parse_lake
from pipelines.private_files import make_private, private_directory, write_private

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# The run's first and last day, as dbt_project/macros/date_window.sql reads them from the environment.
DBT_MIN_DATE, DBT_MAX_DATE = "DBT_RUN_FIRST_DAY", "DBT_RUN_LAST_DAY"

WAREHOUSE = "SOCIAL_ROI_WAREHOUSE"
# A lake warehouse (SOCIAL_ROI_WAREHOUSE=ducklake:postgres:…, pipelines/lake.py): where its data lives,
# and where this machine keeps its own files for it (the writer lock, dbt's target, reports).
LAKE_DATA_PATH = "SOCIAL_ROI_LAKE_DATA_PATH"
LOCAL_DIR = "SOCIAL_ROI_LOCAL_DIR"
PUBLISHED = "SOCIAL_ROI_PUBLISHED"
COST_LEDGER = "SOCIAL_ROI_COST_LEDGER"
KPI_TARGETS = "SOCIAL_ROI_KPI_TARGETS"
CONVERSION_VALUES = "SOCIAL_ROI_CONVERSION_VALUES"
BUDGETS = "SOCIAL_ROI_BUDGETS"
# The mappings the user edits (they were dbt seeds until DECISIONLOG.md's "User mappings live in config/").
CAMPAIGN_MAPPING = "SOCIAL_ROI_CAMPAIGN_MAPPING"
CHANNEL_MAPPING = "SOCIAL_ROI_CHANNEL_MAPPING"
CONVERSION_GOALS = "SOCIAL_ROI_CONVERSION_GOALS"
CAMPAIGN_OBJECTIVES = "SOCIAL_ROI_CAMPAIGN_OBJECTIVES"
CURRENCY = "SOCIAL_ROI_CURRENCY"
REVENUE_SOURCE = "SOCIAL_ROI_REVENUE_SOURCE"
GROSS_MARGIN = "SOCIAL_ROI_GROSS_MARGIN"
REVENUE_VAT = "SOCIAL_ROI_REVENUE_VAT"
SCHEDULE_TIMEZONE = "SOCIAL_ROI_SCHEDULE_TIMEZONE"
SCHEDULE_HOUR = "SOCIAL_ROI_SCHEDULE_HOUR"
WEEKLY_PASS_DAY = "SOCIAL_ROI_WEEKLY_PASS_DAY"
DAGSTER_HOME = "DAGSTER_HOME"
REPORT_LOCALE = "SOCIAL_ROI_REPORT_LOCALE"
REPORT_DIR = "SOCIAL_ROI_REPORT_DIR"
# An agency's clients file (pipelines/clients.py), and how many of its clients sync at once (pipelines/agency.py).
CLIENTS = "SOCIAL_ROI_CLIENTS"
# Set by the clients file for a client's runs (pipelines/clients.py, client_environment): that client's id.
CLIENT = "SOCIAL_ROI_CLIENT"
PARALLEL_CLIENTS = "SOCIAL_ROI_PARALLEL_CLIENTS"
# The files `social-roi connect` writes (pipelines/setting_files.py): the settings, and the secrets apart.
SETTINGS_FILE = "SOCIAL_ROI_SETTINGS_FILE"
SECRETS_FILE = "SOCIAL_ROI_SECRETS_FILE"
# Delivery of the monthly report by email (read in pipelines/report/delivery.py).
REPORT_EMAIL_SETTINGS = (
    "SOCIAL_ROI_REPORT_EMAIL_TO",
    "SOCIAL_ROI_REPORT_EMAIL_FROM",
    "SOCIAL_ROI_SMTP_HOST",
    "SOCIAL_ROI_SMTP_PORT",
    "SOCIAL_ROI_SMTP_USER",
    "SOCIAL_ROI_SMTP_PASSWORD",
    "SOCIAL_ROI_SMTP_SECURITY",
)
REPORT_LOCALES = ("nb", "en")

DEFAULT_WAREHOUSE = "data/warehouse.duckdb"
PUBLISHED_FILE_NAME = "published.duckdb"
DEFAULT_DAGSTER_HOME = ".dagster_home"
REVENUE_SOURCES = ("ga4", "platform")
# Whether the revenue the website sends to GA4 (and the platforms' conversion values) includes VAT.
REVENUE_VAT_CHOICES = ("included", "excluded", "unknown")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def window_setting_names(platform: str) -> tuple[str, str]:
    """The two settings that change a platform's restatement window: nightly days, weekly days."""
    return f"SOCIAL_ROI_WINDOW_{platform.upper()}_DAYS", f"SOCIAL_ROI_WINDOW_{platform.upper()}_WEEKLY_DAYS"


# The pipeline's own settings; SOCIAL_ROI_WINDOW_<PLATFORM>_DAYS / _WEEKLY_DAYS exist per platform.
SETTING_NAMES = (
    WAREHOUSE,
    LAKE_DATA_PATH,
    LOCAL_DIR,
    PUBLISHED,
    COST_LEDGER,
    KPI_TARGETS,
    CONVERSION_VALUES,
    BUDGETS,
    CAMPAIGN_MAPPING,
    CHANNEL_MAPPING,
    CONVERSION_GOALS,
    CAMPAIGN_OBJECTIVES,
    CURRENCY,
    REVENUE_SOURCE,
    GROSS_MARGIN,
    REVENUE_VAT,
    SCHEDULE_TIMEZONE,
    SCHEDULE_HOUR,
    WEEKLY_PASS_DAY,
    DAGSTER_HOME,
    REPORT_LOCALE,
    REPORT_DIR,
    *REPORT_EMAIL_SETTINGS,
    clock.TODAY_SETTING,
    CLIENTS,
    CLIENT,
    PARALLEL_CLIENTS,
    SETTINGS_FILE,
    SECRETS_FILE,
)


class SettingsError(ValueError):
    """A setting cannot be used; the message names it and says how to fix it."""


def _text(env: Mapping[str, str], name: str, default: str = "") -> str:
    return (env.get(name) or "").strip() or default


def _whole_number(env: Mapping[str, str], name: str, default: int) -> int:
    raw = _text(env, name)
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number.") from None


def _path(env: Mapping[str, str], name: str, default: str | Path) -> Path:
    return Path(_text(env, name) or default).expanduser().resolve()


def _declared_windows(platforms: Iterable[Platform] | None) -> dict[str, RestatementWindow]:
    """Each platform's own restatement window, as it declares it (every registered platform by default)."""
    if platforms is None:
        from connectors.registry import PLATFORMS  # here, not at import: the registry loads every SDK

        platforms = PLATFORMS
    return {platform.name: platform.restatement for platform in platforms if platform.restatement is not None}


@dataclasses.dataclass(frozen=True)
class ScheduleSettings:
    """When the nightly sync fires and how far back each platform is re-synced.

    `windows` starts from each source's own restatement window; SOCIAL_ROI_WINDOW_<PLATFORM>_DAYS
    and SOCIAL_ROI_WINDOW_<PLATFORM>_WEEKLY_DAYS override them.
    """

    timezone: str = "Europe/Oslo"
    hour: int = 5
    weekly_pass_weekday: int = 6  # date.weekday(): Monday is 0, Sunday 6
    windows: Mapping[str, RestatementWindow] = dataclasses.field(default_factory=lambda: _declared_windows(None))

    def __post_init__(self):
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise SettingsError(
                f"{SCHEDULE_TIMEZONE}={self.timezone!r} is not a time zone: use an IANA name such as Europe/Oslo."
            ) from None
        if not 0 <= self.hour <= 23:
            raise SettingsError(
                f"{SCHEDULE_HOUR}={self.hour} is not an hour: use 0-23 (the local hour in {SCHEDULE_TIMEZONE})."
            )
        for platform, window in self.windows.items():
            if window.nightly_days < 0 or window.weekly_days < window.nightly_days:
                nightly, weekly = window_setting_names(platform)
                raise SettingsError(
                    f"{nightly}={window.nightly_days} and {weekly}={window.weekly_days} do not fit: days must be 0 or more, "
                    "and the weekly pass at least as long as the nightly one."
                )

    def restatement_days(self) -> dict[str, int]:
        """The days before the last loaded day each platform still restates, as dbt takes them
        (the var `restatement_days`: the ROI tables flag figures over them as provisional)."""
        return {platform: window.nightly_days for platform, window in self.windows.items()}

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] = os.environ, platforms: Iterable[Platform] | None = None
    ) -> ScheduleSettings:
        weekday_name = _text(env, WEEKLY_PASS_DAY, "sunday").lower()
        if weekday_name not in WEEKDAYS:
            raise SettingsError(
                f"{WEEKLY_PASS_DAY}={weekday_name!r} is not a weekday: use one of {', '.join(WEEKDAYS)}."
            )
        windows = {}
        for platform, default in _declared_windows(platforms).items():
            nightly_name, weekly_name = window_setting_names(platform)
            nightly = _whole_number(env, nightly_name, default.nightly_days)
            # A longer nightly window than the default weekly one lengthens the weekly pass with it.
            weekly = _whole_number(env, weekly_name, max(default.weekly_days, nightly))
            windows[platform] = RestatementWindow(nightly, weekly)
        return cls(
            timezone=_text(env, SCHEDULE_TIMEZONE, cls.timezone),
            hour=_whole_number(env, SCHEDULE_HOUR, cls.hour),
            weekly_pass_weekday=WEEKDAYS.index(weekday_name),
            windows=windows,
        )

    @property
    def cron_schedule(self) -> str:
        return f"0 {self.hour} * * *"


@dataclasses.dataclass(frozen=True)
class Settings:
    """Where the pipeline reads and writes, and how it reports. Paths are absolute."""

    warehouse: Path | Lake  # a DuckDB file, or a lake (pipelines/lake.py)
    published: Path
    cost_ledger: Path
    kpi_targets: Path
    conversion_values: Path
    budgets: Path
    campaign_mapping: Path
    channel_mapping: Path
    conversion_goals: Path
    campaign_objectives: Path
    reporting_currency: str = "NOK"
    revenue_source: str = "ga4"
    gross_margin: str = ""  # a share in (0, 1], or empty when not configured
    revenue_vat: str = "unknown"  # whether revenue includes VAT: included, excluded or unknown

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Read and validate every setting; the first that cannot be used raises SettingsError."""
        warehouse = warehouse_location(env, create=False)
        currency = _text(env, CURRENCY, "NOK").upper()
        if len(currency) != 3 or not currency.isalpha():
            raise SettingsError(f"{CURRENCY}={currency!r} is not an ISO currency code: use e.g. NOK, EUR or USD.")
        revenue_source = _text(env, REVENUE_SOURCE, "ga4").lower()
        if revenue_source not in REVENUE_SOURCES:
            raise SettingsError(
                f"{REVENUE_SOURCE}={revenue_source!r}: use ga4 (observed, deduplicated) or platform (each platform's claim)."
            )
        revenue_vat = _text(env, REVENUE_VAT, "unknown").lower()
        if revenue_vat not in REVENUE_VAT_CHOICES:
            raise SettingsError(
                f"{REVENUE_VAT}={revenue_vat!r}: say whether revenue includes VAT with included or excluded "
                "(or unknown)."
            )
        margin = _text(env, GROSS_MARGIN)
        if margin:
            try:
                valid = 0 < float(margin) <= 1
            except ValueError:
                valid = False
            if not valid:
                raise SettingsError(
                    f"{GROSS_MARGIN}={margin!r}: give the gross margin as a share between 0 and 1, e.g. 0.45."
                )
        return cls(
            warehouse=warehouse,
            published=published_path(env),
            cost_ledger=_path(env, COST_LEDGER, PROJECT_ROOT / "config/cost_ledger.csv"),
            kpi_targets=_path(env, KPI_TARGETS, PROJECT_ROOT / "config/kpi_targets.csv"),
            conversion_values=_path(env, CONVERSION_VALUES, PROJECT_ROOT / "config/conversion_values.csv"),
            budgets=_path(env, BUDGETS, PROJECT_ROOT / "config/budgets.csv"),
            campaign_mapping=_path(env, CAMPAIGN_MAPPING, PROJECT_ROOT / "config/campaign_mapping.csv"),
            channel_mapping=_path(env, CHANNEL_MAPPING, PROJECT_ROOT / "config/channel_mapping.csv"),
            conversion_goals=_path(env, CONVERSION_GOALS, PROJECT_ROOT / "config/conversion_goals.csv"),
            campaign_objectives=_path(env, CAMPAIGN_OBJECTIVES, PROJECT_ROOT / "config/campaign_objectives.csv"),
            reporting_currency=currency,
            revenue_source=revenue_source,
            gross_margin=margin,
            revenue_vat=revenue_vat,
        )

    def dbt_vars(self) -> dict[str, str]:
        """The reporting settings dbt reads as vars."""
        return {
            "reporting_currency": self.reporting_currency,
            "revenue_source": self.revenue_source,
            "gross_margin": self.gross_margin,
            "revenue_vat": self.revenue_vat,
        }

    def dbt_environment(self) -> dict[str, str]:
        """The files dbt reads, as absolute paths (dbt runs in its own directory, not the user's).
        Config files must exist: a missing one is named with the way to fix it."""
        files = {
            COST_LEDGER: self.cost_ledger,
            KPI_TARGETS: self.kpi_targets,
            CONVERSION_VALUES: self.conversion_values,
            BUDGETS: self.budgets,
            CAMPAIGN_MAPPING: self.campaign_mapping,
            CHANNEL_MAPPING: self.channel_mapping,
            CONVERSION_GOALS: self.conversion_goals,
            CAMPAIGN_OBJECTIVES: self.campaign_objectives,
        }
        for name, path in files.items():
            if not path.is_file():
                raise SettingsError(
                    f"{name} points at {path}, which is not a file: create it (copy the header from {PROJECT_ROOT / 'config'}) or unset {name}."
                )
        if isinstance(self.warehouse, Lake):
            # dbt's profile attaches the lake (dbt_project/profiles.yml, target `lake`)
            where = {WAREHOUSE: self.warehouse.catalog, LAKE_DATA_PATH: self.warehouse.data_path}
        else:
            where = {WAREHOUSE: str(self.warehouse)}
        return {**where, **{name: str(path) for name, path in files.items()}}


def warehouse_location(env: Mapping[str, str] = os.environ, create: bool = True) -> Path | Lake:
    """Where a run writes: a DuckDB file, or a lake (SOCIAL_ROI_WAREHOUSE=ducklake:postgres:…).

    A file: unless `create` is false, it exists and only its owner may read it (a new one in a new
    private directory). A lake is created by its first connection (DuckLake writes its catalog's tables)."""
    if is_lake(_text(env, WAREHOUSE)):
        try:
            return parse_lake(_text(env, WAREHOUSE), env, local_directory(env), WAREHOUSE, LAKE_DATA_PATH)
        except LakeError as problem:
            raise SettingsError(str(problem)) from None
    path = _path(env, WAREHOUSE, DEFAULT_WAREHOUSE)
    if create:
        private_directory(path.parent)
        if not path.exists():
            import duckdb  # here, not at import: settings are read where no database is opened

            duckdb.connect(str(path)).close()
        make_private(path)  # a warehouse an earlier version created world-readable too
    return path


def local_directory(env: Mapping[str, str] = os.environ) -> Path:
    """Where this machine keeps the warehouse's own files (its published copy, dbt's target, reports):
    the DuckDB file's directory; for a lake, SOCIAL_ROI_LOCAL_DIR (data/ by default)."""
    if is_lake(_text(env, WAREHOUSE)):
        return _path(env, LOCAL_DIR, Path(DEFAULT_WAREHOUSE).parent)
    return _path(env, WAREHOUSE, DEFAULT_WAREHOUSE).parent


def published_path(env: Mapping[str, str] = os.environ) -> Path:
    """SOCIAL_ROI_PUBLISHED, or published.duckdb beside the warehouse (a lake is read directly: nothing
    is published from it)."""
    return _path(env, PUBLISHED, local_directory(env) / PUBLISHED_FILE_NAME)


def dagster_home(env: Mapping[str, str] = os.environ) -> Path:
    """DAGSTER_HOME, or .dagster_home under the current directory, so CLI runs show up in `dagster dev`.

    A new home is private (0700: run logs hold account names and figures) and gets a dagster.yaml: local SQLite storage, no telemetry, queued runs launched one at
    a time and the warehouse pool limited to one run (DuckDB has one writer), so a backfill started
    in the UI while the schedule's run goes on waits its turn. dagster.yaml.example has the
    production settings.
    """
    path = private_directory(_path(env, DAGSTER_HOME, DEFAULT_DAGSTER_HOME))
    instance_config = path / "dagster.yaml"
    if not instance_config.exists():
        write_private(
            instance_config,
            "telemetry:\n  enabled: false\n"
            "concurrency:\n  runs:\n    max_concurrent_runs: 1\n  pools:\n    default_limit: 1\n    granularity: run\n",
        )
    return path


def shared_instance(env: Mapping[str, str] = os.environ) -> bool:
    """Whether DAGSTER_HOME's instance keeps its runs in PostgreSQL (deploy/dagster.yaml): a team's one
    record, which every client's runs share, told apart by their code location and held apart by their
    pools (pipelines/run_limits.py), rather than a file of one machine's."""
    raw = (env.get(DAGSTER_HOME) or "").strip()
    config = Path(raw).expanduser() / "dagster.yaml" if raw else None
    if config is None or not config.is_file():
        return False
    storage = (yaml.safe_load(config.read_text(encoding="utf-8")) or {}).get("storage")
    return isinstance(storage, dict) and "postgres" in storage


@dataclasses.dataclass(frozen=True)
class ReportSettings:
    """Where the monthly report is written and in which language and number format."""

    directory: Path
    locale: str = "nb"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ReportSettings:
        locale = (_text(env, REPORT_LOCALE) or "nb").lower()
        if locale not in REPORT_LOCALES:
            raise SettingsError(f"{REPORT_LOCALE}={locale!r}: use one of {', '.join(REPORT_LOCALES)}.")
        default = local_directory(env) / "reports"
        return cls(directory=_path(env, REPORT_DIR, default), locale=locale)
