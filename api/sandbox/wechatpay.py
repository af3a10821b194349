"""A local WeChat Pay API v3 server (docs/wechatpay.md). It checks every
merchant request's signature (401 SIGN_ERROR otherwise), signs every answer
with its platform key, keeps orders and refunds in memory and sends
encrypted, signed notifications. ``/sandbox/*`` are its development
endpoints: the payer pays, the fault switches, the notification log."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.sandbox.answers import Refusal, require, signed
from api.sandbox.bill import trade_bill
from api.sandbox.combine import combine_routes, pay_combined
from api.sandbox.notify import notify
from api.sandbox.state import SandboxOrder, SandboxRefund, SandboxState, china_now
from api.sandbox.transfer import transfer_routes
from kernel.wechatpay import crypto
from kernel.wechatpay.errors import SignatureError

Handler = Callable[[SandboxState, Request, dict[str, Any]], Awaitable[Response]]


def _authenticate(state: SandboxState, request: Request, body: bytes) -> None:
    fields = crypto.parse_authorization(request.headers.get("Authorization", ""))
    if fields["mchid"] != state.keys.mchid or fields["serial_no"] != state.keys.merchant_serial:
        raise Refusal(401, "SIGN_ERROR", "商户号或证书序列号不匹配")
    crypto.check_fresh(fields["timestamp"], time.time())
    # The signed path is the raw one, with the query, as the merchant sent it.
    path = request.scope.get("raw_path") or request.url.path.encode()
    if request.scope.get("query_string"):
        path += b"?" + request.scope["query_string"]
    message = crypto.request_message(
        request.method, path.decode(), fields["timestamp"], fields["nonce_str"], body
    )
    if not crypto.signature_valid(
        state.keys.merchant_key.public_key(), message, fields["signature"]
    ):
        raise Refusal(401, "SIGN_ERROR", "签名错误")


def v3(state: SandboxState, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """A v3 endpoint: signature check, JSON body, v3 errors, delay fault."""

    async def endpoint(request: Request) -> Response:
        state.served[f"{request.method} {request.url.path}"] += 1
        body = await request.body()
        try:
            try:
                _authenticate(state, request, body)
            except SignatureError as exc:
                raise Refusal(401, "SIGN_ERROR", str(exc)) from exc
            try:
                payload = json.loads(body) if body else {}
            except ValueError as exc:
                raise Refusal(400, "PARAM_ERROR", "请求体不是 JSON") from exc
            answer = await handler(state, request, payload)
        except Refusal as refusal:
            answer = signed(
                state, refusal.status, {"code": refusal.code, "message": refusal.message}
            )
        if state.faults.delay_ms:
            # Done, but slow to say so: a caller that gives up (or dies)
            # meanwhile has its request carried out and never hears of it.
            await asyncio.sleep(state.faults.delay_ms / 1000)
        return answer

    return endpoint


def _amount(payload: dict[str, Any], name: str) -> int:
    value = (payload.get("amount") or {}).get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise Refusal(400, "PARAM_ERROR", f"amount.{name} 必须是正整数（分）")
    return value


def _open(state: SandboxState, payload: dict[str, Any], trade_type: str) -> SandboxOrder:
    require(payload, "appid", "mchid", "description", "out_trade_no", "notify_url", "amount")
    if payload["mchid"] != state.keys.mchid or payload["appid"] != state.keys.appid:
        raise Refusal(400, "APPID_MCHID_NOT_MATCH", "appid 和 mch_id 不匹配")
    total = _amount(payload, "total")
    openid = (payload.get("payer") or {}).get("openid")
    if trade_type == "JSAPI" and not openid:
        raise Refusal(400, "PARAM_ERROR", "缺少参数 payer.openid")
    existing = state.orders.get(payload["out_trade_no"])
    if existing is not None and existing.combine is not None:
        raise Refusal(400, "INVALID_REQUEST", "该商户订单号已用于合单支付")
    if existing is not None:
        if existing.trade_state in ("SUCCESS", "REFUND"):
            raise Refusal(400, "ORDERPAID", "该订单已支付")
        if existing.trade_state == "CLOSED":
            raise Refusal(400, "ORDER_CLOSED", "订单已关闭")
        if existing.total != total or existing.trade_type != trade_type:
            raise Refusal(400, "INVALID_REQUEST", "商户订单号重复，参数不一致")
        return existing
    order = SandboxOrder(
        out_trade_no=payload["out_trade_no"],
        description=payload["description"],
        notify_url=payload["notify_url"],
        total=total,
        trade_type=trade_type,
        openid=openid,
        prepay_id=f"wx{secrets.token_hex(16)}",
    )
    state.orders[order.out_trade_no] = order
    return order


async def _jsapi(state: SandboxState, request: Request, payload: dict[str, Any]) -> Response:
    return signed(state, 200, {"prepay_id": _open(state, payload, "JSAPI").prepay_id})


async def _native(state: SandboxState, request: Request, payload: dict[str, Any]) -> Response:
    order = _open(state, payload, "NATIVE")
    return signed(state, 200, {"code_url": f"weixin://wxpay/bizpayurl?pr={order.prepay_id[2:12]}"})


def _order(state: SandboxState, request: Request) -> SandboxOrder:
    order = state.orders.get(request.path_params["out_trade_no"])
    if order is None:
        raise Refusal(404, "ORDER_NOT_EXIST", "订单不存在")
    return order


async def _query(state: SandboxState, request: Request, payload: dict[str, Any]) -> Response:
    if request.query_params.get("mchid") != state.keys.mchid:
        raise Refusal(400, "PARAM_ERROR", "mchid 不正确")
    return signed(state, 200, _order(state, request).as_json(state.keys))


async def _close(state: SandboxState, request: Request, payload: dict[str, Any]) -> Response:
    order = _order(state, request)
    if order.combine is not None:
        raise Refusal(400, "INVALID_REQUEST", "合单的子单须关闭合单")
    if order.trade_state in ("SUCCESS", "REFUND"):
        raise Refusal(400, "ORDERPAID", "订单已支付")
    order.trade_state = "CLOSED"
    return signed(state, 204)


async def _settle(state: SandboxState, refund: SandboxRefund) -> None:
    await asyncio.sleep(state.refund_settle_s)
    refund.status, refund.success_time = "SUCCESS", china_now()
    resource = refund.notification_resource(state.keys)
    notify(state, refund.notify_url, "REFUND.SUCCESS", resource)


def _new_refund(state: SandboxState, payload: dict[str, Any]) -> SandboxRefund:
    require(payload, "out_trade_no", "out_refund_no", "amount")
    order = state.orders.get(payload["out_trade_no"])
    if order is None:
        raise Refusal(404, "RESOURCE_NOT_EXISTS", "订单不存在")
    if order.trade_state not in ("SUCCESS", "REFUND") or order.transaction_id is None:
        raise Refusal(400, "INVALID_REQUEST", "订单未支付，不能退款")
    refund, total = _amount(payload, "refund"), _amount(payload, "total")
    if total != order.total:
        raise Refusal(400, "PARAM_ERROR", "订单金额与原订单不一致")
    # A refund closed or abnormal gave nothing back: its amount is refundable again.
    already = sum(
        r.refund
        for r in state.refunds.values()
        if r.out_trade_no == order.out_trade_no and r.status not in ("CLOSED", "ABNORMAL")
    )
    if already + refund > total:
        raise Refusal(400, "INVALID_REQUEST", "退款金额超过订单可退金额")
    order.trade_state = "REFUND"
    return SandboxRefund(
        out_refund_no=payload["out_refund_no"],
        refund_id=f"50300{secrets.randbelow(10**24):024d}",
        out_trade_no=order.out_trade_no,
        transaction_id=order.transaction_id,
        refund=refund,
        total=total,
        reason=str(payload.get("reason", "")),
        notify_url=str(payload.get("notify_url", "")),
        status="PROCESSING",
        create_time=china_now(),
    )


async def _refund(state: SandboxState, request: Request, payload: dict[str, Any]) -> Response:
    if state.faults.refund_error_status:
        status = state.faults.refund_error_status
        raise Refusal(status, "SYSTEM_ERROR", "系统繁忙，请稍后重试")
    existing = state.refunds.get(str(payload.get("out_refund_no", "")))
    if existing is not None:  # the same out_refund_no is the same refund
        return signed(state, 200, existing.as_json(state.keys))
    refund = _new_refund(state, payload)
    state.refunds[refund.out_refund_no] = refund
    if state.faults.refund_status in ("ABNORMAL", "CLOSED"):
        refund.status = state.faults.refund_status
        if refund.notify_url:
            resource = refund.notification_resource(state.keys)
            notify(state, refund.notify_url, f"REFUND.{refund.status}", resource)
    elif refund.notify_url:
        state.spawn(_settle(state, refund))
    return signed(state, 200, refund.as_json(state.keys))


async def _refund_query(state: SandboxState, request: Request, payload: dict[str, Any]) -> Response:
    refund = state.refunds.get(request.path_params["out_refund_no"])
    if refund is None:
        raise Refusal(404, "RESOURCE_NOT_EXISTS", "退款单不存在")
    return signed(state, 200, refund.as_json(state.keys))


async def _tradebill(state: SandboxState, request: Request, payload: dict[str, Any]) -> Response:
    try:
        day = date.fromisoformat(request.query_params.get("bill_date", ""))
    except ValueError as exc:
        raise Refusal(400, "PARAM_ERROR", "bill_date 格式为 YYYY-MM-DD") from exc
    content = trade_bill(state, day)
    token = secrets.token_urlsafe(16)
    state.bills[token] = content
    base = str(request.base_url).rstrip("/")
    return signed(
        state,
        200,
        {
            "hash_type": "SHA1",
            "hash_value": hashlib.sha1(content).hexdigest(),
            "download_url": f"{base}/v3/billdownload/file?token={token}",
        },
    )


async def _download(state: SandboxState, request: Request, payload: dict[str, Any]) -> Response:
    content = state.bills.get(request.query_params.get("token", ""))
    if content is None:
        raise Refusal(404, "RESOURCE_NOT_EXISTS", "账单不存在或已过期")
    # As WeChat's: the file itself is not signed, its hash was.
    return Response(content, media_type="text/plain; charset=utf-8")


async def pay(request: Request) -> Response:
    """``POST /sandbox/pay/{out_trade_no}``: the payer pays. The order (or
    every sub-order of a combined payment, by its combine_out_trade_no)
    turns SUCCESS and its TRANSACTION.SUCCESS notification goes to notify_url."""
    state: SandboxState = request.app.state.sandbox
    number = request.path_params["out_trade_no"]
    if number in state.combines:
        combine = state.combines[number]
        try:
            resource = pay_combined(state, number)
        except ValueError as exc:
            return JSONResponse({"code": "INVALID_REQUEST", "message": str(exc)}, 400)
        notify(state, combine.notify_url, "TRANSACTION.SUCCESS", resource)
        return JSONResponse(resource)
    order = state.orders.get(number)
    if order is None or order.combine is not None:
        return JSONResponse({"code": "ORDER_NOT_EXIST", "message": "订单不存在"}, 404)
    if order.trade_state != "NOTPAY":
        message = f"订单状态为 {order.trade_state}"
        return JSONResponse({"code": "INVALID_REQUEST", "message": message}, 400)
    order.trade_state, order.success_time = "SUCCESS", china_now()
    order.transaction_id = f"4200{secrets.randbelow(10**24):024d}"
    notify(state, order.notify_url, "TRANSACTION.SUCCESS", order.as_json(state.keys))
    return JSONResponse(order.as_json(state.keys))


async def faults(request: Request) -> Response:
    """``POST /sandbox/faults``: set the named switches (``reset`` clears
    them first); ``GET`` reads them."""
    state: SandboxState = request.app.state.sandbox
    if request.method == "POST":
        changes = await request.json()
        if not isinstance(changes, dict):
            return JSONResponse({"code": "PARAM_ERROR", "message": "a JSON object"}, 400)
        try:
            state.faults.update(changes)
        except ValueError as exc:
            return JSONResponse({"code": "PARAM_ERROR", "message": str(exc)}, 400)
    return JSONResponse(state.faults.as_json())


async def deliveries(request: Request) -> Response:
    """``GET /sandbox/notifications``: every delivery attempt, in order."""
    state: SandboxState = request.app.state.sandbox
    return JSONResponse(state.deliveries)


def create_app(state: SandboxState) -> Starlette:
    """The sandbox as an ASGI app over ``state``."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        for task in list(state.tasks):
            task.cancel()

    routes = [
        Route("/v3/pay/transactions/jsapi", v3(state, _jsapi), methods=["POST"]),
        Route("/v3/pay/transactions/native", v3(state, _native), methods=["POST"]),
        Route("/v3/pay/transactions/out-trade-no/{out_trade_no}", v3(state, _query)),
        Route(
            "/v3/pay/transactions/out-trade-no/{out_trade_no}/close",
            v3(state, _close),
            methods=["POST"],
        ),
        Route("/v3/refund/domestic/refunds", v3(state, _refund), methods=["POST"]),
        Route("/v3/refund/domestic/refunds/{out_refund_no}", v3(state, _refund_query)),
        Route("/v3/bill/tradebill", v3(state, _tradebill)),
        Route("/v3/billdownload/file", v3(state, _download)),
        *transfer_routes(state, v3),
        *combine_routes(state, v3),
        Route("/sandbox/pay/{out_trade_no}", pay, methods=["POST"]),
        Route("/sandbox/faults", faults, methods=["GET", "POST"]),
        Route("/sandbox/notifications", deliveries),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.sandbox = state
    return app
