"""Progress a person watching `social-roi sync` wants to see: one line per platform and account as
it lands, then dbt, then publication. Steps mark such lines with `report_progress`; the CLI's
`progress_logger` prints those, and the warnings and errors steps log themselves (an account that
failed, say), while every line still reaches the run's log."""

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
        meta = getattr(record, "dagster_meta", None) or {}
        meta = meta if isinstance(meta, dict) else {}
        message = meta.get("orig_message") or record.getMessage()
        if getattr(record, PROGRESS_ATTRIBUTE, False):
            line = f"  {message}"
        elif record.levelno >= logging.WARNING and meta.get("dagster_event") is None:
            # What a step said itself; Dagster's own failure events are summed up after the run.
            line = f"  {logging.getLevelName(record.levelno)}: {message}"
        else:
            return
        if sys.__stdout__ is None:  # a process started without a standard output has nowhere to print
            return
        sys.__stdout__.write(line + "\n")
        sys.__stdout__.flush()


@dg.logger(config_schema=None, description="Prints only the lines steps mark with report_progress.")
def progress_logger(_init_context) -> logging.Logger:
    logger = logging.getLogger("social_roi.progress")
    logger.setLevel(logging.INFO)  # progress lines are INFO; the handler drops the rest of INFO
    logger.propagate = False
    if not logger.handlers:
        logger.addHandler(_ProgressLines())
    return logger
