"""Where every job kind gets registered: the API and the worker import this."""

from __future__ import annotations


def load_job_handlers() -> None:
    """Import each domain's job module so its handlers are registered."""
    import fulfilment.after_sale.jobs
    import fulfilment.night.jobs
    import fulfilment.orders.jobs
    import fulfilment.orders.retention
    import fulfilment.pickup.jobs
    import fulfilment.purchasing.jobs
    import fulfilment.reconciliation.jobs
    import fulfilment.routing.jobs
    import fulfilment.sorting.jobs
    import fulfilment.supplier_settlement.jobs  # noqa: F401
    import kernel.jobs.diagnostics
    import kernel.jobs.pruning
    import kernel.jobs.statistics
    import kernel.outbox
    import kernel.retention  # noqa: F401
    import leaders.commission.jobs
    import leaders.commission.transfer_jobs  # noqa: F401
