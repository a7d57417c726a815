"""Progress a person watching `social-roi sync` wants to see: one line per platform and account as
it lands, then dbt, then publication. Steps mark such lines with `report_progress`; the CLI's
`progress_logger` prints those and nothing else, while every line still reaches the run's log."""

import logging
import sys

import dagster as dg

PROGRESS_ATTRIBUTE = "social_roi_progress"


def report_progress(context: dg.AssetExecutionContext, message: str) -> None:
    """Log `message` at INFO, marked as a line for the progress display."""
    context.log.info(message, extra={PROGRESS_ATTRIBUTE: True})


class _ProgressLines(logging.Handler):
    """Writes to the process's real standard output: the CLI sends whatever else a run prints
    (dbt's output) to a log file."""

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, PROGRESS_ATTRIBUTE, False):
            meta = getattr(record, "dagster_meta", None) or {}
            message = meta.get("orig_message") if isinstance(meta, dict) else None
            sys.__stdout__.write(f"  {message or record.getMessage()}\n")
            sys.__stdout__.flush()


@dg.logger(description="Prints only the lines steps mark with report_progress.")
def progress_logger(_init_context) -> logging.Logger:
    logger = logging.getLogger("social_roi.progress")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(_ProgressLines())
    return logger
