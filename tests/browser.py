"""Headless Chromium for the tests: the distribution's package, never a browser download, driven by
Playwright with the flags the report's PDF printing uses (pipelines/report/pdf.py).

Where Chromium is missing, the tests install it from the distribution's packages when they run as
root with apt-get (as CI does), and are skipped with the reason otherwise.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pipelines.report.pdf import ChromiumMissingError, find_chromium

if TYPE_CHECKING:  # Playwright loads only when a test opens a page
    from playwright.sync_api import Page

APT_TIMEOUT_SECONDS = 600
INSTALL_COMMANDS = (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"])


def chromium_or_skip() -> Path:
    """Chromium's executable, installed with apt-get first if need be and possible; else skip."""
    try:
        return find_chromium()
    except ChromiumMissingError as missing:
        reason = str(missing)
    if os.geteuid() == 0 and shutil.which("apt-get"):
        reason = _install_chromium() or reason
        with contextlib.suppress(ChromiumMissingError):
            return find_chromium()
    pytest.skip(f"Browser tests need Chromium: {reason}")


def _install_chromium() -> str:
    """Install Debian's chromium, one test worker at a time; '' when done, else why not."""
    with open(Path(tempfile.gettempdir()) / "social-roi-chromium-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # the other workers wait here, then find it installed
        with contextlib.suppress(ChromiumMissingError):
            find_chromium()
            return ""
        deadline = time.monotonic() + APT_TIMEOUT_SECONDS
        for command in INSTALL_COMMANDS:
            try:
                done = subprocess.run(
                    command,
                    env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
                    capture_output=True,
                    text=True,
                    timeout=max(1.0, deadline - time.monotonic()),
                )
            except subprocess.TimeoutExpired:
                return f"`{' '.join(command)}` did not finish within {APT_TIMEOUT_SECONDS} s"
            if done.returncode != 0:
                last = (done.stderr.strip().splitlines() or ["no message"])[-1]
                return f"`{' '.join(command)}` failed ({last})"
    return ""


@dataclasses.dataclass
class Visit:
    """A page opened from a file, and what it did while loading."""

    page: Page
    requests: list[str]  # every URL it asked for, the page itself included
    errors: list[str]  # console errors and uncaught exceptions

    def charts(self) -> list[dict]:
        """Each <svg> in the page: its name, laid-out size, element children and drawn content's size."""
        return self.page.evaluate(
            """() => [...document.querySelectorAll("svg")].map((svg, index) => {
                const box = svg.getBoundingClientRect();
                let drawn = {width: 0, height: 0};
                try { drawn = svg.getBBox(); } catch (error) {}
                return {
                    name: svg.getAttribute("aria-label") || svg.id || `svg number ${index + 1}`,
                    width: box.width, height: box.height, children: svg.childElementCount,
                    drawn_width: drawn.width, drawn_height: drawn.height,
                };
            })"""
        )

    def chart_texts(self) -> list[list[tuple[str, list[tuple[float, float]]]]]:
        """Per <svg>, each of its texts with the four corners of its box as Chromium draws it (the
        font it chose, turned as the text is), in page coordinates."""
        charts = self.page.evaluate(
            """() => [...document.querySelectorAll("svg")].map(svg => [...svg.querySelectorAll("text")].map(text => {
                const box = text.getBBox(), matrix = text.getScreenCTM();
                const corners = [[box.x, box.y], [box.x + box.width, box.y],
                                 [box.x + box.width, box.y + box.height], [box.x, box.y + box.height]];
                return [text.textContent, corners.map(([x, y]) => {
                    const point = new DOMPoint(x, y).matrixTransform(matrix);
                    return [point.x, point.y];
                })];
            }))"""
        )
        return [[(text, [tuple(corner) for corner in corners]) for text, corners in chart] for chart in charts]


@contextlib.contextmanager
def visit(browser, html: Path, timeout_ms: int = 15_000) -> Iterator[Visit]:
    """Open the file `html` in a fresh page of `browser` (a Playwright Browser), recording its requests
    and errors from the first byte; the page closes afterwards."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(timeout_ms)
    seen = Visit(page, [], [])
    page.on("request", lambda request: seen.requests.append(request.url))
    page.on("console", lambda message: seen.errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    try:
        page.goto(html.resolve().as_uri(), wait_until="load")
        yield seen
    finally:
        page.close()
