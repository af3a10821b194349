"""Orders and everything that happens to them as rows: lines, refunds and
shortfalls, payment notifications, the pickup code issued with the payment,
and the record of the collection (its lines are what commission accrues on)."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime, enum_column


class OrderStatus(Enum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    # Paid, and every fen of the payment went back (fulfilment/orders/
    # refunded.py says when): nothing is left to hand out or to pay.
    REFUNDED = "refunded"


# Orders in these states hold their units of the campaign items' caps.
HOLDING = (OrderStatus.PENDING_PAYMENT, OrderStatus.PAID)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        # The same client key from the same caller is the same order.
        UniqueConstraint("placed_by_id", "idempotency_key"),
        CheckConstraint("total_fen >= 0", name="total_non_negative"),
        Index("ix_orders_pickup_point_campaign", "pickup_point_id", "campaign_id"),
        Index("ix_orders_status_expires_at", "status", "expires_at"),
        # Operators' search by delivery date (its campaigns), newest first.
        Index("ix_orders_campaign_id_id", "campaign_id", "id"),
        # The database's own cap: refunds (counted into refunded_fen by a
        # trigger on every insert, fulfilment/orders/refund_cap.py) never
        # exceed what was received.
        CheckConstraint("refunded_fen <= paid_fen", name="refunds_within_paid"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    pickup_point_id: Mapped[int] = mapped_column(ForeignKey("pickup_points.id"))
    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    placed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[OrderStatus] = mapped_column(enum_column(OrderStatus, "order_status"))
    total_fen: Mapped[int] = mapped_column(Integer, default=0)
    idempotency_key: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    payment_transaction_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    # When it was cancelled or expired; kept if the order then reads REFUNDED,
    # and never set by refunds alone (so "paid and not closed" still tells
    # the orders whose goods were bought, see refunded.py).
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Money received for the order, every payment counted (a second payment
    # and a late one too: they are refunded from it), and money booked back.
    paid_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    refunded_fen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "campaign_item_id"),
        CheckConstraint("quantity > 0 AND unit_price_fen > 0", name="positive"),
        CheckConstraint("amount_fen = quantity * unit_price_fen", name="amount_exact"),
        # Shortage allocation reads one product's lines at a time.
        Index("ix_order_lines_product_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    campaign_item_id: Mapped[int] = mapped_column(ForeignKey("campaign_items.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_fen: Mapped[int] = mapped_column(Integer)  # the group price when ordered
    amount_fen: Mapped[int] = mapped_column(Integer)


class RefundReason(Enum):
    CUSTOMER_CANCELLED = "customer_cancelled"
    OPERATOR_CANCELLED = "operator_cancelled"
    PAID_AFTER_CLOSE = "paid_after_close"
    DOUBLE_PAYMENT = "double_payment"
    GROUP_THRESHOLD_MISSED = "group_threshold_missed"
    SHORTAGE = "shortage"
    DELIVERY_MISSING = "delivery_missing"
    DELIVERY_DAMAGED = "delivery_damaged"
    # After-sale refunds of collected goods, one per after-sale reason.
    AFTER_SALE_QUALITY = "after_sale_quality"
    AFTER_SALE_WRONG_ITEM = "after_sale_wrong_item"
    AFTER_SALE_MISSING = "after_sale_missing"
    AFTER_SALE_OTHER = "after_sale_other"
    # An operator's goodwill compensation (fulfilment/orders/compensation.py):
    # money, not units, within the operator's limit.
    GOODWILL = "goodwill"
    # The operator withdrew the item from a live campaign (fulfilment/live_campaigns/).
    WITHDRAWN = "withdrawn"


class RefundState(Enum):
    """Where the money of a refund is (fulfilment/orders/refund_sending.py)."""

    PENDING = "pending"  # booked; not yet accepted by the provider (or it was down)
    PROCESSING = "processing"  # accepted by the provider, on its way
    SUCCESS = "success"  # back with the payer
    ABNORMAL = "abnormal"  # the provider could not return it; an operator acts
    CLOSED = "closed"  # the provider closed it unpaid; an operator acts


class Refund(Base):
    """Money owed back to a customer, and how far its return has come. The
    amount and reason never change once booked."""

    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount_fen > 0", name="positive"),
        # The sender's queue: due refunds by state.
        Index("ix_refunds_state_next_attempt_at", "state", "next_attempt_at"),
        # Reconciliation reads a day's refunds by when they succeeded.
        Index("ix_refunds_succeeded_at", "succeeded_at"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"))
    quantity: Mapped[int | None] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)
    reason: Mapped[RefundReason] = mapped_column(enum_column(RefundReason, "refund_reason"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    state: Mapped[RefundState] = mapped_column(
        enum_column(RefundState, "refund_state"),
        default=RefundState.PENDING,
        server_default=RefundState.PENDING.value,
    )
    # The payment it returns, when not the order's own (a second or late
    # payment); the order's payment_transaction_id otherwise.
    transaction_id: Mapped[str | None] = mapped_column(String(64))
    # Sent again after the provider closed it or found it abnormal: a new
    # out_refund_no (``refund_sending.out_refund_no``).
    resend_no: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    provider_refund_id: Mapped[str | None] = mapped_column(String(64))
    # The provider's reason for ABNORMAL or CLOSED, or the last failure to send.
    provider_reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # When the sender next sends (PENDING) or asks (PROCESSING); NULL: now.
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PaymentOutcome(Enum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


class PaymentNotification(Base):
    """Every payment callback received, accepted or not: the audit trail."""

    __tablename__ = "payment_notifications"
    # Reconciliation reads a day's notifications by when they landed.
    __table_args__ = (Index("ix_payment_notifications_received_at", "received_at"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    order_number: Mapped[str] = mapped_column(String(64), index=True)
    transaction_id: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[PaymentOutcome] = mapped_column(enum_column(PaymentOutcome, "payment_outcome"))
    reason: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PaymentChannel(Enum):
    JSAPI = "jsapi"  # inside the mini-program: wx.requestPayment with the payer's openid
    NATIVE = "native"  # a QR code (code_url) the payer scans with WeChat


class PaymentPrepay(Base):
    """A WeChat Pay prepay opened for an order (fulfilment/orders/prepay.py):
    asking again for the same channel while it is valid reuses it. Once the
    order expires unpaid, its payment is closed at the provider too
    (fulfilment/orders/provider_check.py)."""

    __tablename__ = "payment_prepays"
    __table_args__ = (
        CheckConstraint("(prepay_id IS NULL) <> (code_url IS NULL)", name="prepay_id_or_code_url"),
        Index("ix_payment_prepays_order_id_channel", "order_id", "channel"),
        # The closes still owed: closed_at IS NULL AND close_due_at IS NOT
        # NULL is one short range of this index (NULLs sort last), however
        # many prepays of paid orders wait with both NULL.
        Index("ix_payment_prepays_closed_at_close_due_at", "closed_at", "close_due_at"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    channel: Mapped[PaymentChannel] = mapped_column(enum_column(PaymentChannel, "payment_channel"))
    prepay_id: Mapped[str | None] = mapped_column(String(64))  # JSAPI
    code_url: Mapped[str | None] = mapped_column(String(128))  # NATIVE
    # Paid together with other orders (ordersPay, 合单支付): the combined
    # payment's number, shared by its orders' rows. NULL: paid alone.
    combine_out_trade_no: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the order expired unpaid (set with the expiry, expiry.py): from
    # then on the provider must be told to close the payment.
    close_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # When the provider stopped taking the payment: it closed it, never had
    # it, or had been paid (that money booked). NULL with close_due_at set:
    # a close still owed, tried again by the next expiry run.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ShortfallReason(Enum):
    GROUP_THRESHOLD = "group_threshold"  # the item missed its group threshold at cutoff
    SUPPLIER_SHORT = "supplier_short"  # short-confirmed, short-delivered or failed QC
    DELIVERY_MISSING = "delivery_missing"  # the leader signed for less than was sent
    DELIVERY_DAMAGED = "delivery_damaged"  # arrived broken or spoilt
    WITHDRAWN = "withdrawn"  # the item was withdrawn from the sale before cutoff


# Shortfalls known before the purchase: those units leave the purchase order
# (consolidation); the others are the supplier's or the delivery's, and what
# was ordered from the supplier stays ordered.
BEFORE_PURCHASE = (ShortfallReason.GROUP_THRESHOLD, ShortfallReason.WITHDRAWN)


class OrderLineShortfall(Base):
    """Units of an order line that will not be delivered, and why; each
    points at the refund that paid them back. Lines themselves never change."""

    __tablename__ = "order_line_shortfalls"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="positive"),
        UniqueConstraint("refund_id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[ShortfallReason] = mapped_column(
        enum_column(ShortfallReason, "shortfall_reason")
    )
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id"))
    # The leader's report that caused it (delivery reasons only).
    delivery_issue_id: Mapped[int | None] = mapped_column(
        ForeignKey("delivery_issues.id"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PickupCode(Base):
    """The code a customer shows to collect an order: six random digits,
    unique among the orders of one pickup point and delivery date (so a
    leader typing it finds exactly one order)."""

    __tablename__ = "pickup_codes"
    __table_args__ = (
        UniqueConstraint("pickup_point_id", "delivery_date", "code"),
        CheckConstraint("length(code) = 6", name="six_digits"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    pickup_point_id: Mapped[int] = mapped_column(ForeignKey("pickup_points.id"))
    delivery_date: Mapped[date] = mapped_column(Date)  # the campaign's, copied for the key
    code: Mapped[str] = mapped_column(String(6))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PickupMethod(Enum):
    CODE = "code"  # typed in by the verifier
    QR = "qr"  # the customer's QR code scanned
    AUTO = "auto"  # not collected in time: completed by the job


class OrderPickup(Base):
    """An order was collected (or completed automatically). One per order:
    the unique key is what makes a second verification harmless."""

    __tablename__ = "order_pickups"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    pickup_point_id: Mapped[int] = mapped_column(ForeignKey("pickup_points.id"), index=True)
    method: Mapped[PickupMethod] = mapped_column(enum_column(PickupMethod, "pickup_method"))
    # The leader or helper who verified; null when completed automatically.
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    picked_up_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PickupLine(Base):
    """What of one order line was handed out: its units and amount less
    everything refunded on it before (shortages, delivery issues). The
    commission is accrued on ``net_fen``; after-sale may refund up to
    ``quantity`` units of it."""

    __tablename__ = "pickup_lines"
    __table_args__ = (CheckConstraint("quantity > 0 AND net_fen >= 0", name="positive"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    pickup_id: Mapped[int] = mapped_column(ForeignKey("order_pickups.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), unique=True)
    quantity: Mapped[int] = mapped_column(Integer)
    net_fen: Mapped[int] = mapped_column(Integer)


class CashPayment(Base):
    """An order a leader was paid for in cash (代下单, fulfilment/orders/
    cash.py): who took it, who recorded it, when, and exactly the order's
    total. One per order; the order itself is booked PAID like any other,
    with no WeChat transaction."""

    __tablename__ = "cash_payments"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="positive"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    # The leader of the order's pickup point: the one holding the cash.
    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id"), index=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    amount_fen: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
