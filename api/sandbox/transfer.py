"""The sandbox's transfers to balance (商家转账到零钱), v3-shaped:

- ``POST /v3/transfer/batches`` takes a batch (appid, out_batch_no, totals,
  transfer_detail_list) and answers ACCEPTED. The same out_batch_no with
  the same transfers answers the same batch; with others, 400
  INVALID_REQUEST. Nothing is ever transferred twice.
- ``GET /v3/transfer/batches/out-batch-no/{no}?need_query_detail=true&
  offset=&limit=&detail_status=ALL|SUCCESS|FAIL`` answers the batch and a
  page of its transfers' states; ``…/details/out-detail-no/{no}`` one
  transfer with its ``fail_reason``.
- ``GET /sandbox/transfers``: every batch kept and how many creation
  requests came (for tests and for a look by hand).

A batch is ACCEPTED with its transfers INIT, PROCESSING after half of
``settle_s``, and FINISHED after ``settle_s``: each transfer SUCCESS, or
FAIL as the fault switches decided when it arrived (``transfer_fail``,
``transfer_fail_openids``). The states move when read, not by a timer.

The routes come from ``transfer_routes(state, v3)``: ``v3`` is the
sandbox's wrapper (signature check, delay, JSON body) from
``api/sandbox/wechatpay.py``, passed in so that this module does not import
that one, which lists these routes.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.sandbox.answers import signed
from api.sandbox.state import SandboxState, china_now

Handler = Callable[[SandboxState, Request, dict[str, Any]], Awaitable[Response]]
Endpoint = Callable[[Request], Awaitable[Response]]
V3 = Callable[[SandboxState, Handler], Endpoint]

# WeChat's out_batch_no and out_detail_no: letters and digits, at most 32.
_OUR_NO = re.compile(r"^[A-Za-z0-9]{1,32}$")
DEFAULT_FAIL_REASON = "ACCOUNT_FROZEN"


class _Refused(Exception):
    """A v3 error answer from a transfer endpoint."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _guarded(handler: Handler) -> Handler:
    """``handler`` with its refusals answered as v3 errors, signed."""

    async def guarded(state: SandboxState, request: Request, payload: dict[str, Any]) -> Response:
        try:
            return await handler(state, request, payload)
        except _Refused as no:
            return signed(state, no.status, {"code": no.code, "message": no.message})

    return guarded


@dataclass
class SandboxTransfer:
    """One transfer of a batch; ``outcome`` was decided when it arrived."""

    out_detail_no: str
    detail_id: str
    amount: int  # fen
    openid: str
    remark: str
    outcome: str  # SUCCESS or FAIL, shown once the batch settles
    fail_reason: str | None
    status: str = "INIT"
    update_time: str = field(default_factory=china_now)


@dataclass
class SandboxTransferBatch:
    """One batch as it arrived, and where its transfers stand."""

    out_batch_no: str
    batch_id: str
    appid: str
    name: str
    remark: str
    transfers: list[SandboxTransfer]
    request: dict[str, Any]  # what was asked: a resend must ask the same
    created: float  # monotonic
    create_time: str = field(default_factory=china_now)
    status: str = "ACCEPTED"

    def advance(self, settle_s: float) -> None:
        """Move the states on by the time gone since it arrived."""
        waited = time.monotonic() - self.created
        if self.status == "ACCEPTED" and waited >= settle_s / 2:
            self.status = "PROCESSING"
            for transfer in self.transfers:
                transfer.status, transfer.update_time = "PROCESSING", china_now()
        if self.status == "PROCESSING" and waited >= settle_s:
            self.status = "FINISHED"
            for transfer in self.transfers:
                transfer.status, transfer.update_time = transfer.outcome, china_now()

    def summary(self, mchid: str) -> dict[str, Any]:
        """v3's ``transfer_batch`` object."""
        done = {"SUCCESS": [0, 0], "FAIL": [0, 0]}
        for transfer in self.transfers:
            if transfer.status in done:
                done[transfer.status][0] += transfer.amount
                done[transfer.status][1] += 1
        return {
            "mchid": mchid,
            "out_batch_no": self.out_batch_no,
            "batch_id": self.batch_id,
            "appid": self.appid,
            "batch_status": self.status,
            "batch_type": "API",
            "batch_name": self.name,
            "batch_remark": self.remark,
            "total_amount": sum(t.amount for t in self.transfers),
            "total_num": len(self.transfers),
            "create_time": self.create_time,
            "update_time": max([self.create_time, *(t.update_time for t in self.transfers)]),
            "success_amount": done["SUCCESS"][0],
            "success_num": done["SUCCESS"][1],
            "fail_amount": done["FAIL"][0],
            "fail_num": done["FAIL"][1],
        }

    def detail(self, transfer: SandboxTransfer, mchid: str) -> dict[str, Any]:
        """The detail query's answer for one transfer."""
        data: dict[str, Any] = {
            "mchid": mchid,
            "out_batch_no": self.out_batch_no,
            "batch_id": self.batch_id,
            "appid": self.appid,
            "out_detail_no": transfer.out_detail_no,
            "detail_id": transfer.detail_id,
            "detail_status": transfer.status,
            "transfer_amount": transfer.amount,
            "transfer_remark": transfer.remark,
            "openid": transfer.openid,
            "initiate_time": self.create_time,
            "update_time": transfer.update_time,
        }
        if transfer.status == "FAIL" and transfer.fail_reason:
            data["fail_reason"] = transfer.fail_reason
        return data


@dataclass
class TransferDesk:
    """The transfer batches this sandbox holds, by out_batch_no."""

    batches: dict[str, SandboxTransferBatch] = field(default_factory=dict)
    requests: int = 0  # creation requests that reached a handler
    settle_s: float = 0.05


def _text(payload: dict[str, Any], name: str, limit: int = 32) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise _Refused(400, "PARAM_ERROR", f"缺少参数或参数错误 {name}")
    return value


def _positive(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise _Refused(400, "PARAM_ERROR", f"{name} 必须是正整数（分）")
    return value


def _transfers(state: SandboxState, payload: dict[str, Any]) -> list[SandboxTransfer]:
    """The batch's transfers, checked, with the outcome the faults decide."""
    rows = payload.get("transfer_detail_list")
    if not isinstance(rows, list) or not rows or len(rows) > 1000:
        raise _Refused(400, "PARAM_ERROR", "transfer_detail_list 须有 1 至 1000 笔")
    faults = state.faults
    transfers: list[SandboxTransfer] = []
    for row in rows:
        if not isinstance(row, dict):
            raise _Refused(400, "PARAM_ERROR", "transfer_detail_list 格式错误")
        no = _text(row, "out_detail_no")
        if not _OUR_NO.match(no):
            raise _Refused(400, "PARAM_ERROR", "out_detail_no 只能由数字、大小写字母组成")
        openid = _text(row, "openid", 128)
        failing = faults.transfer_fail is not None or openid in faults.transfer_fail_openids
        transfers.append(
            SandboxTransfer(
                out_detail_no=no,
                detail_id=f"1040000{secrets.randbelow(10**25):025d}",
                amount=_positive(row.get("transfer_amount"), "transfer_amount"),
                openid=openid,
                remark=_text(row, "transfer_remark"),
                outcome="FAIL" if failing else "SUCCESS",
                fail_reason=(faults.transfer_fail or DEFAULT_FAIL_REASON) if failing else None,
            )
        )
    if len({t.out_detail_no for t in transfers}) != len(transfers):
        raise _Refused(400, "PARAM_ERROR", "out_detail_no 在批次内重复")
    return transfers


def _new_batch(state: SandboxState, payload: dict[str, Any]) -> SandboxTransferBatch:
    if payload.get("appid") != state.keys.appid:
        raise _Refused(400, "PARAM_ERROR", "appid 与商户号不匹配")
    out_batch_no = _text(payload, "out_batch_no")
    if not _OUR_NO.match(out_batch_no):
        raise _Refused(400, "PARAM_ERROR", "out_batch_no 只能由数字、大小写字母组成")
    transfers = _transfers(state, payload)
    if payload.get("total_amount") != sum(t.amount for t in transfers):
        raise _Refused(400, "PARAM_ERROR", "total_amount 与明细金额之和不符")
    if payload.get("total_num") != len(transfers):
        raise _Refused(400, "PARAM_ERROR", "total_num 与明细笔数不符")
    return SandboxTransferBatch(
        out_batch_no=out_batch_no,
        batch_id=f"1030000{secrets.randbelow(10**25):025d}",
        appid=state.keys.appid,
        name=_text(payload, "batch_name"),
        remark=_text(payload, "batch_remark"),
        transfers=transfers,
        request=payload,
        created=time.monotonic(),
    )


def _created(batch: SandboxTransferBatch) -> dict[str, Any]:
    return {
        "out_batch_no": batch.out_batch_no,
        "batch_id": batch.batch_id,
        "create_time": batch.create_time,
        "batch_status": "ACCEPTED",
    }


def _create(desk: TransferDesk) -> Handler:
    async def create(state: SandboxState, request: Request, payload: dict[str, Any]) -> Response:
        desk.requests += 1
        faults = state.faults
        if faults.transfer_errors > 0:
            faults.transfer_errors -= 1
            raise _Refused(500, "SYSTEM_ERROR", "系统繁忙，请稍后重试")
        existing = desk.batches.get(str(payload.get("out_batch_no", "")))
        if existing is not None:
            # The same out_batch_no is the same batch: never a second transfer.
            if existing.request != payload:
                raise _Refused(400, "INVALID_REQUEST", "商家批次单号已存在，参数不一致")
            return signed(state, 200, _created(existing))
        batch = _new_batch(state, payload)
        desk.batches[batch.out_batch_no] = batch
        if faults.transfer_lost_answers > 0:
            faults.transfer_lost_answers -= 1
            raise _Refused(500, "SYSTEM_ERROR", "系统繁忙，请稍后重试")
        return signed(state, 200, _created(batch))

    return _guarded(create)


def _batch(desk: TransferDesk, request: Request) -> SandboxTransferBatch:
    batch = desk.batches.get(request.path_params["out_batch_no"])
    if batch is None:
        raise _Refused(404, "NOT_FOUND", "记录不存在")
    batch.advance(desk.settle_s)
    return batch


def _page(request: Request) -> tuple[int, int, str]:
    try:
        offset = int(request.query_params.get("offset", "0"))
        limit = int(request.query_params.get("limit", "20"))
    except ValueError as exc:
        raise _Refused(400, "PARAM_ERROR", "offset、limit 须为整数") from exc
    which = request.query_params.get("detail_status", "ALL")
    if offset < 0 or not 1 <= limit <= 100 or which not in ("ALL", "SUCCESS", "FAIL"):
        raise _Refused(400, "PARAM_ERROR", "offset、limit 或 detail_status 不正确")
    return offset, limit, which


def _query(desk: TransferDesk) -> Handler:
    async def query(state: SandboxState, request: Request, payload: dict[str, Any]) -> Response:
        batch = _batch(desk, request)
        offset, limit, which = _page(request)
        data: dict[str, Any] = {
            "offset": offset,
            "limit": limit,
            "transfer_batch": batch.summary(state.keys.mchid),
        }
        if request.query_params.get("need_query_detail") == "true":
            chosen = [t for t in batch.transfers if which in ("ALL", t.status)]
            data["transfer_detail_list"] = [
                {
                    "detail_id": t.detail_id,
                    "out_detail_no": t.out_detail_no,
                    "detail_status": t.status,
                }
                for t in chosen[offset : offset + limit]
            ]
        return signed(state, 200, data)

    return _guarded(query)


def _detail(desk: TransferDesk) -> Handler:
    async def detail(state: SandboxState, request: Request, payload: dict[str, Any]) -> Response:
        batch = _batch(desk, request)
        wanted = request.path_params["out_detail_no"]
        for transfer in batch.transfers:
            if transfer.out_detail_no == wanted:
                return signed(state, 200, batch.detail(transfer, state.keys.mchid))
        raise _Refused(404, "NOT_FOUND", "记录不存在")

    return _guarded(detail)


def transfer_routes(state: SandboxState, v3: V3) -> list[Route]:
    """The transfer endpoints over one desk of batches, wrapped by ``v3``."""
    desk = TransferDesk()

    async def listing(request: Request) -> Response:
        mchid = state.keys.mchid
        batches = []
        for batch in desk.batches.values():
            batch.advance(desk.settle_s)
            details = [batch.detail(t, mchid) for t in batch.transfers]
            batches.append({**batch.summary(mchid), "transfer_detail_list": details})
        return JSONResponse({"requests": desk.requests, "batches": batches})

    by_no = "/v3/transfer/batches/out-batch-no/{out_batch_no}"
    return [
        Route("/v3/transfer/batches", v3(state, _create(desk)), methods=["POST"]),
        Route(by_no, v3(state, _query(desk))),
        Route(f"{by_no}/details/out-detail-no/{{out_detail_no}}", v3(state, _detail(desk))),
        Route("/sandbox/transfers", listing),
    ]
