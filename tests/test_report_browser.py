"""The report as a reader sees it: opened in headless Chromium (Playwright), every chart drawn, no
request off the file, no script error; and printed to an A4 PDF as the monthly run does."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from browser import chromium_or_skip, visit
from pipelines.report import pdf, write_report
from pipelines.report.pdf import ChromiumMissingError, PdfError, chromium_flags, html_to_pdf
from test_report import HEADLINE_LABELS
from test_report_charts import overlapping

A4_POINTS = (595, 842)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session (per test worker), from the distribution's package."""
    chromium = chromium_or_skip()
    sync_api = pytest.importorskip("playwright.sync_api", reason="the browser tests drive Chromium with Playwright")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=chromium_flags(), timeout=60_000)
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def report_html(window_report, tmp_path_factory) -> Path:
    """The report of the settled warehouse, written as the CLI writes it."""
    directory = tmp_path_factory.mktemp("browser_report")
    return write_report(window_report("nb"), directory / "report.html")


def test_the_report_draws_every_chart_offline_and_without_errors(report_html, browser, tmp_path):
    with visit(browser, report_html) as page:
        charts = page.charts()
        texts = page.chart_texts()
        screenshot = page.page.screenshot(path=tmp_path / "report.png", full_page=True)

    assert charts, "the report has no <svg> chart"
    # Laid out with a size, with elements in it, and those elements drawn somewhere (a flat line has no height).
    undrawn = [
        chart
        for chart in charts
        if not (chart["width"] > 0 and chart["height"] > 0 and chart["children"] > 0)
        or not (chart["drawn_width"] > 0 or chart["drawn_height"] > 0)
    ]
    assert not undrawn, f"charts that show nothing: {undrawn}"
    # no label runs into another, or into an axis's labels, in the font Chromium drew them with
    assert [overlapping(chart) for chart in texts] == [[] for _ in texts]
    assert [url for url in page.requests if not url.startswith("data:")] == [report_html.resolve().as_uri()]
    assert page.errors == []
    assert screenshot.startswith(b"\x89PNG") and (tmp_path / "report.png").stat().st_size > 0


def test_a_reader_sees_observed_revenue_agreed_value_and_both_rois_at_the_top(report_html, browser, tmp_path):
    """What the boss sees first, as Chromium draws it: every headline card on screen, side by side
    in rows, none cut off, with observed revenue, the agreed value and an ROI on each basis."""
    with visit(browser, report_html) as page:
        headline = page.page.locator("#headline .cards")
        headline.screenshot(path=tmp_path / "headline.png")
        cards = page.page.evaluate(
            """() => [...document.querySelectorAll("#headline .card")].map(card => {
                const box = card.getBoundingClientRect();
                return {label: card.querySelector(".label").textContent, left: box.left, right: box.right, top: box.top, bottom: box.bottom};
            })"""
        )
        width = page.page.evaluate("() => document.documentElement.clientWidth")

    assert [card["label"] for card in cards] == list(HEADLINE_LABELS["nb"])
    assert all(0 <= card["left"] and card["right"] <= width for card in cards), "no card runs off the page"
    overlapping = [
        (a["label"], b["label"])
        for i, a in enumerate(cards)
        for b in cards[i + 1 :]
        if a["left"] < b["right"] and b["left"] < a["right"] and a["top"] < b["bottom"] and b["top"] < a["bottom"]
    ]
    assert not overlapping
    assert (tmp_path / "headline.png").stat().st_size > 0


def test_the_report_prints_to_an_a4_pdf(report_html, tmp_path):
    chromium_or_skip()

    printed = html_to_pdf(report_html, tmp_path / "report.pdf")

    content = printed.read_bytes()
    assert content.startswith(b"%PDF")
    pages = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", content)
    assert pages and all(sorted(round(float(side)) for side in page) == list(A4_POINTS) for page in pages)


def test_without_chromium_the_pdf_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(pdf, "CHROMIUM_FALLBACK", tmp_path / "chromium")
    (tmp_path / "report.html").write_text("<!doctype html><title>report</title><p>report</p>", encoding="utf-8")

    with pytest.raises(ChromiumMissingError, match="apt-get install chromium"):
        html_to_pdf(tmp_path / "report.html", tmp_path / "report.pdf")

    assert not (tmp_path / "report.pdf").exists()


def test_a_chromium_that_hangs_is_stopped_at_the_timeout_with_its_helpers(monkeypatch, tmp_path):
    helper = tmp_path / "helper.pid"
    hanging = tmp_path / "chromium"
    hanging.write_text(f"#!/bin/sh\n/bin/sleep 30 &\necho $! > {helper}\nwait\n")
    hanging.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    (tmp_path / "report.html").write_text("<!doctype html><title>report</title><p>report</p>", encoding="utf-8")

    with pytest.raises(PdfError, match="did not print .* within 0.5 s"):
        html_to_pdf(tmp_path / "report.html", tmp_path / "report.pdf", timeout=0.5)

    assert not (tmp_path / "report.pdf").exists()
    assert _stops_within(int(helper.read_text()), seconds=5)


def _stops_within(pid: int, seconds: float) -> bool:
    """The killed helper closes its pipe before the kernel marks it dead: after SIGKILL the process
    may still show as running for a moment (a flake under load), so give it a moment to go."""
    deadline = time.monotonic() + seconds
    while _running(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _running(pid: int) -> bool:
    """Alive and not merely a zombie waiting for a parent that does not reap (PID 1 in a container)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_no_script_runs_while_the_report_prints(tmp_path):
    chromium_or_skip()
    page = tmp_path / "report.html"
    # Chromium writes the document's title into the PDF's /Title: a script that ran would show there.
    page.write_text(
        "<!doctype html><html><head><title>as written</title></head>"
        "<body><p>report</p><script>document.title = 'a script ran'</script></body></html>",
        encoding="utf-8",
    )

    printed = html_to_pdf(page, tmp_path / "report.pdf").read_bytes()

    assert b"/Title (as written)" in printed and b"a script ran" not in printed


@pytest.mark.parametrize(("uid", "sandboxed"), [(0, False), (1000, True)], ids=["as root", "as a user"])
def test_chromium_gets_none_of_our_environment_and_its_sandbox_unless_root(monkeypatch, tmp_path, uid, sandboxed):
    """A stand-in chromium on PATH records what it was started with, and prints a one-line PDF."""
    seen = tmp_path / "seen"
    seen.mkdir()
    stand_in = tmp_path / "bin" / "chromium"
    stand_in.parent.mkdir()
    stand_in.write_text(
        "#!/bin/sh\n"
        f"env > {seen}/environment\n"
        f'printf "%s\\n" "$@" > {seen}/arguments\n'
        'for argument; do case "$argument" in --print-to-pdf=*) echo %PDF-1.4 > "${argument#--print-to-pdf=}";; esac; done\n'
    )
    stand_in.chmod(0o755)
    monkeypatch.setenv("PATH", f"{stand_in.parent}:/usr/bin:/bin")
    monkeypatch.setenv("META_ACCESS_TOKEN", "EAAB-secret-system-user-token")
    monkeypatch.setenv("SOCIAL_ROI_SMTP_PASSWORD", "correct-horse-battery-staple")
    monkeypatch.setattr(os, "geteuid", lambda: uid)
    (tmp_path / "report.html").write_text("<!doctype html><title>report</title><p>report</p>", encoding="utf-8")

    html_to_pdf(tmp_path / "report.html", tmp_path / "report.pdf")

    environment = (seen / "environment").read_text()
    names = {line.partition("=")[0] for line in environment.splitlines()} - {"PWD", "SHLVL", "_", "OLDPWD"}
    assert names == {"PATH", "HOME", "LANG"}
    assert "secret-system-user-token" not in environment and "correct-horse" not in environment
    assert ("--no-sandbox" not in (seen / "arguments").read_text().split()) == sandboxed
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")
