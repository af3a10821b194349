"""Units to hand out (应发): the one rule by which an order line is counted in
sorting's pick lists, warehouse totals and loads, and in a pickup point's
totals.

A line's units to hand out are its quantity less its shortfalls
(``OrderLineShortfall``): the units refunded *before* the hand-out because
they will not reach the customer (shortages pass over collected orders,
so none comes after the pickup):

- the item missed its group threshold at cutoff (``GROUP_THRESHOLD``) or
  was withdrawn from the sale before it (``WITHDRAWN``),
- the supplier confirmed or delivered short, or goods failed QC
  (``SUPPLIER_SHORT``),
- the leader signed for fewer units than were sent, or for damaged ones
  (``DELIVERY_MISSING``, ``DELIVERY_DAMAGED``).

Each of those refunds writes a shortfall row pointing at it, and only
shortfall rows reduce the count. Other refunds do not:

- after-sale refunds come after the pickup: what was handed out stays handed
  out (the pickup's own lines keep it), so a pick list or a point's totals
  read the day after say what they said at the counter;
- refunds of a whole order (cancelled, paid after it closed, paid twice)
  name no line; a cancelled order leaves the count by its status, which the
  callers filter on.

Before an order is collected every refund of one of its lines is a
shortfall's, so ``fulfilment.pickup.rules.refunded`` over all of a line's
refunds (what pickup records the hand-out by) gives the same units then;
``tests/fulfilment/orders/test_units_to_hand_out.py`` holds the two to it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from fulfilment.orders.models import Order, OrderLine, OrderLineShortfall


def lines_to_hand_out(*columns: Any) -> Select[Any]:
    """``columns`` of every order line with units left to hand out, then
    those units (labelled ``units``), over order lines joined to their
    orders. Lines with nothing left are left out. Callers narrow it (order
    status, campaign, pickup point) and sum it as they need."""
    # Summed per line once and joined, not a correlated sum per line: a
    # warehouse's day is read in one pass over its shortfalls.
    shorted = (
        select(OrderLineShortfall.order_line_id, func.sum(OrderLineShortfall.quantity).label("q"))
        .group_by(OrderLineShortfall.order_line_id)
        .subquery("shorted")
    )
    units = OrderLine.quantity - func.coalesce(shorted.c.q, 0)
    return (
        select(*columns, units.label("units"))
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(shorted, shorted.c.order_line_id == OrderLine.id)
        .where(units > 0)
    )
