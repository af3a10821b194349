"""The evening: customers order through ``orderCreate`` (a customer's
orders of every open campaign in one request, each field its own
transaction), pay (api/demo/payments.py: orderPay and the WeChat Pay
sandbox), and a few cancel with ``orderCancel``."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

import httpx

from api.demo.http import ApiHttp, HttpxApi
from api.demo.region import Region
from api.demo.steps import Steps
from api.http.app import create_app
from kernel.settings import Settings
from kernel.wechatpay.client import WechatPayClient

# orderCreate fields per request: one customer's orders of the evening go
# together (the token is per request), well under the alias limit.
ORDERS_PER_REQUEST = 10
# Requests in flight: SQLite has one writer (more would only wait on its
# lock), PostgreSQL takes several.
CONCURRENCY = {"sqlite": 1, "postgresql": 8}
CANCEL_PAID_SHARE = 0.004  # paid, then cancelled (refunded)
CANCEL_UNPAID = 5  # cancelled before paying

T = TypeVar("T")


@dataclass
class Placed:
    gid: str
    number: str
    total_fen: int
    customer: int  # index into Region.customers


@dataclass
class Intake:
    placed: list[Placed] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    paid: int = 0
    cancelled: int = 0


@cache
def aliased(mutation: str, input_type: str, answer: str, count: int) -> str:
    """A document of ``count`` ``mutation`` fields aliased m0, m1, … with one
    ``input_type`` variable each: several mutations in one request, each its
    own transaction."""
    variables = ", ".join(f"$m{i}: {input_type}!" for i in range(count))
    fields = " ".join(f"m{i}: {mutation}(input: $m{i}) {answer}" for i in range(count))
    return f"mutation({variables}) {{ {fields} }}"


CREATE = ("orderCreate", "OrderCreateInput", "{ order { id number totalFen } userErrors { code } }")
CANCEL = ("orderCancel", "OrderIdInput", "{ order { status } userErrors { code } }")


@asynccontextmanager
async def api_client(
    settings: Settings, wechatpay_http: httpx.AsyncClient | None = None
) -> AsyncIterator[ApiHttp]:
    """An HTTP client on the ASGI app itself (no socket); the app's engine
    is closed afterwards. ``wechatpay_http``: how the app's WeChat Pay
    client reaches the provider (the demo's sandbox in-process)."""
    app = create_app(settings)
    if wechatpay_http is not None and app.state.wechatpay is not None:
        app.state.wechatpay = WechatPayClient(app.state.wechatpay.config, http=wechatpay_http)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://demo", timeout=300
        ) as http:
            yield HttpxApi(http)
    finally:
        await app.state.engine.dispose()


def plan_orders(
    region: Region, count: int, rng: random.Random
) -> list[tuple[int, list[dict[str, Any]]]]:
    """``count`` order inputs grouped by customer. Lines follow the items'
    popularity; per-customer limits are respected, so refusals come only
    from items selling out."""
    weights = [item.popularity for item in region.items]
    per_customer: dict[int, list[dict[str, Any]]] = {}
    bought: Counter[tuple[int, int]] = Counter()
    for number in range(count):
        customer = rng.randrange(len(region.customers))
        size = 1 if rng.random() < 0.6 else (2 if rng.random() < 0.75 else 3)
        picked = {rng.choices(range(len(region.items)), weights)[0] for _ in range(size)}
        lines = []
        for index in sorted(picked):
            item = region.items[index]
            quantity = 1 if rng.random() < 0.85 else 2
            limit = item.per_customer_limit
            if limit is not None:
                quantity = min(quantity, limit - bought[customer, index])
                if quantity <= 0:
                    continue
                bought[customer, index] += quantity
            lines.append({"campaignItemId": item.gid, "quantity": quantity})
        if not lines:
            continue
        point = region.points[region.customers[customer].point]
        per_customer.setdefault(customer, []).append(
            # A key of its own: a customer's keys are kept for good, across
            # every day's campaign.
            {
                "pickupPointId": point.gid,
                "lines": lines,
                "idempotencyKey": f"demo-{region.campaign_id}-{number}",
            }
        )
    return list(per_customer.items())


async def gather_limited(jobs: Iterable[Callable[[], Awaitable[T]]], limit: int) -> list[T]:
    """Run the coroutines ``limit`` at a time, results in order."""
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[T]]) -> T:
        async with gate:
            return await job()

    return await asyncio.gather(*(one(job) for job in jobs))


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


async def graphql_as(
    http: ApiHttp, token: str, document: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """``document`` as the user of ``token``; its data, or RuntimeError when
    the API refused it (the demo's own requests must all be accepted)."""
    request = json.dumps({"query": document, "variables": variables}).encode()
    reply = await http.post("/graphql", request, _headers(token))
    body: dict[str, Any] = reply.json()
    if reply.status != 200 or body.get("errors"):
        raise RuntimeError(f"GraphQL refused the demo's request: {json.dumps(body)[:300]}")
    return body["data"]  # type: ignore[no-any-return]


async def place_orders(
    http: ApiHttp,
    settings: Settings,
    sales: Sequence[tuple[Region, int]],
    rng: random.Random,
    steps: Steps,
) -> list[Intake]:
    """Place about ``count`` orders in each ``(region, count)`` campaign over
    orderCreate, one intake per campaign. A customer's orders of the evening
    go together, whichever campaign they are for (tomorrow's and a later
    presale's), as one basket is placed from the mini-program."""
    intakes = [Intake() for _ in sales]
    baskets: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for index, (region, count) in enumerate(sales):
        for customer, orders in plan_orders(region, count, rng):
            baskets.setdefault(customer, []).extend((index, order) for order in orders)
    requests = [
        (customer, orders[start : start + ORDERS_PER_REQUEST])
        for customer, orders in baskets.items()
        for start in range(0, len(orders), ORDERS_PER_REQUEST)
    ]
    customers = sales[0][0].customers  # the region's, whichever campaign
    with steps.step("Orders over orderCreate", total=sum(len(o) for _, o in requests)) as bar:

        def send(
            customer: int, orders: Sequence[tuple[int, dict[str, Any]]]
        ) -> Callable[[], Awaitable[None]]:
            async def go() -> None:
                variables = {f"m{i}": order for i, (_, order) in enumerate(orders)}
                data = await graphql_as(
                    http, customers[customer].token, aliased(*CREATE, len(orders)), variables
                )
                for i, (index, _) in enumerate(orders):
                    _take(intakes[index], data[f"m{i}"], customer)
                bar.advance(len(orders))

            return go

        await gather_limited((send(c, o) for c, o in requests), concurrency(settings))
        placed = sum(len(intake.placed) for intake in intakes)
        refused = sum(sum(intake.refused.values()) for intake in intakes)
        bar.note = f"{placed:,} placed, {refused:,} refused, {len(requests):,} requests"
    return intakes


def _take(intake: Intake, answer: dict[str, Any], customer: int) -> None:
    """One orderCreate answer into its campaign's intake."""
    if answer["order"] is not None:
        order = answer["order"]
        intake.placed.append(Placed(order["id"], order["number"], order["totalFen"], customer))
    for error in answer["userErrors"]:
        intake.refused[error["code"]] += 1


def concurrency(settings: Settings) -> int:
    return CONCURRENCY["sqlite" if settings.is_sqlite else "postgresql"]


async def cancel_some(
    http: ApiHttp,
    region: Region,
    intake: Intake,
    paid: list[Placed],
    rng: random.Random,
    steps: Steps,
) -> None:
    """A few customers change their mind: some paid orders (refunded) and a
    few unpaid ones, each with orderCancel."""
    paid_numbers = {p.number for p in paid}
    unpaid = [p for p in intake.placed if p.number not in paid_numbers]
    chosen = rng.sample(paid, max(1, int(len(paid) * CANCEL_PAID_SHARE)))
    chosen += rng.sample(unpaid, min(CANCEL_UNPAID, len(unpaid)))
    with steps.step("Cancellations (orderCancel)", total=len(chosen)) as bar:
        for placed in chosen:
            data = await graphql_as(
                http,
                region.customers[placed.customer].token,
                aliased(*CANCEL, 1),
                {"m0": {"id": placed.gid}},
            )
            if data["m0"]["userErrors"]:
                raise RuntimeError(f"cancelling {placed.number}: {data['m0']['userErrors']}")
            bar.advance()
        intake.cancelled = len(chosen)
        bar.note = f"{len(chosen)} cancelled"
