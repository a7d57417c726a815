"""The nightly schedule: one run a night over the platforms' restatement windows, and the Dagster
instance settings that let it fire one sync at a time."""

import datetime as dt
import os
import shutil
import subprocess
import sys
import types
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import pytest

from connectors import clock
from connectors.registry import PLATFORMS
from pipelines.run_window import (
    DAYS_TAG,
    partition_dates,
    platform_window_from_tags,
    range_tags,
    single_run,
    year_partitions,
)
from pipelines.schedules import (
    MODELS_SENSOR_NAME,
    SCHEDULE_NAME,
    build_models_after_sync_sensor,
    build_nightly_schedule,
    platform_windows,
)
from pipelines.settings import ScheduleSettings, SettingsError

PROJECT_ROOT = Path(__file__).resolve().parents[1]
OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
WEDNESDAY_NIGHT = dt.datetime(2026, 11, 25, 5, 0, tzinfo=OSLO)
SUNDAY_NIGHT = dt.datetime(2026, 11, 29, 5, 0, tzinfo=OSLO)
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


# A stand-in for the sync job: same partitions and backfill policy, and the days a raw table would
# fetch and replace, so the tests need neither dbt nor the platforms (pipelines.definitions builds the real one).
@dg.asset(partitions_def=year_partitions, backfill_policy=single_run)
def raw_stand_in(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    first, last = partition_dates(context)
    return dg.MaterializeResult(metadata={"days": f"{first}..{last}"})


stand_in_job = dg.define_asset_job("sync", selection=[raw_stand_in])


def nightly_definitions(settings: ScheduleSettings | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=[raw_stand_in],
        jobs=[stand_in_job],
        schedules=[build_nightly_schedule(stand_in_job, settings or ScheduleSettings.from_env({}))],
    )


def evaluate(
    defs: dg.Definitions, fired_at: dt.datetime, instance: dg.DagsterInstance | None = None
) -> list[dg.RunRequest]:
    schedule = defs.resolve_schedule_def(SCHEDULE_NAME)
    context = dg.build_schedule_context(scheduled_execution_time=fired_at, instance=instance)
    return list(schedule.evaluate_tick(context).run_requests or [])


def test_a_weeknight_yields_one_run_over_the_widest_window_with_each_platforms_window_tagged():
    [request] = evaluate(nightly_definitions(), WEDNESDAY_NIGHT)

    # yesterday is the 24th: LinkedIn's 14 days before it is the widest window, Meta 7, GA4 3
    assert request.tags[DAYS_TAG] == "2026-11-10..2026-11-24"
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2026", "2026"), "the year that holds them"
    assert request.run_key == "nightly_sync:2026-11-25"
    assert request.tags["social_roi/window/meta"] == "2026-11-17..2026-11-24"
    assert request.tags["social_roi/window/linkedin"] == "2026-11-10..2026-11-24"
    assert request.tags["social_roi/window/ga4"] == "2026-11-21..2026-11-24"
    assert request.tags["social_roi/pass"] == "nightly"
    assert request.partition_key is None  # a range, not one partition


def test_a_sunday_night_takes_the_weekly_windows():
    [request] = evaluate(nightly_definitions(), SUNDAY_NIGHT)

    assert request.tags["social_roi/pass"] == "weekly"
    assert request.tags["social_roi/window/meta"] == "2026-10-31..2026-11-28"  # 28 days before yesterday
    assert request.tags["social_roi/window/linkedin"] == "2026-08-30..2026-11-28"  # 90
    assert request.tags["social_roi/window/ga4"] == "2026-11-25..2026-11-28"
    assert request.tags[DAYS_TAG] == "2026-08-30..2026-11-28"
    assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2026", "2026")


def test_the_same_tick_given_in_utc_or_local_time_asks_for_the_same_run():
    in_utc = WEDNESDAY_NIGHT.astimezone(dt.UTC)  # 04:00 UTC
    naive_local = WEDNESDAY_NIGHT.replace(tzinfo=None)  # read in the schedule's zone

    requests = [evaluate(nightly_definitions(), fired_at)[0] for fired_at in (WEDNESDAY_NIGHT, in_utc, naive_local)]

    assert len({request.run_key for request in requests}) == 1
    assert all(request.tags == requests[0].tags for request in requests)


def test_a_schedule_east_of_utc_never_asks_for_a_day_the_partitions_do_not_have_yet():
    # Midnight in Auckland is 11:00 UTC the day before: the UTC day it calls yesterday is not over.
    settings = ScheduleSettings.from_env(
        {"SOCIAL_ROI_SCHEDULE_TIMEZONE": "Pacific/Auckland", "SOCIAL_ROI_SCHEDULE_HOUR": "0"}
    )
    [request] = evaluate(
        nightly_definitions(settings), dt.datetime(2026, 11, 25, 0, 0, tzinfo=zoneinfo.ZoneInfo("Pacific/Auckland"))
    )

    assert request.tags[DAYS_TAG].endswith("..2026-11-23")
    assert all(
        platform_window_from_tags(request.tags, p)[1] <= dt.date(2026, 11, 23) for p in ("meta", "linkedin", "ga4")
    )


def test_two_evaluations_of_the_same_night_launch_one_run():
    import dagster._daemon  # noqa: F401 - the scheduler module is imported through the daemon package
    from dagster._core.storage.tags import RUN_KEY_TAG, SCHEDULED_EXECUTION_TIME_TAG
    from dagster._scheduler.scheduler import _get_existing_run_for_request  # the daemon's own duplicate check

    defs = nightly_definitions()
    with dg.instance_for_test() as instance:
        [first] = evaluate(defs, WEDNESDAY_NIGHT, instance)
        [second] = evaluate(defs, WEDNESDAY_NIGHT, instance)
        run_key = first.run_key
        assert run_key is not None and second.run_key == run_key
        # The first is launched as the daemon launches it: the request's tags plus the run key and tick time.
        scheduled_time = WEDNESDAY_NIGHT.astimezone(dt.UTC).isoformat()
        launched = defs.resolve_job_def("sync").execute_in_process(
            instance=instance,
            tags={**first.tags, RUN_KEY_TAG: run_key, SCHEDULED_EXECUTION_TIME_TAG: scheduled_time},
        )
        assert launched.success

        # stands in for the daemon's RemoteSchedule: the check reads only its name
        schedule: Any = types.SimpleNamespace(name=SCHEDULE_NAME)
        existing = _get_existing_run_for_request(instance, schedule, WEDNESDAY_NIGHT, second)
        [next_night] = evaluate(defs, WEDNESDAY_NIGHT + dt.timedelta(days=1), instance)

        assert existing is not None and existing.run_id == launched.run_id  # the second is skipped
        assert (
            _get_existing_run_for_request(instance, schedule, WEDNESDAY_NIGHT + dt.timedelta(days=1), next_night)
            is None
        )
        assert instance.get_runs_count(dg.RunsFilter(tags={RUN_KEY_TAG: run_key})) == 1


def test_the_run_fetches_exactly_the_days_its_tags_name_and_dagster_records_their_year_once():
    defs = nightly_definitions()
    [request] = evaluate(defs, WEDNESDAY_NIGHT)
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("sync").execute_in_process(instance=instance, tags=request.tags)
        events = result.get_asset_materialization_events()

    assert [event.partition for event in events] == ["2026"], "one year recorded, not 15 days"
    assert events[0].step_materialization_data.materialization.metadata["days"].value == "2026-11-10..2026-11-24"


def test_a_sync_of_days_across_a_new_year_records_both_years_and_fetches_only_its_days():
    with dg.instance_for_test() as instance:
        result = (
            nightly_definitions()
            .resolve_job_def("sync")
            .execute_in_process(instance=instance, tags=range_tags(dt.date(2025, 12, 30), dt.date(2026, 1, 2)))
        )
        events = result.get_asset_materialization_events()

    assert sorted(event.partition or "" for event in events) == ["2025", "2026"]
    assert [event.step_materialization_data.materialization.metadata["days"].value for event in events] == [
        "2025-12-30..2026-01-02"
    ] * 2


def test_a_run_whose_days_lie_outside_its_years_fails_before_anything_is_fetched():
    tags = {RANGE_START: "2026", RANGE_END: "2026", DAYS_TAG: "2025-12-25..2026-01-02"}
    with dg.instance_for_test() as instance:
        result = (
            nightly_definitions()
            .resolve_job_def("sync")
            .execute_in_process(instance=instance, tags=tags, raise_on_error=False)
        )

    assert not result.success
    [failure] = [event for event in result.all_events if event.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert "lie outside the partitions it materializes (2026..2026)" in str(failure.step_failure_data.error)


def test_timezone_and_hour_come_from_the_environment_when_the_definitions_load(monkeypatch):
    monkeypatch.setenv("SOCIAL_ROI_SCHEDULE_TIMEZONE", "America/New_York")
    monkeypatch.setenv("SOCIAL_ROI_SCHEDULE_HOUR", "3")

    schedule = build_nightly_schedule("sync")

    assert schedule.execution_timezone == "America/New_York"
    assert schedule.cron_schedule == "0 3 * * *"
    assert schedule.job_name == "sync"


def test_by_default_the_schedule_fires_at_five_in_oslo_and_is_on():
    schedule = build_nightly_schedule("sync", ScheduleSettings.from_env({}))

    assert (schedule.execution_timezone, schedule.cron_schedule) == ("Europe/Oslo", "0 5 * * *")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING


def test_platform_windows_and_the_weekly_day_are_settings():
    settings = ScheduleSettings.from_env(
        {
            "SOCIAL_ROI_WINDOW_META_DAYS": "1",
            "SOCIAL_ROI_WINDOW_META_WEEKLY_DAYS": "10",
            "SOCIAL_ROI_WINDOW_GA4_DAYS": "5",
            "SOCIAL_ROI_WEEKLY_PASS_DAY": "Wednesday",
        }
    )

    windows = platform_windows(dt.date(2026, 11, 25), settings)  # a Wednesday: the weekly pass now

    assert windows["meta"] == (dt.date(2026, 11, 14), dt.date(2026, 11, 24))
    assert windows["ga4"] == (dt.date(2026, 11, 19), dt.date(2026, 11, 24))  # weekly follows a longer nightly
    assert windows["linkedin"] == (dt.date(2026, 8, 26), dt.date(2026, 11, 24))


@pytest.mark.parametrize(
    "env, named",
    [
        ({"SOCIAL_ROI_SCHEDULE_TIMEZONE": "Europe/Olso"}, "SOCIAL_ROI_SCHEDULE_TIMEZONE"),
        ({"SOCIAL_ROI_SCHEDULE_HOUR": "25"}, "SOCIAL_ROI_SCHEDULE_HOUR"),
        ({"SOCIAL_ROI_SCHEDULE_HOUR": "five"}, "SOCIAL_ROI_SCHEDULE_HOUR"),
        (
            {"SOCIAL_ROI_WINDOW_META_DAYS": "30", "SOCIAL_ROI_WINDOW_META_WEEKLY_DAYS": "7"},
            "SOCIAL_ROI_WINDOW_META_WEEKLY_DAYS",
        ),
        ({"SOCIAL_ROI_WEEKLY_PASS_DAY": "sunnday"}, "SOCIAL_ROI_WEEKLY_PASS_DAY"),
    ],
)
def test_a_setting_that_cannot_be_used_is_named_in_the_error(env, named):
    with pytest.raises(SettingsError, match=named):
        ScheduleSettings.from_env(env)


def test_the_example_instance_config_loads_with_one_run_at_a_time_and_a_warehouse_pool_of_one(tmp_path):
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster.yaml.example", home / "dagster.yaml")
    probe = (
        "import dagster as dg\n"
        "instance = dg.DagsterInstance.get()\n"
        "config = instance.get_concurrency_config()\n"
        "print(type(instance.run_coordinator).__name__, config.run_queue_config.max_concurrent_runs,\n"
        "      config.pool_config.default_pool_limit, config.pool_config.pool_granularity.value, instance.run_monitoring_enabled)\n"
    )

    loaded = subprocess.run(
        [sys.executable, "-c", probe],
        env={**os.environ, "DAGSTER_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.split() == ["QueuedRunCoordinator", "1", "1", "run", "True"]


def test_each_platforms_default_window_is_declared_by_its_source():
    settings = ScheduleSettings.from_env({})

    declared = {platform.name: platform.restatement for platform in PLATFORMS if platform.restatement is not None}

    assert settings.windows == declared
    assert (
        declared["meta"].nightly_days == 7
        and declared["linkedin"].weekly_days == 90
        and declared["ga4"].nightly_days == 3
    )


@dg.asset(deps=[raw_stand_in], backfill_policy=single_run)
def models_stand_in(context: dg.AssetExecutionContext) -> None:
    context.log.info("would build the models")


def models_after(run_of: Callable[[dg.Definitions, dg.DagsterInstance], dg.ExecuteInProcessResult]):
    """The sensor's answer to the successful run `run_of` makes, in definitions like ours (stand-ins)."""
    rebuild_stand_in = dg.define_asset_job("rebuild", selection=[models_stand_in])
    sensor = build_models_after_sync_sensor({raw_stand_in.key}, rebuild_stand_in)
    defs = dg.Definitions(
        assets=[raw_stand_in, models_stand_in], jobs=[stand_in_job, rebuild_stand_in], sensors=[sensor]
    )
    with dg.instance_for_test() as instance:
        ran = run_of(defs, instance)
        success = next(event for event in ran.all_events if event.event_type == dg.DagsterEventType.RUN_SUCCESS)
        context = dg.build_run_status_sensor_context(
            sensor_name=MODELS_SENSOR_NAME,
            dagster_event=success,
            dagster_instance=instance,
            dagster_run=ran.dagster_run,
        )
        answer = sensor(context)
        assert isinstance(answer, dg.RunRequest | dg.SkipReason), answer
        return ran.run_id, answer


def test_a_successful_sync_run_is_followed_by_the_models_run_for_its_days_once():
    run_id, request = models_after(
        lambda defs, instance: defs.resolve_job_def("sync").execute_in_process(
            instance=instance, tags=range_tags(dt.date(2026, 11, 10), dt.date(2026, 11, 24))
        )
    )

    assert isinstance(request, dg.RunRequest)
    assert request.tags == {DAYS_TAG: "2026-11-10..2026-11-24"}, "the days, not a partition range"
    assert request.run_key == f"{MODELS_SENSOR_NAME}:{run_id}", "one models' run per sync run"


def test_one_raw_year_materialized_from_the_ui_is_followed_by_the_models_for_its_days():
    # as the UI launches it: the code location's asset job, with the assets picked
    _run_id, request = models_after(
        lambda defs, instance: defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=[raw_stand_in.key], partition_key="2025"
        )
    )

    assert isinstance(request, dg.RunRequest)
    assert request.tags == {DAYS_TAG: "2025-01-01..2025-12-31"}


def test_the_year_under_way_materialized_from_the_ui_covers_its_days_up_to_yesterday():
    yesterday = clock.yesterday()
    _run_id, request = models_after(
        lambda defs, instance: defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=instance, asset_selection=[raw_stand_in.key], partition_key=f"{yesterday:%Y}"
        )
    )

    assert isinstance(request, dg.RunRequest)
    assert request.tags == {DAYS_TAG: f"{yesterday.replace(month=1, day=1)}..{yesterday}"}


def test_a_run_that_built_the_models_itself_launches_no_second_models_run():
    _run_id, answer = models_after(
        lambda _defs, instance: dg.materialize(
            [raw_stand_in, models_stand_in],
            instance=instance,
            tags=range_tags(dt.date(2026, 11, 10), dt.date(2026, 11, 12)),
        )
    )

    assert isinstance(answer, dg.SkipReason)
