"""Matching a bill against the platform's records, without a database:
every kind of mismatch, the day-before excuse, and the sweep's date."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fulfilment.reconciliation.jobs import due_date
from fulfilment.reconciliation.matching import (
    Outcome,
    PlatformPayment,
    PlatformRefund,
    match_payments,
    match_refunds,
    parse_out_refund_no,
)
from fulfilment.reconciliation.models import MismatchKind
from kernel.wechatpay.bill import BillRow


def paid(order: str, tx: str, fen: int) -> BillRow:
    return BillRow("", tx, order, "SUCCESS", fen, fen, "", "", 0, "0", {})


def refunded(order: str, out_refund_no: str, fen: int) -> BillRow:
    return BillRow(
        "", "tx", order, "REFUND", 0, 0, "r" + out_refund_no, out_refund_no, fen, "0", {}
    )


def payment(n: int, order: str, tx: str, fen: int, outcome: str = "accepted") -> PlatformPayment:
    return PlatformPayment(n, order, tx, fen, outcome)


def refund(refund_id: int, fen: int, state: str = "success", resend: int = 0) -> PlatformRefund:
    number = str(refund_id) if resend == 0 else f"{refund_id}-{resend}"
    return PlatformRefund(refund_id, number, fen, state, "O1", "tx", None)


def kinds(outcome: Outcome) -> list[tuple[MismatchKind, str | None]]:
    return [(m.kind, m.out_trade_no or m.out_refund_no) for m in outcome.mismatches]


def test_payments_each_kind() -> None:
    outcome = Outcome()
    rows = [paid("A", "t1", 100), paid("B", "t2", 200), paid("C", "t3", 300), paid("D", "t4", 400)]
    by_order = {
        "A": [payment(1, "A", "t1", 100), payment(9, "A", "t1", 100, "duplicate")],
        "B": [payment(2, "B", "t2", 250)],
        "C": [payment(3, "C", "t3", 300, "rejected")],
    }
    window = [by_order["A"][0], by_order["B"][0], payment(5, "E", "t5", 500)]
    match_payments(outcome, rows, by_order, window, elsewhere=set())
    assert kinds(outcome) == [
        (MismatchKind.AMOUNT_DIFFERS, "B"),
        (MismatchKind.STATE_DIFFERS, "C"),
        (MismatchKind.MISSING_AT_PLATFORM, "D"),
        (MismatchKind.MISSING_AT_PROVIDER, "E"),
    ]
    assert outcome.matched == 1
    assert (outcome.provider_payments, outcome.provider_paid_fen) == (4, 1000)
    # A and B booked and billed, E booked only; C was refused here.
    assert (outcome.platform_payments, outcome.platform_paid_fen) == (3, 850)


def test_a_payment_billed_the_day_before_is_not_missing() -> None:
    outcome = Outcome()
    late = payment(7, "L", "t7", 700)  # paid 23:59:59, notified after midnight
    match_payments(outcome, [], {}, [late], elsewhere={"t7"})
    assert outcome.mismatches == [] and outcome.platform_paid_fen == 0


def test_refunds_each_kind() -> None:
    outcome = Outcome()
    rows = [
        refunded("O1", "1", 100),
        refunded("O1", "2", 200),
        refunded("O1", "3", 300),
        refunded("O1", "4", 400),
        refunded("O1", "99", 900),
        refunded("O1", "x-1", 50),
    ]
    by_id = {
        1: refund(1, 100),
        2: refund(2, 250),
        3: refund(3, 300, "processing"),
        4: refund(4, 400, "success", resend=1),  # WeChat paid attempt 0 after all
    }
    window = [by_id[1], by_id[4], refund(5, 500), refund(6, 600)]
    match_refunds(outcome, rows, by_id, window, elsewhere={"6"})
    assert kinds(outcome) == [
        (MismatchKind.AMOUNT_DIFFERS, "O1"),
        (MismatchKind.STATE_DIFFERS, "O1"),
        (MismatchKind.STATE_DIFFERS, "O1"),
        (MismatchKind.MISSING_AT_PLATFORM, "O1"),
        (MismatchKind.MISSING_AT_PLATFORM, "O1"),
        (MismatchKind.MISSING_AT_PROVIDER, "O1"),
    ]
    assert [m.out_refund_no for m in outcome.mismatches] == ["2", "3", "4", "99", "x-1", "5"]
    assert outcome.mismatches[2].note == "the platform's current attempt is 4-1"
    assert outcome.matched == 1
    assert outcome.provider_refunded_fen == 1950
    assert outcome.platform_refunded_fen == 100 + 250 + 300 + 400 + 500


def test_out_refund_numbers() -> None:
    assert parse_out_refund_no("17") == (17, 0)
    assert parse_out_refund_no("17-2") == (17, 2)
    for bad in ("", "x", "17-", "-2", "17-a", "１７"):
        assert parse_out_refund_no(bad) is None


def test_the_sweep_reconciles_yesterday_once_bills_are_out() -> None:
    # 01:59 UTC is 09:59 in China: not yet; 02:00 UTC is 10:00: yesterday.
    assert due_date(datetime(2026, 12, 5, 1, 59, tzinfo=UTC)) is None
    assert due_date(datetime(2026, 12, 5, 2, 0, tzinfo=UTC)) == date(2026, 12, 4)
    # 16:30 UTC is 00:30 of the next day in China: that day's bills are not out.
    assert due_date(datetime(2026, 12, 5, 16, 30, tzinfo=UTC)) is None
