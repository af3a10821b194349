"""What the demo hands each role at the end: a bearer token and a query to
paste into GraphiQL, about the day that was just run."""

from __future__ import annotations

from dataclasses import dataclass

from api.demo.run import DemoResult
from api.graphql.ids import encode


@dataclass(frozen=True)
class Example:
    role: str
    token: str
    query: str


def examples(result: DemoResult) -> list[Example]:
    """Operator, leader, supplier, dispatcher, driver and customer, in that order."""
    day = result.delivery_date
    warehouse = encode("Warehouse", result.warehouse_id)
    queries = {
        "operator": (
            f'{{ purchaseOrders(first: 10, deliveryDate: "{day}") '
            "{ nodes { supplier { name } revision totalCostFen } } }"
        ),
        "leader": (
            f'{{ leaderDelivery(deliveryDate: "{day}") {{ status expectedArrivalAt }} '
            "commissionBalance { pendingFen availableFen } }"
        ),
        "supplier": (
            "{ purchaseOrders(first: 5) { nodes { revision totalCostFen "
            "lines { product { name } orderedUnits cases confirmedUnits } } } }"
        ),
        "dispatcher": (
            f'{{ routePlans(warehouseId: "{warehouse}", deliveryDate: "{day}") '
            "{ nodes { status km vehiclesUsed stopCount downloadUrls { mapSvg } } } }"
        ),
        "driver": (
            f'{{ myRoutes(deliveryDate: "{day}") '
            "{ number km stops { position arrivedAt handedOverAt pickupPoint { name } } } }"
        ),
        "customer": (
            "{ viewer { name role } myOrders(first: 5) "
            "{ nodes { number status totalFen lines { quantity product { name } } } } }"
        ),
    }
    return [Example(role, result.tokens[role], query) for role, query in queries.items()]
