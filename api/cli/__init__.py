"""The ``tuangou`` command: ``app`` holds the groups and the shared plumbing,
``serving`` the commands that start things (serve, worker, demo, db, schema,
users), ``day`` the operator's commands of the business day."""

from api.cli import backup, day, sandbox, serving  # noqa: F401  (importing them registers their commands)
from api.cli.app import app as app
from api.cli.app import main as main
