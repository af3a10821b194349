"""The schema: queries, mutations and the request pipeline's extensions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from api.graphql.access import AccessFacts
from api.graphql.after_sale import mutations as after_sale
from api.graphql.audit.hook import audit_mutations
from api.graphql.audit.queries import AuditQuery
from api.graphql.audit.setup_history import SetupHistoryQuery
from api.graphql.auth import mutations as auth
from api.graphql.auth import wechat as auth_wechat
from api.graphql.campaigns import editing as campaign_editing
from api.graphql.campaigns import live as live_campaigns
from api.graphql.campaigns import mutations as campaigns
from api.graphql.campaigns.queries import CampaignQuery
from api.graphql.commission import mutations as commission
from api.graphql.commission.queries import CommissionQuery
from api.graphql.core import NODE_TYPES, CoreQuery
from api.graphql.cost import QueryCost
from api.graphql.delivery import grid_handover
from api.graphql.delivery import mutations as delivery
from api.graphql.delivery.queries import DeliveryQuery
from api.graphql.errors import ClientError, Masker
from api.graphql.execution import SerialRootExecutionContext
from api.graphql.guard import guard_inputs
from api.graphql.jobs import mutations as jobs
from api.graphql.jobs.queries import JobQuery
from api.graphql.leaders import editing as point_editing
from api.graphql.leaders import mutations as leaders
from api.graphql.leaders.queries import PointQuery
from api.graphql.network import fees as grid_fees
from api.graphql.network import mutations as network
from api.graphql.network.fees import GridFeesQuery
from api.graphql.network.queries import NetworkQuery
from api.graphql.notifications.mutations import notification_mark_read
from api.graphql.orders import cash as order_cash
from api.graphql.orders import mutations as orders
from api.graphql.orders import pay as order_payment
from api.graphql.orders import pay_together as orders_payment
from api.graphql.orders.queries import OrderQuery
from api.graphql.orders.refunds import RefundQuery, refund_retry
from api.graphql.orders.service import OrderServiceQuery, order_compensate
from api.graphql.pickup import mutations as pickup
from api.graphql.pickup.queries import PickupQuery
from api.graphql.purchasing import mutations as purchasing
from api.graphql.purchasing.queries import PurchasingQuery
from api.graphql.reconciliation import mutations as reconciliation
from api.graphql.reconciliation.queries import ReconciliationQuery
from api.graphql.reports.queries import ReportQuery
from api.graphql.routing import mutations as routing
from api.graphql.routing.queries import RoutingQuery
from api.graphql.sorting import mutations as sorting
from api.graphql.sorting.grids import GridSortingQuery
from api.graphql.sorting.queries import SortingQuery
from api.graphql.staff import mutations as staff
from api.graphql.staff.queries import StaffQuery
from api.graphql.supplier_settlement import mutations as supplier_settlement
from api.graphql.supplier_settlement.queries import SupplierSettlementQuery
from api.graphql.webhooks import mutations as webhooks
from api.graphql.webhooks.queries import WebhookQuery
from kernel.settings import Settings


@strawberry.type
class Mutation:
    auth_code_request = strawberry.mutation(resolver=auth.auth_code_request)
    auth_sign_in = strawberry.mutation(resolver=auth.auth_sign_in)
    auth_refresh = strawberry.mutation(resolver=auth.auth_refresh)
    auth_sign_out = strawberry.mutation(resolver=auth.auth_sign_out)
    session_revoke = strawberry.mutation(resolver=auth.session_revoke)
    auth_wechat_sign_in = strawberry.mutation(resolver=auth_wechat.auth_wechat_sign_in)
    auth_phone_bind = strawberry.mutation(resolver=auth_wechat.auth_phone_bind)
    user_create = strawberry.mutation(resolver=staff.user_create)
    user_disable = strawberry.mutation(resolver=staff.user_disable)
    user_enable = strawberry.mutation(resolver=staff.user_enable)
    user_role_set = strawberry.mutation(resolver=staff.user_role_set)
    warehouse_create = strawberry.mutation(resolver=campaigns.warehouse_create)
    leader_apply = strawberry.mutation(resolver=leaders.leader_apply)
    leader_approve = strawberry.mutation(resolver=leaders.leader_approve)
    leader_reject = strawberry.mutation(resolver=leaders.leader_reject)
    leader_suspend = strawberry.mutation(resolver=leaders.leader_suspend)
    leader_reinstate = strawberry.mutation(resolver=leaders.leader_reinstate)
    diagnostics_ping_start = strawberry.mutation(resolver=jobs.diagnostics_ping_start)
    job_retry = strawberry.mutation(resolver=jobs.job_retry)
    job_cancel = strawberry.mutation(resolver=jobs.job_cancel)
    webhook_delivery_replay = strawberry.mutation(resolver=webhooks.webhook_delivery_replay)
    supplier_create = strawberry.mutation(resolver=campaigns.supplier_create)
    supplier_user_create = strawberry.mutation(resolver=campaigns.supplier_user_create)
    product_create = strawberry.mutation(resolver=campaigns.product_create)
    product_update = strawberry.mutation(resolver=campaign_editing.product_update)
    product_cost_set = strawberry.mutation(resolver=campaign_editing.product_cost_set)
    warehouse_update = strawberry.mutation(resolver=campaign_editing.warehouse_update)
    pickup_point_update = strawberry.mutation(resolver=point_editing.pickup_point_update)
    supplier_webhook_set = strawberry.mutation(resolver=campaigns.supplier_webhook_set)
    campaign_create = strawberry.mutation(resolver=campaigns.campaign_create)
    campaign_items_add = strawberry.mutation(resolver=campaigns.campaign_items_add)
    campaign_copy = strawberry.mutation(resolver=live_campaigns.campaign_copy)
    campaign_update = strawberry.mutation(resolver=live_campaigns.campaign_update)
    campaign_item_update = strawberry.mutation(resolver=live_campaigns.campaign_item_update)
    campaign_item_withdraw = strawberry.mutation(resolver=live_campaigns.campaign_item_withdraw)
    campaign_cancel = strawberry.mutation(resolver=live_campaigns.campaign_cancel)
    pickup_point_assign_warehouse = strawberry.mutation(
        resolver=leaders.pickup_point_assign_warehouse
    )
    pickup_point_choose = strawberry.mutation(resolver=leaders.pickup_point_choose)
    campaign_cutoff = strawberry.mutation(resolver=purchasing.campaign_cutoff)
    purchase_orders_consolidate = strawberry.mutation(
        resolver=purchasing.purchase_orders_consolidate
    )
    purchase_order_confirm = strawberry.mutation(resolver=purchasing.purchase_order_confirm)
    receipt_record = strawberry.mutation(resolver=purchasing.receipt_record)
    purchase_order_receiving_close = strawberry.mutation(
        resolver=purchasing.purchase_order_receiving_close
    )
    sorting_run = strawberry.mutation(resolver=sorting.sorting_run)
    shortages_allocate = strawberry.mutation(resolver=purchasing.shortages_allocate)
    order_create = strawberry.mutation(resolver=orders.order_create)
    order_cancel = strawberry.mutation(resolver=orders.order_cancel)
    order_compensate = strawberry.mutation(resolver=order_compensate)
    order_pay = strawberry.mutation(resolver=order_payment.order_pay)
    orders_pay = strawberry.mutation(
        resolver=orders_payment.orders_pay,
        description="Pay 2 to 10 of your orders with one WeChat Pay confirmation (合单支付).",
    )
    order_mark_paid_cash = strawberry.mutation(resolver=order_cash.order_mark_paid_cash)
    refund_retry = strawberry.mutation(resolver=refund_retry)
    payment_simulate = strawberry.mutation(
        resolver=orders.payment_simulate,
        description="Development: the WeChat Pay sandbox's pay-now button (FORBIDDEN otherwise).",
    )
    vehicle_type_create = strawberry.mutation(resolver=routing.vehicle_type_create)
    vehicle_type_update = strawberry.mutation(resolver=routing.vehicle_type_update)
    routing_settings_set = strawberry.mutation(resolver=routing.routing_settings_set)
    route_plan_create = strawberry.mutation(resolver=routing.route_plan_create)
    route_plan_reoptimize = strawberry.mutation(resolver=routing.route_plan_reoptimize)
    route_plan_publish = strawberry.mutation(resolver=routing.route_plan_publish)
    route_plan_stop_move = strawberry.mutation(resolver=routing.route_plan_stop_move)
    route_plan_stop_lock = strawberry.mutation(resolver=routing.route_plan_stop_lock)
    route_driver_assign = strawberry.mutation(resolver=delivery.route_driver_assign)
    route_stop_arrive = strawberry.mutation(resolver=delivery.route_stop_arrive)
    route_stop_hand_over = strawberry.mutation(resolver=delivery.route_stop_hand_over)
    delivery_sign = strawberry.mutation(resolver=delivery.delivery_sign)
    commission_rate_set = strawberry.mutation(resolver=commission.commission_rate_set)
    leader_level_set = strawberry.mutation(resolver=commission.leader_level_set)
    leader_levels_compute = strawberry.mutation(resolver=commission.leader_levels_compute)
    leader_recruiter_set = strawberry.mutation(resolver=commission.leader_recruiter_set)
    settlement_run = strawberry.mutation(resolver=commission.settlement_run)
    payout_request = strawberry.mutation(resolver=commission.payout_request)
    payout_approve = strawberry.mutation(resolver=commission.payout_approve)
    payout_reject = strawberry.mutation(resolver=commission.payout_reject)
    payout_batch_export = strawberry.mutation(resolver=commission.payout_batch_export)
    payout_batch_mark_paid = strawberry.mutation(resolver=commission.payout_batch_mark_paid)
    payout_batch_send = strawberry.mutation(resolver=commission.payout_batch_send)
    pickup_helper_add = strawberry.mutation(resolver=pickup.pickup_helper_add)
    pickup_helper_approve = strawberry.mutation(resolver=pickup.pickup_helper_approve)
    pickup_helper_reject = strawberry.mutation(resolver=pickup.pickup_helper_reject)
    pickup_helper_remove = strawberry.mutation(resolver=pickup.pickup_helper_remove)
    pickup_verify = strawberry.mutation(resolver=pickup.pickup_verify)
    after_sale_request = strawberry.mutation(resolver=after_sale.after_sale_request)
    after_sale_approve = strawberry.mutation(resolver=after_sale.after_sale_approve)
    after_sale_reject = strawberry.mutation(resolver=after_sale.after_sale_reject)
    reconciliation_run = strawberry.mutation(resolver=reconciliation.reconciliation_run)
    supplier_statement_issue = strawberry.mutation(
        resolver=supplier_settlement.supplier_statement_issue
    )
    supplier_statement_line_confirm = strawberry.mutation(
        resolver=supplier_settlement.supplier_statement_line_confirm
    )
    supplier_statement_line_dispute = strawberry.mutation(
        resolver=supplier_settlement.supplier_statement_line_dispute
    )
    supplier_dispute_resolve = strawberry.mutation(
        resolver=supplier_settlement.supplier_dispute_resolve
    )
    supplier_statement_approve = strawberry.mutation(
        resolver=supplier_settlement.supplier_statement_approve
    )
    supplier_pay_batch_create = strawberry.mutation(
        resolver=supplier_settlement.supplier_pay_batch_create
    )
    supplier_pay_batch_mark_paid = strawberry.mutation(
        resolver=supplier_settlement.supplier_pay_batch_mark_paid
    )
    supplier_delivery_fault_record = strawberry.mutation(
        resolver=supplier_settlement.supplier_delivery_fault_record
    )
    supplier_bank_account_set = strawberry.mutation(
        resolver=supplier_settlement.supplier_bank_account_set
    )
    notification_mark_read = strawberry.mutation(resolver=notification_mark_read)
    grid_warehouse_set = strawberry.mutation(resolver=network.grid_warehouse_set)
    grid_points_assign = strawberry.mutation(resolver=network.grid_points_assign)
    grid_points_release = strawberry.mutation(resolver=network.grid_points_release)
    grid_handover_sign = strawberry.mutation(resolver=grid_handover.grid_handover_sign)
    grid_issue_charge = strawberry.mutation(resolver=grid_handover.grid_issue_charge)
    grid_payout_request = strawberry.mutation(resolver=grid_fees.grid_payout_request)


Query = merge_types(
    "Query",
    (
        CoreQuery,
        CampaignQuery,
        PointQuery,
        PurchasingQuery,
        OrderQuery,
        RefundQuery,
        OrderServiceQuery,
        SortingQuery,
        RoutingQuery,
        DeliveryQuery,
        PickupQuery,
        CommissionQuery,
        StaffQuery,
        AuditQuery,
        SetupHistoryQuery,
        JobQuery,
        WebhookQuery,
        ReconciliationQuery,
        ReportQuery,
        SupplierSettlementQuery,
        NetworkQuery,
        GridSortingQuery,
        GridFeesQuery,
    ),
)


class RequestSession(SchemaExtension):
    """Closes the request's read session when the operation ends."""

    async def on_operation(self) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await self.execution_context.context.close()


class Schema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Client errors are answers, not faults; masked faults were logged with
        # their correlation id by the Masker. Only what is left is logged here.
        unexpected = [
            e
            for e in errors
            if e.original_error is not None
            and not isinstance(e.original_error, ClientError)
            and "correlationId" not in (e.extensions or {})
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def build_schema(settings: Settings) -> strawberry.Schema:
    """The schema with its limits taken from ``settings``."""
    # The limiters' rule classes are made once, here: each limiter instance
    # makes new classes, and new classes per request would make every
    # request's ValidationCache key new, so every document was validated again.
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    schema = Schema(
        query=Query,
        mutation=Mutation,
        types=list(NODE_TYPES.values()),
        execution_context_class=SerialRootExecutionContext,
        # Factories: strawberry builds fresh extension instances per request;
        # the parser and validation caches are module-level and so still shared.
        extensions=[
            RequestSession,
            AccessFacts,
            # Parsing and validating a document costs more than most resolvers;
            # clients send the same few documents again and again.
            lambda: ParserCache(maxsize=1024),
            lambda: ValidationCache(maxsize=1024),
            lambda: AddValidationRules(limit_rules),
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
            lambda: QueryCost(maximum=settings.max_query_cost),
            Masker,
        ],
    )
    guard_inputs(schema._schema)
    audit_mutations(schema._schema)
    return schema
