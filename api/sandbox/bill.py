"""The sandbox's trade bill, in WeChat Pay's format: a header, one line per
payment and per refund with each field prefixed by a backtick, then the
summary header and its totals. Amounts are yuan text; the 0.6% fee is
yuan with five decimals, as WeChat writes it."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from api.sandbox.state import SandboxKeys, SandboxOrder, SandboxRefund, SandboxState
from kernel.money import yuan
from kernel.wechatpay.bill import BILL_COLUMNS, SUMMARY_COLUMNS

# The fee in units of 0.00001 yuan: 0.6% of an amount in fen is fen × 6.
_FEE_UNITS_PER_FEN = 6
_AMOUNTS = ("应结订单金额", "代金券金额", "退款金额", "充值券退款金额", "订单金额", "申请退款金额")


def _fee(fen: int) -> str:
    units = fen * _FEE_UNITS_PER_FEN
    sign = "-" if units < 0 else ""
    whole, rest = divmod(abs(units), 100_000)
    return f"{sign}{whole}.{rest:05d}"


def _bill_time(rfc3339: str) -> str:
    return rfc3339[:19].replace("T", " ")


def _payment(order: SandboxOrder) -> dict[str, str]:
    return {
        "交易时间": _bill_time(order.success_time or ""),
        "微信订单号": order.transaction_id or "",
        "商户订单号": order.out_trade_no,
        "用户标识": order.openid or "",
        "交易类型": order.trade_type,
        "交易状态": "SUCCESS",
        "应结订单金额": yuan(order.total),
        "商品名称": order.description,
        "手续费": _fee(order.total),
        "订单金额": yuan(order.total),
    }


def _refund(refund: SandboxRefund, order: SandboxOrder) -> dict[str, str]:
    return {
        "交易时间": _bill_time(refund.success_time or ""),
        "微信订单号": refund.transaction_id,
        "商户订单号": refund.out_trade_no,
        "用户标识": order.openid or "",
        "交易类型": order.trade_type,
        "交易状态": "REFUND",
        "微信退款单号": refund.refund_id,
        "商户退款单号": refund.out_refund_no,
        "退款金额": yuan(refund.refund),
        "退款类型": "ORIGINAL",
        "退款状态": "SUCCESS",
        "商品名称": order.description,
        "手续费": _fee(-refund.refund),
        "申请退款金额": yuan(refund.refund),
    }


def _line(keys: SandboxKeys, values: dict[str, str]) -> list[str]:
    defaults: dict[str, Any] = {
        "公众账号ID": keys.appid,
        "商户号": keys.mchid,
        "特约商户号": "0",
        "付款银行": "OTHERS",
        "货币种类": "CNY",
        "费率": "0.60%",
    }
    row = {**defaults, **dict.fromkeys(_AMOUNTS, "0.00"), **values}
    return ["`" + str(row.get(column, "")) for column in BILL_COLUMNS]


def trade_bill(state: SandboxState, day: date) -> bytes:
    """The bill of ``day`` (Beijing time) as WeChat's CSV, UTF-8."""
    keys, day_text = state.keys, day.isoformat()
    paid = [
        o for o in state.orders.values() if o.success_time and o.success_time.startswith(day_text)
    ]
    refunded = [
        r
        for r in state.refunds.values()
        if r.status == "SUCCESS" and r.success_time and r.success_time.startswith(day_text)
    ]
    lines = [_payment(o) for o in paid]
    lines += [_refund(r, state.orders[r.out_trade_no]) for r in refunded]
    paid_fen = sum(o.total for o in paid)
    refund_fen = sum(r.refund for r in refunded)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(BILL_COLUMNS)
    writer.writerows(_line(keys, values) for values in lines)
    writer.writerow(SUMMARY_COLUMNS)
    totals = (
        str(len(lines)),
        yuan(paid_fen),
        yuan(refund_fen),
        "0.00",
        _fee(paid_fen - refund_fen),
        yuan(paid_fen),
        yuan(refund_fen),
    )
    writer.writerow("`" + value for value in totals)
    return out.getvalue().encode("utf-8")
