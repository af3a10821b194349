"""Matching a bill against the platform's records, in Python over dicts:
no database, no provider, so a day of 50k lines is a few dictionary
look-ups per line. ``platform.py`` loads the dicts set-based;
``service.py`` runs the whole reconciliation."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from fulfilment.reconciliation.models import LineKind, MismatchKind
from kernel.wechatpay.bill import BillRow

PAID, REFUNDED = "SUCCESS", "REFUND"


@dataclass(frozen=True)
class PlatformPayment:
    """An accepted payment notification: money the platform booked."""

    notification_id: int
    order_number: str
    transaction_id: str
    amount_fen: int
    outcome: str  # accepted, duplicate, rejected


@dataclass(frozen=True)
class PlatformRefund:
    """A refund and the out_refund_no its current attempt has at WeChat."""

    refund_id: int
    out_refund_no: str
    amount_fen: int
    state: str
    order_number: str
    transaction_id: str | None
    provider_refund_id: str | None


@dataclass(frozen=True)
class Mismatch:
    """One line that did not match; the side that has no line has None."""

    kind: MismatchKind
    line: LineKind
    out_trade_no: str | None = None
    transaction_id: str | None = None
    out_refund_no: str | None = None
    provider_refund_id: str | None = None
    platform_id: int | None = None
    provider_fen: int | None = None
    platform_fen: int | None = None
    provider_state: str | None = None
    platform_state: str | None = None
    note: str | None = None


@dataclass
class Outcome:
    """What matching found: counts, both sides' totals, the mismatches.

    The platform's totals are over the lines reconciled for the date: the
    platform's amount of each bill line it knows, plus what it booked that
    the bill lacks. A clean day therefore has equal totals on both sides,
    whatever day our notification or refund confirmation arrived."""

    provider_payments: int = 0
    provider_refunds: int = 0
    platform_payments: int = 0
    platform_refunds: int = 0
    matched: int = 0
    provider_paid_fen: int = 0
    provider_refunded_fen: int = 0
    platform_paid_fen: int = 0
    platform_refunded_fen: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)


def parse_out_refund_no(text: str) -> tuple[int, int] | None:
    """``"17"`` → (17, 0), ``"17-2"`` → (17, 2): a refund's id and which
    sending it was; None for a number the platform never makes."""
    head, dash, tail = text.partition("-")
    if not (head.isascii() and head.isdigit()) or (
        dash and not (tail.isascii() and tail.isdigit())
    ):
        return None
    return int(head), int(tail) if dash else 0


def match_payments(
    outcome: Outcome,
    rows: Iterable[BillRow],
    by_order: dict[str, list[PlatformPayment]],
    window: Iterable[PlatformPayment],
    elsewhere: set[str],
) -> None:
    """Bill SUCCESS lines against notifications (``by_order``: every
    notification of the bill's orders, whenever received); then the
    ``window``'s accepted payments the bill lacks, unless the provider
    billed them on another date (``elsewhere``, transaction ids)."""
    billed: set[str] = set()
    for row in rows:
        billed.add(row.transaction_id)
        outcome.provider_payments += 1
        outcome.provider_paid_fen += row.order_total
        same = [
            p for p in by_order.get(row.out_trade_no, []) if p.transaction_id == row.transaction_id
        ]
        accepted = next((p for p in same if p.outcome == "accepted"), None)
        found = accepted or (same[0] if same else None)
        base = Mismatch(
            kind=MismatchKind.MISSING_AT_PLATFORM,
            line=LineKind.PAYMENT,
            out_trade_no=row.out_trade_no,
            transaction_id=row.transaction_id,
            provider_fen=row.order_total,
            provider_state=row.state,
        )
        if found is None:
            outcome.mismatches.append(base)
            continue
        known = _known(base, found.notification_id, found.amount_fen, found.outcome)
        if accepted is None:
            # Paid at WeChat, refused here (an amount or order it would not book).
            outcome.mismatches.append(_as(known, MismatchKind.STATE_DIFFERS))
            continue
        outcome.platform_payments += 1
        outcome.platform_paid_fen += accepted.amount_fen
        if accepted.amount_fen != row.order_total:
            outcome.mismatches.append(_as(known, MismatchKind.AMOUNT_DIFFERS))
        else:
            outcome.matched += 1
    for payment in window:
        if payment.transaction_id in billed or payment.transaction_id in elsewhere:
            continue
        outcome.platform_payments += 1
        outcome.platform_paid_fen += payment.amount_fen
        outcome.mismatches.append(
            Mismatch(
                kind=MismatchKind.MISSING_AT_PROVIDER,
                line=LineKind.PAYMENT,
                out_trade_no=payment.order_number,
                transaction_id=payment.transaction_id,
                platform_id=payment.notification_id,
                platform_fen=payment.amount_fen,
                platform_state=payment.outcome,
            )
        )


def match_refunds(
    outcome: Outcome,
    rows: Iterable[BillRow],
    by_id: dict[int, PlatformRefund],
    window: Iterable[PlatformRefund],
    elsewhere: set[str],
) -> None:
    """Bill REFUND lines against refunds by out_refund_no (``by_id``: the
    refunds the bill names, whenever they succeeded here); then the
    ``window``'s successful refunds the bill lacks, unless billed on another
    date (``elsewhere``, out_refund_nos)."""
    seen: set[int] = set()  # refunds a bill line named, under any attempt's number
    for row in rows:
        outcome.provider_refunds += 1
        outcome.provider_refunded_fen += row.refund
        parsed = parse_out_refund_no(row.out_refund_no)
        refund = by_id.get(parsed[0]) if parsed else None
        base = Mismatch(
            kind=MismatchKind.MISSING_AT_PLATFORM,
            line=LineKind.REFUND,
            out_trade_no=row.out_trade_no,
            transaction_id=row.transaction_id,
            out_refund_no=row.out_refund_no,
            provider_refund_id=row.refund_id,
            provider_fen=row.refund,
            provider_state="SUCCESS",
        )
        if refund is None:
            outcome.mismatches.append(base)
            continue
        known = _known(base, refund.refund_id, refund.amount_fen, refund.state)
        seen.add(refund.refund_id)
        outcome.platform_refunds += 1
        outcome.platform_refunded_fen += refund.amount_fen
        if refund.out_refund_no != row.out_refund_no:
            # WeChat paid an attempt the platform has given up on: the
            # current attempt may pay too, twice the money out.
            note = f"the platform's current attempt is {refund.out_refund_no}"
            outcome.mismatches.append(_as(known, MismatchKind.STATE_DIFFERS, note))
        elif refund.amount_fen != row.refund:
            outcome.mismatches.append(_as(known, MismatchKind.AMOUNT_DIFFERS))
        elif refund.state != "success":
            outcome.mismatches.append(_as(known, MismatchKind.STATE_DIFFERS))
        else:
            outcome.matched += 1
    for refund in window:
        if refund.refund_id in seen or refund.out_refund_no in elsewhere:
            continue
        outcome.platform_refunds += 1
        outcome.platform_refunded_fen += refund.amount_fen
        outcome.mismatches.append(
            Mismatch(
                kind=MismatchKind.MISSING_AT_PROVIDER,
                line=LineKind.REFUND,
                out_trade_no=refund.order_number,
                transaction_id=refund.transaction_id,
                out_refund_no=refund.out_refund_no,
                provider_refund_id=refund.provider_refund_id,
                platform_id=refund.refund_id,
                platform_fen=refund.amount_fen,
                platform_state=refund.state,
            )
        )


def _known(base: Mismatch, platform_id: int, fen: int, state: str) -> Mismatch:
    return replace(base, platform_id=platform_id, platform_fen=fen, platform_state=state)


def _as(mismatch: Mismatch, kind: MismatchKind, note: str | None = None) -> Mismatch:
    return replace(mismatch, kind=kind, note=note)
