"""The report as a PDF: its HTML file printed to A4 by the distribution's headless Chromium.

Chromium comes from the operating system's packages (`apt-get install chromium`), never from a
browser download at run time. It runs with no network: the report is one self-contained file, and
the flags below stop Chromium's own calls home, which a closed network refuses many at a time.
It runs with no script (the page's own Content-Security-Policy forbids any), with its sandbox
unless we are root, and with an environment of its own: none of the tokens in ours.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from pipelines.private_files import write_private

CHROMIUM_NAMES = ("chromium", "chromium-browser")
# Debian's package; looked for when PATH (e.g. a service's) does not lead to it.
CHROMIUM_FALLBACK = Path("/usr/bin/chromium")
INSTALL_HINT = "install the distribution's package (Debian/Ubuntu: `apt-get install chromium`)"
# Headless, no GPU, and nothing that phones home: no background networking, component or sync
# updates, first-run pages, QUIC; and no host name resolves, so a report that asked for a file off
# the network would show it (tests/test_report_browser.py).
CHROMIUM_FLAGS = (
    "--headless",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)
# Chromium's sandbox needs user namespaces, which some containers switch off for users other than root.
SANDBOX_ADVICE = (
    ": its sandbox cannot start for this user here; allow unprivileged user namespaces on this machine "
    "(Debian: sysctl kernel.unprivileged_userns_clone=1)"
)
DEFAULT_TIMEOUT_SECONDS = 60.0
# Placed first in the document's head, so a page size the report sets itself still wins.
A4_DEFAULT = b"<style>@page { size: A4; }</style>"
# First in the head too: no script, inline or linked, no javascript: URL and no plugin runs while
# printing. (Chromium's --blink-settings=scriptEnabled=false would do it too, but then headless
# --print-to-pdf writes no file, as users of it report; --disable-javascript is ignored by headless.)
NO_SCRIPT = b"<meta http-equiv=\"Content-Security-Policy\" content=\"script-src 'none'; object-src 'none'\">"
# All Chromium gets of our environment: a PATH for the distribution's launcher script, and a home
# of its own (the throwaway profile's folder). Tokens and passwords in ours stay with us.
CHROMIUM_PATH = "/usr/local/bin:/usr/bin:/bin"


class PdfError(RuntimeError):
    """The PDF could not be printed; the message says why and what to do."""


class ChromiumMissingError(PdfError):
    """No Chromium on this machine; the message says how to install it."""


def find_chromium() -> Path:
    """The Chromium executable: the first on PATH, else Debian's /usr/bin/chromium."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    if os.access(CHROMIUM_FALLBACK, os.X_OK):
        return CHROMIUM_FALLBACK
    raise ChromiumMissingError(
        f"Printing the report to PDF needs Chromium, and none is on PATH or at {CHROMIUM_FALLBACK}: {INSTALL_HINT}."
    )


def chromium_flags() -> list[str]:
    """CHROMIUM_FLAGS, and --no-sandbox when we run as root: Chromium refuses to start as root with
    its sandbox on (as in a container); as anyone else the sandbox stays."""
    return [*CHROMIUM_FLAGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]


def chromium_environment(home: Path) -> dict[str, str]:
    """The whole environment Chromium runs with: nothing of ours is inherited."""
    return {"PATH": CHROMIUM_PATH, "HOME": str(home), "LANG": "C.UTF-8"}


def html_to_pdf(html: Path, pdf: Path, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> Path:
    """Print the HTML file `html` to the A4 PDF `pdf` (replaced if it exists) and return `pdf`.

    Chromium prints in a throwaway profile, and the PDF only appears at `pdf` once complete, readable
    by its owner only.
    Raises ChromiumMissingError when there is no Chromium, PdfError when printing fails or takes
    longer than `timeout` seconds."""
    html, pdf = Path(html).resolve(), Path(pdf)
    if not html.is_file():
        raise PdfError(f"There is no HTML file at {html} to print to PDF.")
    chromium = find_chromium()
    with tempfile.TemporaryDirectory(prefix="social-roi-pdf-", ignore_cleanup_errors=True) as scratch:
        scratch = Path(scratch)
        page, printed = scratch / html.name, scratch / "printed.pdf"
        page.write_bytes(_print_copy(html.read_bytes(), base=html.parent.as_uri() + "/"))
        command = [
            str(chromium),
            *chromium_flags(),
            f"--user-data-dir={scratch / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={printed}",
            page.as_uri(),
        ]
        returncode, output = _run(command, chromium_environment(scratch), timeout, what=f"print {html} to PDF")
        if returncode != 0 or not printed.is_file() or printed.stat().st_size == 0:
            advice = SANDBOX_ADVICE if "No usable sandbox" in output else ""
            raise PdfError(
                f"Chromium ({chromium}) could not print {html} to PDF (exit code {returncode}){advice}:\n{output}"
            )
        write_private(pdf, printed.read_bytes())  # a link at `pdf` is replaced, never written through
    return pdf


def _print_copy(document: bytes, base: str) -> bytes:
    """The document with scripts forbidden, A4 as its default page size, and its own folder as the
    base of relative links (it is printed from a copy elsewhere), all first in its head."""
    extra = NO_SCRIPT + A4_DEFAULT
    if not re.search(rb"<base[\s>]", document, re.IGNORECASE):
        extra = b'<base href="' + base.encode() + b'">' + extra
    head = re.search(rb"<head(\s[^>]*)?>", document, re.IGNORECASE)
    # With no <head> tag, after the doctype: before it, the page would render in quirks mode.
    at = head or re.match(rb"\s*<!doctype[^>]*>", document, re.IGNORECASE)
    position = at.end() if at else 0
    return document[:position] + extra + document[position:]


def _run(command: list[str], env: dict[str, str], timeout: float, what: str) -> tuple[int, str]:
    """Run Chromium in its own process group, so that on timeout its helper processes go too."""
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise PdfError(
            f"Chromium did not {what} within {timeout:g} s: a report this size prints in seconds, so check "
            f"that `{command[0]} --headless about:blank` starts on this machine."
        ) from None
    return process.returncode, _last_lines(output.decode(errors="replace"))


def _last_lines(output: str, count: int = 15) -> str:
    # Chromium complains about the missing D-Bus on every start in a container: noise, not the reason.
    lines = [line for line in output.splitlines() if "dbus" not in line and line.strip()]
    return "\n".join(lines[-count:])
