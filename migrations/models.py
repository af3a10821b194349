"""Every table of every layer, for Alembic: the one module that imports them all."""

from fulfilment import models as fulfilment_models
from kernel import accounts, notifications, outbox
from kernel.db import Base
from kernel.jobs import models as job_models
from leaders import commission_models, pickup_helpers
from leaders import models as leader_models

metadata = Base.metadata

__all__ = [
    "accounts",
    "commission_models",
    "fulfilment_models",
    "job_models",
    "leader_models",
    "metadata",
    "notifications",
    "outbox",
    "pickup_helpers",
]
