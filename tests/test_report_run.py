"""The report as users get it: `social-roi report` from the warehouse as it stands, and the monthly
asset that writes it and mails it, whose delivery is an asset check that never fails the report."""

from __future__ import annotations

import datetime as dt
import stat

import dagster as dg
import pytest

from conftest import copy_of_settled
from connectors import clock
from test_report_delivery import PASSWORD, RECIPIENTS, USER, mail_server

pytestmark = [
    pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS"),
    # Depends on the calendar day: `make calendar` runs it on 40+ days (tests/calendar_days.py).
    pytest.mark.calendar,
]


@pytest.fixture
def report_env(settled, work_directory, tmp_path, monkeypatch):
    """The settled sync's settings pointed at a copy of its warehouse, reports written under tmp_path."""
    copy = copy_of_settled(settled, work_directory)
    for name, value in settled.env_for(copy).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SOCIAL_ROI_PUBLISHED", str(tmp_path / "not-published-yet.duckdb"))
    monkeypatch.setenv("SOCIAL_ROI_REPORT_DIR", str(tmp_path / "reports"))
    return tmp_path / "reports"


def test_social_roi_report_writes_the_file_from_the_warehouse_without_syncing(settled, report_env, capsys):
    from pipelines.cli import main

    first, last = settled.window
    status = main(["report", "--start", str(first), "--end", str(last)])

    printed = capsys.readouterr()
    assert status == 0, printed.err
    [written] = report_env.glob("*.html")
    assert f"Report: {written}" in printed.out
    assert written.name == f"social-roi-report-{first}_{last}.html"
    assert "<svg" in written.read_text(encoding="utf-8")


def test_a_bad_period_is_refused_with_the_form_to_use(report_env, capsys):
    from pipelines.cli import main

    status = main(["report", "--period", "oktober"])

    assert status == 2
    assert "give a month as YYYY-MM" in capsys.readouterr().err


def test_a_report_and_the_folder_made_for_it_are_readable_by_their_owner_only(settled, report_env, capsys):
    from pipelines.cli import main

    status = main(["report", "--start", str(settled.window[0]), "--end", str(settled.window[1])])

    assert status == 0, capsys.readouterr().err
    [written] = report_env.glob("*.html")
    assert stat.S_IMODE(report_env.stat().st_mode) == 0o700 and stat.S_IMODE(written.stat().st_mode) == 0o600


def test_out_on_a_symbolic_link_replaces_the_link_and_leaves_the_file_it_pointed_at(
    settled, report_env, tmp_path, capsys
):
    from pipelines.cli import main

    elsewhere = tmp_path / "authorized_keys"
    elsewhere.write_text("ssh-ed25519 AAAA... the user's own\n")
    link = tmp_path / "report.html"
    link.symlink_to(elsewhere)

    status = main(["report", "--start", str(settled.window[0]), "--end", str(settled.window[1]), "--out", str(link)])

    assert status == 0, capsys.readouterr().err
    assert elsewhere.read_text() == "ssh-ed25519 AAAA... the user's own\n"
    assert not link.is_symlink() and "<svg" in link.read_text(encoding="utf-8")


def test_out_naming_the_pdf_is_refused_before_anything_is_written(settled, report_env, tmp_path, capsys):
    from pipelines.cli import main

    out = tmp_path / "report.pdf"
    status = main(
        ["report", "--start", str(settled.window[0]), "--end", str(settled.window[1]), "--out", str(out), "--pdf"]
    )

    assert status == 2
    assert (
        f"--out names the HTML file, and the PDF is written beside it with .pdf; give --out {tmp_path / 'report.html'}"
        in capsys.readouterr().err
    )
    assert not out.exists() and not list(tmp_path.glob("*.html"))


@pytest.mark.parametrize(
    "period",
    [
        ["--start", "0001-01-02", "--end", "0001-01-31"],
        ["--period", "0001-01"],
        ["--start", "9999-12-01", "--end", "9999-12-31"],
    ],
    ids=["days at the calendar's start", "its first month", "its last month"],
)
def test_a_period_off_the_calendar_is_refused_with_a_clear_message(report_env, capsys, period):
    from pipelines.cli import main

    status = main(["report", *period])

    error = capsys.readouterr().err
    assert status == 2 and "cannot be reported" in error and "outside the calendar" in error
    assert "Traceback" not in error and not report_env.exists()


def mail_settings(monkeypatch, port: int, password: str) -> None:
    settings = {
        "SOCIAL_ROI_REPORT_EMAIL_TO": ",".join(RECIPIENTS),
        "SOCIAL_ROI_REPORT_EMAIL_FROM": USER,
        "SOCIAL_ROI_SMTP_HOST": "127.0.0.1",
        "SOCIAL_ROI_SMTP_PORT": str(port),
        "SOCIAL_ROI_SMTP_USER": USER,
        "SOCIAL_ROI_SMTP_PASSWORD": password,
        "SOCIAL_ROI_SMTP_SECURITY": "none",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)


def materialize_report(first: dt.date, last: dt.date, instance) -> dg.ExecuteInProcessResult:
    """The report asset for first..last, asked to mail it, as the monthly schedule runs it."""
    from pipelines.assets.report import monthly_report
    from pipelines.run_window import month_partitions, range_tags

    return dg.materialize(
        [monthly_report],
        instance=instance,
        tags=range_tags(first, last, month_partitions),
        run_config={"ops": {"reports__monthly_report": {"config": {"deliver": True}}}},
        raise_on_error=False,
    )


def test_the_monthly_report_is_written_and_mailed_with_its_summary_and_both_files(
    settled, report_env, monkeypatch, instance
):
    first, last = settled.window
    with mail_server(auth_require_tls=False) as mailbox:  # a relay on this machine
        mail_settings(monkeypatch, mailbox.port, PASSWORD)
        result = materialize_report(first, last, instance)

    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert check.passed, check.description
    [message] = mailbox.messages
    attachments = {part.get_filename(): part.get_content_type() for part in message.iter_attachments()}
    assert attachments == {
        f"social-roi-report-{first}_{last}.html": "text/html",
        f"social-roi-report-{first}_{last}.pdf": "application/pdf",
    }
    body = message.get_body(preferencelist=("html",)).get_content()
    assert "ROI" in body, "the headline figures are in the mail itself"
    materializations = result.asset_materializations_for_node("reports__monthly_report")
    assert materializations and all("headline" in m.metadata and "path" in m.metadata for m in materializations)


def test_a_refused_mail_login_fails_the_delivery_check_and_never_the_report(settled, report_env, monkeypatch, instance):
    first, last = settled.window
    wrong = "not-the-password-" + clock.today().isoformat()
    with mail_server(auth_require_tls=False) as mailbox:  # a relay on this machine
        mail_settings(monkeypatch, mailbox.port, wrong)
        result = materialize_report(first, last, instance)

    assert result.success, "the report itself is written"
    assert list(report_env.glob(f"social-roi-report-{first}_{last}.html"))
    [check] = result.get_asset_check_evaluations()
    description = check.description or ""
    assert not check.passed and USER in description
    logged = " ".join(str(record.user_message) for record in instance.all_logs(result.run_id))
    assert wrong not in description and wrong not in logged
    assert mailbox.messages == []


def test_the_monthly_schedule_writes_and_mails_last_months_report_after_the_nightly_sync():
    from pipelines.definitions import defs

    schedule = defs.resolve_schedule_def("monthly_report")
    fired = dt.datetime(2026, 11, 1, 7, tzinfo=dt.UTC)
    [request] = schedule.evaluate_tick(dg.build_schedule_context(scheduled_execution_time=fired)).run_requests or []

    assert schedule.cron_schedule == "0 7 1 * *", "the 1st, two hours after the 05:00 nightly sync"
    assert schedule.job_name == "monthly_report"
    assert (
        request.tags["dagster/asset_partition_range_start"]
        == request.tags["dagster/asset_partition_range_end"]
        == "2026-10"
    )
    assert request.tags["social_roi/days"] == "2026-10-01..2026-10-31"
    assert request.run_config["ops"]["reports__monthly_report"]["config"] == {"deliver": True}
    assert request.run_key == "monthly_report:2026-10", "one report per month, however often evaluated"
