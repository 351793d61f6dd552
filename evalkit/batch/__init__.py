"""Batch rendering of a campaign's reports (``evalkit run``): jobs, executors, keys, manifest."""

from evalkit.batch.executors import DaskExecutor, Executor, LocalExecutor, SerialExecutor
from evalkit.batch.jobs import Job, JobResult, render
from evalkit.batch.runner import RunSummary, run_reports

__all__ = ["DaskExecutor", "Executor", "Job", "JobResult", "LocalExecutor", "RunSummary", "SerialExecutor", "render",
           "run_reports"]
