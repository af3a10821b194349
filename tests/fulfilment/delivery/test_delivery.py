"""Delivery: drivers mark arrival and hand-over, leaders sign for their stop
and report missing or damaged goods, which are refunded to that point's
customers by the shortage rule; the customers hear the goods arrived."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import text

from api.graphql.ids import encode
from fulfilment.delivery.models import DeliveryIssueKind
from fulfilment.delivery.receipts import ARRIVED, IssueReport, sign_delivery
from fulfilment.delivery.stops import record_arrival, record_hand_over
from fulfilment.routing.errors import RoutingErrorCode
from fulfilment.routing.models import RoutePlanStatus
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import DomainError
from tests.conftest import error_codes
from tests.support.routing import A_PRICE, B_PRICE, Day, StoredPlan, sorted_day, store_plan

MISSING, DAMAGED = DeliveryIssueKind.MISSING, DeliveryIssueKind.DAMAGED


async def planned(db: Any, status: RoutePlanStatus = RoutePlanStatus.PUBLISHED):
    day = await sorted_day(db)
    plan = await store_plan(
        db,
        day.shop.warehouse_id,
        day.shop.delivery_date,
        [[day.shop.pickup_point_id, day.point2]],
        status=status,
        unserved=[day.point3],
    )
    return day, plan


async def arrive(db: Any, stop_id: int) -> None:
    async with unit_of_work(db.sessions) as session:
        await record_arrival(session, stop_id, utcnow())


async def sign(db: Any, day: Day, plan: StoredPlan, *issues: IssueReport, leader: Any = None):
    async with unit_of_work(db.sessions) as session:
        return await sign_delivery(
            session,
            (leader or day.shop.leader_user).id,
            route_stop_id=plan.stop_ids[day.shop.pickup_point_id],
            issues=issues,
            now=utcnow(),
        )


async def refunds(db: Any) -> list[tuple[int, str, int, int]]:
    """(customer, reason, units, fen) of every delivery refund."""
    async with db.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT o.customer_id, r.reason, r.quantity, r.amount_fen FROM refunds r "
                "JOIN orders o ON o.id = r.order_id WHERE r.reason LIKE 'delivery%' "
                "ORDER BY r.id"
            )
        )
        return [tuple(r) for r in rows.all()]


async def refused(db: Any, work: Any) -> RoutingErrorCode | str:
    with pytest.raises(DomainError) as caught:
        await work()
    code = caught.value.code
    return code if isinstance(code, RoutingErrorCode) else str(code.value)


async def counts(db: Any) -> tuple[int, int, int, int, int]:
    return (
        await db.scalar("SELECT count(*) FROM delivery_receipts"),
        await db.scalar("SELECT count(*) FROM delivery_issues"),
        await db.scalar("SELECT count(*) FROM refunds"),
        await db.scalar("SELECT count(*) FROM order_line_shortfalls"),
        # Leaders' approvals (their test setup) are no part of signing.
        await db.scalar("SELECT count(*) FROM notifications WHERE kind <> 'leader.approved'"),
    )


async def test_missing_units_are_refunded_latest_paid_first_at_that_point_only(db):
    day, plan = await planned(db)
    await arrive(db, plan.stop_ids[day.shop.pickup_point_id])
    signed = await sign(db, day, plan, IssueReport(day.product_a, MISSING, 3))

    # Bob paid after alice: his 2 go whole, then 1 of alice's. Carol paid
    # last of all, but at another pickup point: untouched.
    assert await refunds(db) == [
        (day.bob.id, "delivery_missing", 2, 2 * A_PRICE),
        (day.alice.id, "delivery_missing", 1, A_PRICE),
    ]
    (issue,) = signed.issues
    assert issue.issue.quantity == 3
    assert [(r.quantity, r.amount_fen) for r in issue.refunds] == [(2, 1980), (1, 990)]
    reasons = await db.scalar(
        "SELECT count(*) FROM order_line_shortfalls WHERE reason = 'delivery_missing' "
        "AND delivery_issue_id = :issue",
        issue=issue.issue.id,
    )
    assert reasons == 2


async def test_damaged_units_are_refunded_too_and_both_kinds_share_what_was_due(db):
    day, plan = await planned(db)
    await arrive(db, plan.stop_ids[day.shop.pickup_point_id])
    await sign(
        db,
        day,
        plan,
        IssueReport(day.product_b, DAMAGED, 1),
        IssueReport(day.product_a, DAMAGED, 1),
        IssueReport(day.product_a, MISSING, 4),
    )
    assert await refunds(db) == [
        (day.alice.id, "delivery_damaged", 1, B_PRICE),
        (day.bob.id, "delivery_damaged", 1, A_PRICE),
        (day.bob.id, "delivery_missing", 1, A_PRICE),
        (day.alice.id, "delivery_missing", 3, 3 * A_PRICE),
    ]


async def test_reporting_more_than_was_due_is_refused_and_changes_nothing(db):
    day, plan = await planned(db)
    await arrive(db, plan.stop_ids[day.shop.pickup_point_id])
    before = await counts(db)
    for issues in (
        [IssueReport(day.product_a, MISSING, 4), IssueReport(day.product_a, DAMAGED, 2)],
        [IssueReport(day.product_b, MISSING, 2)],
        [IssueReport(day.product_a, MISSING, 0)],
        [IssueReport(day.product_a, MISSING, 1), IssueReport(day.product_a, MISSING, 1)],
    ):
        assert (
            await refused(db, lambda issues=issues: sign(db, day, plan, *issues))
            is RoutingErrorCode.INVALID_ISSUE
        )
    assert await counts(db) == before


async def test_a_stop_is_signed_once_and_never_refunds_a_unit_twice(db):
    day, plan = await planned(db)
    await arrive(db, plan.stop_ids[day.shop.pickup_point_id])
    await sign(db, day, plan, IssueReport(day.product_a, MISSING, 1))
    after_first = await counts(db)
    again = await refused(db, lambda: sign(db, day, plan, IssueReport(day.product_a, MISSING, 1)))
    assert again is RoutingErrorCode.ALREADY_SIGNED
    assert await counts(db) == after_first
    assert await refunds(db) == [(day.bob.id, "delivery_missing", 1, A_PRICE)]


async def test_signing_waits_for_the_driver_and_for_publication(db):
    day, plan = await planned(db)
    assert await refused(db, lambda: sign(db, day, plan)) is RoutingErrorCode.NOT_DELIVERED
    draft = await store_plan(
        db,
        day.shop.warehouse_id,
        day.shop.delivery_date,
        [[day.point2]],
        status=RoutePlanStatus.DRAFT,
    )
    stop = draft.stop_ids[day.point2]
    assert await refused(db, lambda: arrive(db, stop)) is RoutingErrorCode.PLAN_NOT_PUBLISHED


async def test_another_leaders_stop_reads_as_missing(db):
    day, plan = await planned(db)
    await arrive(db, plan.stop_ids[day.shop.pickup_point_id])
    code = await refused(db, lambda: sign(db, day, plan, leader=day.leader2))
    assert code == "NOT_FOUND"
    assert await counts(db) == (0, 0, 0, 0, 0)


async def test_driver_events_keep_their_first_time(db):
    day, plan = await planned(db)
    stop = plan.stop_ids[day.point2]
    async with unit_of_work(db.sessions) as session:
        first = (await record_hand_over(session, stop, utcnow())).stop
        arrived, handed = first.arrived_at, first.handed_over_at
    assert arrived is not None and handed is not None
    async with unit_of_work(db.sessions) as session:
        await record_arrival(session, stop, utcnow())
        again = (await record_hand_over(session, stop, utcnow())).stop
        assert (again.arrived_at, again.handed_over_at) == (arrived, handed)


async def test_customers_with_goods_to_collect_hear_they_arrived(db):
    day, plan = await planned(db)
    await arrive(db, plan.stop_ids[day.shop.pickup_point_id])
    # Bob's two units of A go missing: nothing is left for him to collect.
    signed = await sign(db, day, plan, IssueReport(day.product_a, MISSING, 2))
    assert signed.notified == 1
    async with db.engine.connect() as conn:
        told = (
            await conn.execute(
                text(
                    "SELECT user_id, kind FROM notifications "
                    "WHERE kind = 'delivery.arrived' ORDER BY user_id"
                )
            )
        ).all()
    assert [tuple(t) for t in told] == [(day.alice.id, ARRIVED)]


ARRIVE = """
mutation($id: ID!) {
  routeStopArrive(input: {id: $id}) {
    delivery { routeStopId status arrivedAt handedOverAt pickupPoint { name } }
    userErrors { field code message }
  }
}
"""


HAND_OVER = ARRIVE.replace("routeStopArrive", "routeStopHandOver")


SIGN = """
mutation($input: DeliverySignInput!) {
  deliverySign(input: $input) {
    delivery { status }
    receipt {
      note refundedFen
      issues { kind quantity refundedFen product { name }
               refunds { quantity amountFen order { number customerName } } }
    }
    notifiedCustomers
    userErrors { field code message }
  }
}
"""


LEADER_DELIVERY = """
query($day: Date!) {
  leaderDelivery(deliveryDate: $day) {
    routeStopId status expectedArrivalAt arrivedAt
    receipt { refundedFen issues { kind quantity } }
  }
}
"""


async def _driver_of(db: Any, gql: Any, route_id: int) -> str:
    """A driver given the route by a dispatcher; their token."""
    driver, token = await db.user(Role.DRIVER)
    _, dispatcher = await db.user(Role.DISPATCHER)
    assign = """mutation($r: ID!, $d: ID!) {
      routeDriverAssign(input: {routeId: $r, driverId: $d}) { userErrors { code } } }"""
    variables = {"r": encode("Route", route_id), "d": encode("User", driver.id)}
    given = await gql(assign, variables, token=dispatcher)
    assert given["data"]["routeDriverAssign"]["userErrors"] == []
    token_: str = token
    return token_


async def test_a_driver_reports_and_the_leader_signs_over_graphql(db, gql):
    day, plan = await planned(db)
    stop = encode("RouteStop", plan.stop_ids[day.shop.pickup_point_id])
    when = day.shop.delivery_date.isoformat()
    driver = await _driver_of(db, gql, plan.route_ids[0])

    before = await gql(LEADER_DELIVERY, {"day": when}, token=day.shop.leader_token)
    assert before["data"]["leaderDelivery"]["status"] == "SCHEDULED"
    assert before["data"]["leaderDelivery"]["routeStopId"] == stop
    assert before["data"]["leaderDelivery"]["expectedArrivalAt"] is not None

    for role_token in (day.shop.leader_token, day.shop.operator_token):
        assert error_codes(await gql(ARRIVE, {"id": stop}, token=role_token)) == ["FORBIDDEN"]
    first = (await gql(ARRIVE, {"id": stop}, token=driver))["data"]["routeStopArrive"]
    assert first["userErrors"] == [] and first["delivery"]["status"] == "ARRIVED"
    assert first["delivery"]["pickupPoint"]["name"] == "桃子湖小区"
    handed = (await gql(HAND_OVER, {"id": stop}, token=driver))["data"]["routeStopHandOver"]
    assert handed["delivery"]["status"] == "HANDED_OVER"
    assert handed["delivery"]["arrivedAt"] == first["delivery"]["arrivedAt"]

    product_a = encode("Product", day.product_a)
    refused = await gql(
        SIGN,
        {
            "input": {
                "deliveryDate": when,
                "issues": [
                    {"productId": product_a, "kind": "MISSING", "quantity": 1},
                    {"productId": product_a, "kind": "DAMAGED", "quantity": 5},
                ],
            }
        },
        token=day.shop.leader_token,
    )
    assert refused["data"]["deliverySign"]["userErrors"] == [
        {
            "field": ["issues", "1", "quantity"],
            "code": "INVALID_ISSUE",
            "message": "At most 5 units of this product were due here.",
        }
    ]
    other = await gql(SIGN, {"input": {"routeStopId": stop}}, token=day.leader2_token)
    assert [e["code"] for e in other["data"]["deliverySign"]["userErrors"]] == ["NOT_FOUND"]

    signed = await gql(
        SIGN,
        {
            "input": {
                "deliveryDate": when,
                "issues": [{"productId": product_a, "kind": "MISSING", "quantity": 3}],
                "note": "少了三盒",
            }
        },
        token=day.shop.leader_token,
    )
    payload = signed["data"]["deliverySign"]
    assert payload["userErrors"] == [] and payload["delivery"]["status"] == "SIGNED"
    assert payload["notifiedCustomers"] == 1  # alice; bob has nothing left to collect
    receipt = payload["receipt"]
    assert (receipt["note"], receipt["refundedFen"]) == ("少了三盒", 3 * A_PRICE)
    (issue,) = receipt["issues"]
    assert (issue["kind"], issue["quantity"], issue["product"]["name"]) == ("MISSING", 3, "商品0")
    assert [
        (r["quantity"], r["amountFen"], r["order"]["customerName"]) for r in issue["refunds"]
    ] == [
        (2, 2 * A_PRICE, day.bob.name),
        (1, A_PRICE, day.alice.name),
    ]

    again = await gql(SIGN, {"input": {"routeStopId": stop}}, token=day.shop.leader_token)
    assert again["data"]["deliverySign"]["userErrors"][0]["code"] == "ALREADY_SIGNED"
    after = (await gql(LEADER_DELIVERY, {"day": when}, token=day.shop.leader_token))["data"]
    assert after["leaderDelivery"]["status"] == "SIGNED"
    assert after["leaderDelivery"]["receipt"] == {
        "refundedFen": 3 * A_PRICE,
        "issues": [{"kind": "MISSING", "quantity": 3}],
    }


@pytest.mark.postgres_only
async def test_two_signatures_at_once_refund_once(pg):
    day, plan = await planned(pg)
    await arrive(pg, plan.stop_ids[day.shop.pickup_point_id])

    async def attempt() -> str:
        try:
            await sign(pg, day, plan, IssueReport(day.product_a, MISSING, 2))
        except DomainError as exc:
            return str(exc.code.value)
        return "signed"

    outcomes = await asyncio.gather(attempt(), attempt(), attempt())
    assert sorted(outcomes) == ["ALREADY_SIGNED", "ALREADY_SIGNED", "signed"]
    assert await refunds(pg) == [(day.bob.id, "delivery_missing", 2, 2 * A_PRICE)]
