// Customer (团员): after-sale on a collected order. Under the order, a form
// asks for units of one of its lines back (afterSaleRequest: which product,
// how many, why, a note); the server says whether the order is collected,
// still inside the after-sale window and has that many units left, and an
// operator decides. "我的售后" lists the customer's requests and what became
// of each: waiting, refunded (with the amount) or refused (with the reason).
import { busy, notice, showUserErrors, values } from "./forms.js";
import { el, gql } from "./graphql.js";
import { dayTime, yuan } from "./format.js";
import { zh } from "./i18n.js";

const REQUEST = `mutation($input: AfterSaleRequestInput!) { afterSaleRequest(input: $input) {
  afterSaleRequest { id status } userErrors { field code message } } }`;
const MINE = `{ afterSaleRequests(first: 50) { nodes { id quantity reason note status
  requestedAt rejectionReason refundFen product { name } order { number } } } }`;

export const REASONS = { QUALITY: "质量问题", WRONG_ITEM: "发错商品", MISSING: "少件", OTHER: "其他" };
const STATUS = { PENDING: "待处理", APPROVED: "已同意", REJECTED: "已拒绝" };

/** Whether ``order`` (as the orders list reads it) can be asked about: collected, not refunded whole. */
export const collected = (order) => Boolean(order.pickup) && order.status === "PAID";

/** The after-sale form of ``order``; ``onSent`` runs once a request is taken. */
export function afterSaleForm(order, onSent) {
  const lines = order.lines.filter((l) => l.product);
  const form = el("form", { class: "after-sale-form", "data-number": order.number },
    el("h3", {}, "申请售后"),
    el("label", {}, "商品 ", el("select", { name: "productId" },
      lines.map((l) => el("option", { value: l.product.id }, `${l.product.name}（买了 ${l.quantity} 件）`)))),
    el("label", {}, "数量 ", el("input", { name: "quantity", type: "number", min: "1", value: "1", required: true })),
    el("label", {}, "原因 ", el("select", { name: "reason" },
      Object.entries(REASONS).map(([value, text]) => el("option", { value }, text)))),
    el("label", {}, "说明 ", el("input", { name: "note", maxlength: "500", placeholder: "例如：盒子压坏了" })),
    el("button", { type: "submit" }, "提交售后申请"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const input = { orderId: order.id, ...values(form) };
      const r = (await gql(REQUEST, { input })).afterSaleRequest;
      if (r.userErrors.length) return showUserErrors(form, r.userErrors, zh);
      notice(form, "已提交，等待平台处理");
      await onSent();
    });
  });
  return form;
}

/** Fill ``box`` (section#my-after-sale) with the customer's requests, newest first. */
export async function drawMyAfterSale(box) {
  const { afterSaleRequests } = await gql(MINE);
  const requests = [...afterSaleRequests.nodes].sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
  box.replaceChildren(el("h2", {}, "我的售后"));
  if (!requests.length) box.append(el("p", {}, "没有售后申请。"));
  for (const r of requests) box.append(requestLine(r));
}

function requestLine(r) {
  const outcome = {
    PENDING: "",
    APPROVED: ` · 已退款 ¥${yuan(r.refundFen)}`,
    REJECTED: r.rejectionReason ? ` · ${r.rejectionReason}` : "",
  }[r.status] ?? "";
  return el("p", { class: "after-sale-request", "data-status": r.status },
    `订单 ${r.order?.number ?? ""} · ${r.product?.name ?? "?"} × ${r.quantity} · ${REASONS[r.reason] ?? r.reason}`,
    ` · ${dayTime(r.requestedAt)} 申请 · `, el("strong", {}, STATUS[r.status] ?? r.status), outcome);
}
