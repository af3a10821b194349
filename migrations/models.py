"""Every table of every layer, for Alembic: the one module that imports them all."""

from fulfilment.after_sale import models as after_sale_models
from fulfilment.campaigns import models as campaign_models
from fulfilment.delivery import models as delivery_models
from fulfilment.network import models as network_models
from fulfilment.orders import models as order_models
from fulfilment.pickup import models as pickup_models
from fulfilment.purchasing import models as purchasing_models
from fulfilment.reconciliation import models as reconciliation_models
from fulfilment.routing import models as routing_models
from fulfilment.sorting import models as sorting_models
from fulfilment.supplier_settlement import models as supplier_settlement_models
from kernel import accounts, audit, notifications, outbox, versioning
from kernel.db import Base
from kernel.identity import models as identity_models
from kernel.jobs import models as job_models
from leaders.commission import grid_fee_models
from leaders.commission import models as commission_models
from leaders.points import models as point_models

metadata = Base.metadata

__all__ = [
    "accounts",
    "after_sale_models",
    "audit",
    "campaign_models",
    "commission_models",
    "delivery_models",
    "grid_fee_models",
    "identity_models",
    "job_models",
    "metadata",
    "network_models",
    "notifications",
    "order_models",
    "outbox",
    "pickup_models",
    "point_models",
    "purchasing_models",
    "reconciliation_models",
    "routing_models",
    "sorting_models",
    "supplier_settlement_models",
    "versioning",
]
