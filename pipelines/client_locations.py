"""A Dagster code location per client of the clients file, each with its own nightly schedule.

`social-roi clients --workspace FILE` writes a workspace that loads this module once per client,
naming the client as the attribute:

    load_from:
      - python_module: {module_name: pipelines.client_locations, attribute: fjord, location_name: fjord}

Dagster runs each code location in a process of its own (and each run in a process that loads the
same attribute again), so the client's environment (`pipelines.clients.client_environment`) is
put in place for the whole process before the definitions are built: the location's schedule,
sensors, assets and report read that client's accounts, files and warehouse, and nothing of
another client's. One process serves one client; asking it for a second is refused rather than
served with the first one's settings (the definitions are built once per process).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pipelines.clients import ClientsError, client_environment, clients_file, read_clients
from pipelines.setting_files import apply_setting_files

_LOADED: list[str] = []  # the client this process's definitions were built for


def definitions_for(client_id: str) -> Any:
    """The Dagster definitions of `client_id`, built in its environment (this process becomes the client's)."""
    if _LOADED and _LOADED[0] != client_id:
        raise ClientsError(
            f"this process already holds client {_LOADED[0]!r}'s definitions: give client {client_id!r} a code "
            "location of its own (social-roi clients --workspace writes one per client)"
        )
    # The settings and secrets files first, as the CLI applies them before --client: the client's `env:` secrets are
    # kept in the secrets file, and the clients file may be named in the settings file.
    apply_setting_files()
    path = clients_file(os.environ)
    if path is None:
        raise ClientsError("a client's code location needs the clients file: set SOCIAL_ROI_CLIENTS.")
    clients = read_clients(path)
    if client_id not in clients:
        raise ClientsError(f"{path} names no client {client_id!r}: use one of {', '.join(clients)}.")
    if not _LOADED:
        environment = client_environment(clients[client_id], os.environ)
        os.environ.clear()
        os.environ.update(environment)
        _LOADED.append(client_id)
    from pipelines.definitions import defs

    return defs


def __getattr__(name: str) -> Any:
    # Dagster reads the workspace's `attribute` with getattr: a client id, as the clients file names it
    if name.startswith("__"):
        raise AttributeError(name)
    return definitions_for(name)


def workspace_yaml(clients_path: Path) -> str:
    """The workspace for `dagster dev -w`: one code location per client of the file."""
    lines = ["# One code location per client of the clients file (social-roi clients --workspace).", "load_from:"]
    for client_id in read_clients(clients_path):
        lines += [
            "  - python_module:",
            f"      module_name: {__name__}",
            f"      attribute: {client_id}",
            f"      location_name: {client_id}",
        ]
    return "\n".join(lines) + "\n"
