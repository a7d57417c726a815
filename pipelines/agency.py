"""Every client of the clients file synced side by side: `social-roi sync --all-clients --start … --end …`.

Each client's sync is a process of its own (`social-roi --client ID sync …`): a client's settings are put in
the process's environment (pipelines/clients.py), which threads would share. At most
SOCIAL_ROI_PARALLEL_CLIENTS run at once. They share no file: each has its own warehouse, published copy,
dbt target directory and Dagster home under data/clients/<id>/ (DECISIONLOG.md, "One warehouse per
client"), so none waits on another's lock. A client's failure never stops another's: every client runs, a
line is printed for each as it ends, and the command fails at the end, naming the clients that failed.
Each child's output (its progress, ROI tables and errors) goes to a log in the client's data directory.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from pipelines.clients import Client, ClientsError, clients_file, directory_of, read_clients
from pipelines.private_files import private_directory
from pipelines.settings import CLIENTS, PARALLEL_CLIENTS, SettingsError

# Most of a nightly sync waits on the platforms (Meta's report jobs, the APIs' answers), so a few clients
# overlap well even on two cores; each is a whole Python, Dagster and dbt process (a few hundred MB), and
# the clients on one Meta token share its rate limit (connectors/meta_ads/client.py paces on it).
DEFAULT_PARALLEL_CLIENTS = 4
LOG_FILE_NAME = "last_sync.log"


@dataclasses.dataclass(frozen=True)
class ClientSync:
    client: str
    status: int  # the child's exit status: 0 ok
    seconds: float
    log: Path

    @property
    def ok(self) -> bool:
        return self.status == 0


def parallel_clients(env: Mapping[str, str] = os.environ) -> int:
    raw = (env.get(PARALLEL_CLIENTS) or "").strip()
    if not raw:
        return DEFAULT_PARALLEL_CLIENTS
    if not raw.isdigit() or int(raw) < 1:
        raise SettingsError(f"{PARALLEL_CLIENTS}={raw!r}: give how many clients sync at once, a whole number from 1.")
    return int(raw)


def log_of(client: Client) -> Path:
    """Where a client's last `--all-clients` sync wrote its output: beside its warehouse."""
    return directory_of(client) / LOG_FILE_NAME


def sync_all_clients(
    start: dt.date, end: dt.date, env: Mapping[str, str] = os.environ, out: TextIO | None = None
) -> int:
    """Sync start..end for every client, SOCIAL_ROI_PARALLEL_CLIENTS at a time; 0 when every one succeeded.
    The lines go to `out`, by default the standard output of the moment (not the one at import)."""
    out = out or sys.stdout
    path = clients_file(env)
    if path is None:
        raise ClientsError(f"--all-clients needs a clients file: set {CLIENTS} to its path.")
    clients = read_clients(path)
    at_once = min(parallel_clients(env), len(clients))
    print(f"Syncing {start}..{end} for {len(clients)} clients, {at_once} at a time:", file=out, flush=True)
    width = max(len(client_id) for client_id in clients)
    ended: list[ClientSync] = []
    # Threads only wait on their child process: the syncs themselves run in the children.
    with concurrent.futures.ThreadPoolExecutor(max_workers=at_once, thread_name_prefix="client-sync") as pool:
        running = [pool.submit(_sync_one, client, start, end, env) for client in clients.values()]
        for finished in concurrent.futures.as_completed(running):
            result = finished.result()
            ended.append(result)
            verdict = "ok" if result.ok else f"failed (exit {result.status})"
            print(
                f"{result.client:<{width}}  {verdict:<6}  {result.seconds:6.1f} s  log: {result.log}",
                file=out,
                flush=True,
            )
    failed = sorted(result.client for result in ended if not result.ok)
    if failed:
        print(
            f"social-roi: {len(failed)} of {len(clients)} clients failed: {', '.join(failed)} (see their logs above).",
            file=sys.stderr,
        )
        return 1
    return 0


def _sync_one(client: Client, start: dt.date, end: dt.date, env: Mapping[str, str]) -> ClientSync:
    log = log_of(client)
    private_directory(log.parent)
    command = [sys.executable, "-m", "pipelines.cli", "--client", client.id, "sync"]
    command += ["--start", start.isoformat(), "--end", end.isoformat()]
    began = time.monotonic()
    # The log may show account names and figures: the client's own, in the client's own directory, private.
    descriptor = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(descriptor, "w", encoding="utf-8") as sink:
        try:
            status = subprocess.run(
                command, env=dict(env), stdout=sink, stderr=subprocess.STDOUT, check=False
            ).returncode
        except OSError as error:  # the child could not even start
            print(f"social-roi: could not start the sync of {client.id}: {error}", file=sink)
            status = 127
    return ClientSync(client.id, status, time.monotonic() - began, log)
