"""Background jobs: a durable ``jobs`` table that says what each job is doing,
run by procrastinate workers on PostgreSQL or inside the API process on SQLite."""

from kernel.jobs.models import Job, JobStatus
from kernel.jobs.registry import JobContext, job_handler
from kernel.jobs.service import enqueue

__all__ = ["Job", "JobContext", "JobStatus", "enqueue", "job_handler"]
