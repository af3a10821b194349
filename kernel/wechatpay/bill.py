"""WeChat Pay's trade bill (交易账单), the file reconciliation reads: a
header line, one line per payment or refund with every field prefixed by a
backtick (so spreadsheets keep long numbers as text), then a summary header
and its one line of totals. Amounts are yuan text; ``parse_trade_bill``
turns them back into fen exactly."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from kernel.wechatpay.errors import MalformedResponse
from kernel.wechatpay.models import fen

# The ALL bill's columns, in WeChat's order.
BILL_COLUMNS = (
    "交易时间", "公众账号ID", "商户号", "特约商户号", "设备号", "微信订单号", "商户订单号",
    "用户标识", "交易类型", "交易状态", "付款银行", "货币种类", "应结订单金额", "代金券金额",
    "微信退款单号", "商户退款单号", "退款金额", "充值券退款金额", "退款类型", "退款状态",
    "商品名称", "商户数据包", "手续费", "费率", "订单金额", "申请退款金额", "费率备注",
)  # fmt: skip
SUMMARY_COLUMNS = (
    "总交易单数", "应结订单总金额", "退款总金额", "充值券退款总金额", "手续费总金额",
    "订单总金额", "申请退款总金额",
)  # fmt: skip


@dataclass(frozen=True)
class BillRow:
    """One line of the bill: a payment (``state`` SUCCESS) or a refund (REFUND)."""

    trade_time: str
    transaction_id: str
    out_trade_no: str
    state: str
    settlement_total: int  # fen, 应结订单金额
    order_total: int  # fen, 订单金额
    refund_id: str
    out_refund_no: str
    refund: int  # fen, 退款金额
    fee: str  # 手续费, five decimals of yuan: kept as text, it is not fen
    fields: dict[str, str]


@dataclass(frozen=True)
class TradeBill:
    """A parsed bill: its lines and the summary's totals in fen."""

    rows: list[BillRow]
    count: int
    settlement_total: int
    refund_total: int
    order_total: int

    def row(self, out_trade_no: str, state: str = "SUCCESS") -> BillRow | None:
        """The line of one order in one state, if the bill has it."""
        return next(
            (r for r in self.rows if r.out_trade_no == out_trade_no and r.state == state), None
        )


def _unquote(value: str) -> str:
    return value[1:] if value.startswith("`") else value


def _row(fields: dict[str, str]) -> BillRow:
    return BillRow(
        trade_time=fields["交易时间"],
        transaction_id=fields["微信订单号"],
        out_trade_no=fields["商户订单号"],
        state=fields["交易状态"],
        settlement_total=fen(fields["应结订单金额"]),
        order_total=fen(fields["订单金额"]),
        refund_id=fields["微信退款单号"],
        out_refund_no=fields["商户退款单号"],
        refund=fen(fields["退款金额"]),
        fee=fields["手续费"],
        fields=fields,
    )


def parse_trade_bill(text: str) -> TradeBill:
    """Parse a trade bill; ``MalformedResponse`` if it is not one."""
    records = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if r]
    try:
        header = [c.strip() for c in records[0]]
        cut = next(i for i, r in enumerate(records) if r[0].strip() == SUMMARY_COLUMNS[0])
        rows = [_row(dict(zip(header, map(_unquote, r), strict=True))) for r in records[1:cut]]
        summary = dict(zip(records[cut], map(_unquote, records[cut + 1]), strict=True))
        return TradeBill(
            rows=rows,
            count=int(summary["总交易单数"]),
            settlement_total=fen(summary["应结订单总金额"]),
            refund_total=fen(summary["退款总金额"]),
            order_total=fen(summary["订单总金额"]),
        )
    except (IndexError, StopIteration, KeyError, ValueError) as exc:
        raise MalformedResponse(f"not a trade bill: {exc}") from exc
