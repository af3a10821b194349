"""The sandbox's combined payments (合单支付, kernel/wechatpay/combine.py):
prepay (JSAPI, Native), query and close by ``combine_out_trade_no``, and the
payer paying the lot at once. Each sub-order is a ``SandboxOrder`` of its own,
so refunds, the trade bill and a sub-order's query work as for any payment;
a number already used alone cannot join a combined payment, and a sub-order
cannot be prepaid or closed alone. The v3 wrapper (signature check, errors)
is ``api/sandbox/wechatpay.py``'s, passed in as the transfers' is."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from api.sandbox.answers import Refusal, require, signed
from api.sandbox.state import SandboxCombine, SandboxOrder, SandboxState, china_now

Handler = Callable[[SandboxState, Request, dict[str, Any]], Awaitable[Response]]
V3 = Callable[[SandboxState, Handler], Callable[[Request], Awaitable[Response]]]
MIN_SUB_ORDERS, MAX_SUB_ORDERS = 2, 10


def _sub_order(state: SandboxState, sub: Any, notify_url: str, trade_type: str) -> SandboxOrder:
    if not isinstance(sub, dict):
        raise Refusal(400, "PARAM_ERROR", "sub_orders 的每一项是对象")
    require(sub, "mchid", "attach", "amount", "out_trade_no", "description")
    if sub["mchid"] != state.keys.mchid:
        raise Refusal(400, "MCH_NOT_EXISTS", "子单商户号不存在")
    total = (sub.get("amount") or {}).get("total_amount")
    if not isinstance(total, int) or isinstance(total, bool) or total <= 0:
        raise Refusal(400, "PARAM_ERROR", "amount.total_amount 必须是正整数（分）")
    if sub["out_trade_no"] in state.orders:
        raise Refusal(400, "INVALID_REQUEST", f"子单商户订单号 {sub['out_trade_no']} 已使用")
    return SandboxOrder(
        out_trade_no=sub["out_trade_no"],
        description=sub["description"],
        notify_url=notify_url,
        total=total,
        trade_type=trade_type,
        openid=None,
        prepay_id="",
        combine=None,
    )


def _same(existing: SandboxCombine, payload: dict[str, Any], trade_type: str) -> SandboxCombine:
    """The combined payment already opened under this number, asked again."""
    if any(o.trade_state in ("SUCCESS", "REFUND") for o in existing.sub_orders):
        raise Refusal(400, "ORDERPAID", "该订单已支付")
    if any(o.trade_state == "CLOSED" for o in existing.sub_orders):
        raise Refusal(400, "ORDER_CLOSED", "订单已关闭")
    asked = [
        (sub.get("out_trade_no"), (sub.get("amount") or {}).get("total_amount"))
        for sub in payload["sub_orders"]
        if isinstance(sub, dict)
    ]
    kept = [(o.out_trade_no, o.total) for o in existing.sub_orders]
    if asked != kept or existing.trade_type != trade_type:
        raise Refusal(400, "INVALID_REQUEST", "合单商户订单号重复，参数不一致")
    return existing


def _open(state: SandboxState, payload: dict[str, Any], trade_type: str) -> SandboxCombine:
    require(payload, "combine_appid", "combine_mchid", "combine_out_trade_no", "notify_url")
    if payload["combine_mchid"] != state.keys.mchid or payload["combine_appid"] != state.keys.appid:
        raise Refusal(400, "APPID_MCHID_NOT_MATCH", "appid 和 mch_id 不匹配")
    subs = payload.get("sub_orders")
    if not isinstance(subs, list) or not MIN_SUB_ORDERS <= len(subs) <= MAX_SUB_ORDERS:
        raise Refusal(400, "PARAM_ERROR", "sub_orders 须有 2 至 10 笔子单")
    openid = (payload.get("combine_payer_info") or {}).get("openid")
    if trade_type == "JSAPI" and not openid:
        raise Refusal(400, "PARAM_ERROR", "缺少参数 combine_payer_info.openid")
    number = payload["combine_out_trade_no"]
    if number in state.combines:
        return _same(state.combines[number], payload, trade_type)
    if number in state.orders:
        raise Refusal(400, "INVALID_REQUEST", "合单商户订单号已用作普通订单")
    orders = [_sub_order(state, sub, payload["notify_url"], trade_type) for sub in subs]
    if len({o.out_trade_no for o in orders} | {number}) != len(orders) + 1:
        raise Refusal(400, "PARAM_ERROR", "子单商户订单号重复")
    combine = SandboxCombine(
        combine_out_trade_no=number,
        notify_url=payload["notify_url"],
        trade_type=trade_type,
        openid=openid,
        prepay_id=f"wx{secrets.token_hex(16)}",
        sub_orders=orders,
        attach={sub["out_trade_no"]: str(sub["attach"]) for sub in subs},
    )
    for order in orders:
        order.openid, order.prepay_id, order.combine = openid, combine.prepay_id, number
        state.orders[order.out_trade_no] = order
    state.combines[number] = combine
    return combine


async def _jsapi(state: SandboxState, request: Request, payload: dict[str, Any]) -> Response:
    return signed(state, 200, {"prepay_id": _open(state, payload, "JSAPI").prepay_id})


async def _native(state: SandboxState, request: Request, payload: dict[str, Any]) -> Response:
    combine = _open(state, payload, "NATIVE")
    return signed(
        state, 200, {"code_url": f"weixin://wxpay/bizpayurl?pr={combine.prepay_id[2:12]}"}
    )


def _combine(state: SandboxState, request: Request) -> SandboxCombine:
    combine = state.combines.get(request.path_params["combine_out_trade_no"])
    if combine is None:
        raise Refusal(404, "ORDER_NOT_EXIST", "订单不存在")
    return combine


async def _query(state: SandboxState, request: Request, payload: dict[str, Any]) -> Response:
    return signed(state, 200, _combine(state, request).as_json(state.keys))


async def _close(state: SandboxState, request: Request, payload: dict[str, Any]) -> Response:
    combine = _combine(state, request)
    require(payload, "combine_appid", "sub_orders")
    if any(o.trade_state in ("SUCCESS", "REFUND") for o in combine.sub_orders):
        raise Refusal(400, "ORDERPAID", "订单已支付")
    for order in combine.sub_orders:
        order.trade_state = "CLOSED"
    return signed(state, 204)


def pay_combined(state: SandboxState, number: str) -> dict[str, Any]:
    """The payer pays the combined payment ``number``: every sub-order turns
    SUCCESS with a transaction_id of its own. The notification's resource;
    ValueError when it is not awaiting payment."""
    combine = state.combines[number]
    states = {o.trade_state for o in combine.sub_orders}
    if states != {"NOTPAY"}:
        # As for one order, the message ends in the state (paid: SUCCESS).
        told = "SUCCESS" if states & {"SUCCESS", "REFUND"} else min(states - {"NOTPAY"})
        raise ValueError(f"合单状态为 {told}")
    paid_at = china_now()
    for order in combine.sub_orders:
        order.trade_state, order.success_time = "SUCCESS", paid_at
        order.transaction_id = f"4200{secrets.randbelow(10**24):024d}"
    return combine.as_json(state.keys)


def combine_routes(state: SandboxState, v3: V3) -> list[Route]:
    """The combined-payment endpoints, wrapped by ``v3``."""
    base = "/v3/combine-transactions"
    one = f"{base}/out-trade-no/{{combine_out_trade_no}}"
    return [
        Route(f"{base}/jsapi", v3(state, _jsapi), methods=["POST"]),
        Route(f"{base}/native", v3(state, _native), methods=["POST"]),
        Route(one, v3(state, _query)),
        Route(f"{one}/close", v3(state, _close), methods=["POST"]),
    ]
