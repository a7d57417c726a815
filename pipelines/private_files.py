"""Files only their owner may read: the warehouse, the published copy, the reports and DAGSTER_HOME
hold a company's spend, revenue and run logs, so what the pipeline creates is 0700 (directories) or
0600 (files), whatever the process's umask. Directories that already exist keep their mode: they
may be the user's own (SOCIAL_ROI_REPORT_DIR=~/Documents).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

PRIVATE_DIRECTORY = 0o700
PRIVATE_FILE = 0o600


def private_directory(path: Path) -> Path:
    """`path` and any missing parents, each created 0700 (`mkdir -p -m 700` for every level)."""
    missing, level = [], Path(path)
    while not level.exists() and level != level.parent:
        missing.append(level)
        level = level.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            directory.mkdir(mode=PRIVATE_DIRECTORY)
            directory.chmod(PRIVATE_DIRECTORY)  # mkdir's mode passes through the umask
    return Path(path)


def make_private(path: Path) -> Path:
    """Make a file another program created (DuckDB's database) readable by its owner only."""
    os.chmod(path, PRIVATE_FILE)
    return Path(path)


def new_private_file(path: Path) -> Path:
    """Create `path` empty and 0600, for a writer that opens it afterwards (a copy); an existing file
    or a link at `path` is an error, never written through."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE))
    return Path(path)


def write_private(path: Path, content: str | bytes) -> Path:
    """Write `content` (text as UTF-8) to `path`, 0600, in its directory (created private).

    Written to a temporary file beside it and renamed over it: a reader sees the old file or the new
    one, and a symbolic link at `path` is replaced, never followed (writing through a link could
    overwrite any file the user can write)."""
    path = Path(path)
    private_directory(path.parent)
    data = content.encode("utf-8") if isinstance(content, str) else content
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".writing")
    try:
        with os.fdopen(descriptor, "wb") as out:  # mkstemp creates it 0600
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
