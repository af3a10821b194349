// Leader (团长) ordering for a resident (代下单): the resident's phone and name,
// then quantities from the open campaign; the order's number and total after.
// ``onPlaced(order)`` replaces the default notice (the leader's page redraws
// the campaign with what is left, then shows it). Under the placed order, two
// ways to pay: "微信扫码付款" shows WeChat Pay's Native QR code for the resident
// to scan (the page then waits for the payment), and "收现金": the resident
// paid the leader in cash (confirmed first).
import { notice } from "./forms.js";
import { el, gql } from "./graphql.js";
import { yuan } from "./format.js";
import { zh } from "./i18n.js";
import { orderForm, placedText } from "./order_form.js";

const MARK_CASH = `mutation($id: ID!) { orderMarkPaidCash(input: {orderId: $id}) {
  order { id status pickupCode { code } } userErrors { field code message } } }`;

const PAY_NATIVE = `mutation($id: ID!) { orderPay(input: {orderId: $id, channel: NATIVE}) {
  codeUrl codeQrSvg userErrors { field code message } } }`;
const ORDER_STATE = `query($id: ID!) { node(id: $id) { ... on Order { status pickupCode { code } } } }`;
const CLOSED = { CANCELLED: "取消", EXPIRED: "过期", REFUNDED: "退款" };
// How often the page asks whether the resident's payment has landed.
const POLL_MS = 2000;

async function waitPaid(order, box) {
  while (box.isConnected) {
    await new Promise((done) => setTimeout(done, POLL_MS));
    const { node } = await gql(ORDER_STATE, { id: order.id });
    if (node?.status === "PAID") {
      box.replaceChildren(`微信已付款 ¥${yuan(order.totalFen)}，取货码 ${node.pickupCode?.code ?? "—"}`);
      return;
    }
    if (node && node.status !== "PENDING_PAYMENT") {
      box.replaceChildren(`订单已${CLOSED[node.status] ?? "关闭"}，未付款`);
      return;
    }
  }
}

/** The "微信扫码付款" button of a just-placed order: its QR code, then the wait. */
export function wechatBox(order) {
  const box = el("div", { id: "resident-wechat", class: "wechat-box" });
  const button = el("button", { type: "button", class: "pay-native" }, `微信扫码付款 ¥${yuan(order.totalFen)}`);
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const { orderPay: r } = await gql(PAY_NATIVE, { id: order.id });
      if (r.userErrors.length) {
        box.replaceChildren(r.userErrors.map((e) => zh(e)).join("；"));
        return;
      }
      box.replaceChildren(
        el("img", { class: "pay-qr", alt: "微信支付二维码", src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(r.codeQrSvg)}` }),
        el("p", { class: "pay-wait" }, "请居民用微信扫码付款，付款后这里会显示取货码。"),
      );
      await waitPaid(order, box);
    } catch {
      button.disabled = false;
    }
  });
  box.append(button);
  return box;
}

/** The "收现金" button of a just-placed order, and what came of it. */
export function cashBox(order) {
  const box = el("p", { id: "resident-cash", class: "cash-box" });
  const button = el("button", { type: "button", class: "mark-cash" }, `收现金 ¥${yuan(order.totalFen)}`);
  button.addEventListener("click", async () => {
    // Money changes hands: never on a stray tap.
    if (!confirm(`确认已收到居民现金 ¥${yuan(order.totalFen)}？（订单 ${order.number}）`)) return;
    button.disabled = true;
    try {
      const { orderMarkPaidCash: r } = await gql(MARK_CASH, { id: order.id });
      if (r.userErrors.length) {
        box.replaceChildren(r.userErrors.map((e) => zh(e)).join("；"));
        return;
      }
      box.replaceChildren(`已收现金 ¥${yuan(order.totalFen)}，取货码 ${r.order.pickupCode?.code ?? "—"}`);
    } catch {
      // Shown already (top-level errors) or lost: the button may be tried again.
      button.disabled = false;
    }
  });
  box.append(button);
  return box;
}

export function residentOrderCard(point, campaign, onPlaced = null) {
  const card = el("section", { id: "resident-order", class: "card" }, el("h2", {}, "代居民下单"));
  if (!campaign) {
    card.append(el("p", {}, "现在没有进行中的团购。"));
    return card;
  }
  const form = orderForm({
    id: "resident-order-form",
    pointId: point.id,
    campaign,
    fields: [
      el("label", {}, "居民手机号", el("input", { name: "customerPhone", type: "tel", autocomplete: "off", required: true })),
      el("label", {}, "居民称呼", el("input", { name: "customerName", autocomplete: "off" })),
    ],
    extra: (f) => ({ customerPhone: f.customerPhone.value, customerName: f.customerName.value || null }),
    onPlaced: async (order) => {
      await (onPlaced ?? ((o) => notice(form, placedText(o))))(order);
      // The page may have drawn the card anew: the button goes on the one shown.
      (document.querySelector("#resident-order") ?? card).append(wechatBox(order), cashBox(order));
    },
  });
  card.append(form);
  return card;
}
