// Customer (团员), on a phone: the pickup point's open campaign (behind a
// leader's share link /app/?share=CODE, or the point they chose nearby),
// ordering, their orders, paying (a WeChat Pay QR code; in development the
// sandbox's simulated scan), cancelling before the cutoff, the pickup
// code once an order is paid, and after-sale once it is collected
// (customer_after_sale.js).
import { afterSaleForm, collected, drawMyAfterSale } from "./customer_after_sale.js";
import { busy, showUserErrors } from "./forms.js";
import { ApiError, el, gql } from "./graphql.js";
import { hhmm, yuan } from "./format.js";
import { zh } from "./i18n.js";
import { inboxCard } from "./inbox.js";
import { finder } from "./nearby.js";
import { ITEM_FIELDS, dayTabs, orderForm, placedText } from "./order_form.js";

const POINT = `query($code: String!) { pickupPointByShareCode(code: $code) { id name address } }`;
const MINE = `{ viewer { pickupPoint { id name address } } }`;
// Every campaign open at the point, earliest delivery first: 次日达 beside a
// later presale (a weekend's), one tab per delivery date.
const CAMPAIGNS = `query($p: ID!) { openCampaigns(pickupPointId: $p) {
  id deliveryDate cutoffAt items { ${ITEM_FIELDS} } } }`;
const ORDERS = `{ myOrders(first: 100) { nodes { id number status totalFen
  paymentOpening combinedPaymentNumber pickupPoint { name } campaign { deliveryDate cutoffAt }
  lines { quantity product { id name } } pickupCode { code } pickup { pickedUpAt } } } }`;
const PAYLOAD = `order { id status } userErrors { field code message }`;
const CANCEL = `mutation($input: OrderIdInput!) { orderCancel(input: $input) { ${PAYLOAD} } }`;
// Paying: a WeChat Pay Native code (a QR the customer scans); the order is
// paid when WeChat Pay tells the server, never by this page.
const PAY = `mutation($input: OrderPayInput!) { orderPay(input: $input) {
  codeUrl codeQrSvg userErrors { field code message } } }`;
// Several orders in one payment (WeChat Pay's 合单支付: 2 to 10 orders).
const PAY_TOGETHER = `mutation($input: OrdersPayInput!) { ordersPay(input: $input) {
  codeUrl codeQrSvg userErrors { field code message } } }`;
const TOGETHER_MAX = 10;
// Development: the WeChat Pay sandbox's payer scans the code (the server
// refuses it, FORBIDDEN, unless its provider is a sandbox).
const SIMULATE = `mutation($input: OrderIdInput!) { paymentSimulate(input: $input) { ${PAYLOAD} } }`;
// Set once the server refused the simulated scan: no sandbox behind it.
const NO_SANDBOX = "tuangou.noSandbox";

const STATUS = {
  PENDING_PAYMENT: "待支付", PAID: "已支付", CANCELLED: "已取消", EXPIRED: "已过期", REFUNDED: "已退款",
};
// The last share link opened, so the page still knows the point without it.
const SHARE_KEY = "tuangou.share";

export async function render(view) {
  const code = new URLSearchParams(location.search).get("share") ?? localStorage.getItem(SHARE_KEY);
  // ``slot`` holds the shop card or the finder; ``orders`` the list under it.
  const shop = { slot: el("div", { id: "shop-slot" }), orders: el("section", { id: "my-orders", class: "card" }) };
  const afterSale = el("section", { id: "my-after-sale", class: "card" });
  view.append(await inboxCard(), shop.slot, shop.orders, afterSale);
  if (code) await showShare(shop, code);
  else await showPoint(shop, (await gql(MINE)).viewer?.pickupPoint);
  await drawOrders(shop.orders);
  await drawMyAfterSale(afterSale);
}

async function showShare(shop, code) {
  const { pickupPointByShareCode: point } = await gql(POINT, { code });
  if (!point) {
    // Not kept for the next visit: the finder below is the way on.
    if (localStorage.getItem(SHARE_KEY) === code) localStorage.removeItem(SHARE_KEY);
    shop.slot.replaceChildren(el("p", { class: "no-share" }, "分享码无效，请向团长要新的链接，或选一个附近的自提点。"),
      finder({ onChosen: (p) => chosen(shop, p) }));
    return;
  }
  localStorage.setItem(SHARE_KEY, code);
  await showPoint(shop, point);
}

/** ``point``'s campaign, or the finder when there is none to show. */
async function showPoint(shop, point) {
  if (!point) shop.slot.replaceChildren(finder({ onChosen: (p) => chosen(shop, p) }));
  else shop.slot.replaceChildren(await shopCard(shop, point));
}

async function chosen(shop, point) {
  // The server's binding says where this customer orders from now on; a
  // stored or linked share code would otherwise win on the next visit.
  localStorage.removeItem(SHARE_KEY);
  if (new URLSearchParams(location.search).has("share")) history.replaceState(null, "", location.pathname);
  await showPoint(shop, point);
}

async function shopCard(shop, point, day = null) {
  const { openCampaigns: campaigns } = await gql(CAMPAIGNS, { p: point.id });
  const campaign = campaigns.find((c) => c.deliveryDate === day) ?? campaigns[0];
  const change = () => shop.slot.replaceChildren(finder({
    onChosen: (p) => chosen(shop, p),
    onCancel: () => shop.slot.replaceChildren(card),
  }));
  const card = el("section", { id: "shop", class: "card", "data-point": point.id },
    el("h1", {}, point.name), el("p", { class: "address" }, `自提点：${point.address}`),
    el("button", { type: "button", class: "change-point", onclick: change }, "换一个自提点"));
  if (!campaign) {
    card.append(el("p", {}, "现在没有进行中的团购。"));
    return card;
  }
  const result = el("div", { id: "order-result" });
  const form = orderForm({
    id: "order-form",
    pointId: point.id,
    campaign,
    onPlaced: async (order) => {
      // Drawn again for what is left now, with the order's line under it.
      const fresh = await shopCard(shop, point, campaign.deliveryDate);
      card.replaceWith(fresh);
      fresh.querySelector("#order-result")?.append(el("p", { class: "notice" }, placedText(order)));
      await drawOrders(shop.orders);
    },
  });
  if (campaigns.length > 1) card.append(dayTabs(campaigns, campaign, async (other) => {
    card.replaceWith(await shopCard(shop, point, other));
  }));
  card.append(
    el("p", {}, `${campaign.deliveryDate} 到货 · ${hhmm(campaign.cutoffAt)} 截单`),
    form,
    result);
  return card;
}

async function drawOrders(box) {
  const { myOrders } = await gql(ORDERS);
  box.replaceChildren(el("h2", {}, "我的订单"));
  if (!myOrders.nodes.length) box.append(el("p", {}, "还没有订单。"));
  const unpaid = myOrders.nodes.filter((o) => o.status === "PENDING_PAYMENT");
  // A payment opened together is paid as that same payment again; orders
  // not yet opened either way may go in a new one.
  const opened = Map.groupBy(unpaid.filter((o) => o.paymentOpening === "TOGETHER"),
    (o) => o.combinedPaymentNumber);
  for (const orders of opened.values()) box.append(payTogetherCard(box, orders));
  const fresh = unpaid.filter((o) => o.paymentOpening === "NOT_OPENED").slice(0, TOGETHER_MAX);
  if (fresh.length >= 2) box.append(payTogetherCard(box, fresh));
  for (const order of [...myOrders.nodes].reverse()) box.append(orderCard(box, order));
}

/** Orders awaiting payment (up to WeChat's ten) in one payment: ordersPay,
 * Native; one scan pays them all. A payment opened together whose other
 * orders were cancelled cannot be opened again: its code, already shown,
 * still pays (the cancelled order's part comes back), or it expires. */
function payTogetherCard(box, orders) {
  const total = orders.reduce((sum, o) => sum + o.totalFen, 0);
  const again = orders[0].paymentOpening === "TOGETHER";
  const form = el("form", { class: "pay-together", "data-combined": orders[0].combinedPaymentNumber ?? "" },
    el("p", {}, el("strong", {}, `${orders.length} 笔待支付订单`), ` · 合计 ¥${yuan(total)}`,
      again ? " · 已发起合并支付" : ""),
    orders.length >= 2
      ? el("button", { type: "submit", value: "pay" }, again ? "继续合并支付" : "合并支付")
      : el("p", { class: "notice" }, "同一笔合并支付中的其他订单已取消，请用已扫的付款码支付或等待订单过期"));
  const actions = {
    pay: () => showPayCode(form, PAY_TOGETHER, { orderIds: orders.map((o) => o.id), channel: "NATIVE" }),
    // The sandbox's payer pays the combined payment any of its orders names.
    simulate: () => simulateScan(form, box, orders[0]),
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, actions[event.submitter.value]);
  });
  return form;
}

function orderCard(box, order) {
  const open = order.campaign && new Date(order.campaign.cutoffAt) > new Date();
  const live = order.status === "PENDING_PAYMENT" || order.status === "PAID";
  const form = el("form", { class: "order", "data-number": order.number },
    el("p", {}, el("strong", {}, `订单 ${order.number}`), ` · ${STATUS[order.status] ?? order.status}`,
      ` · ¥${yuan(order.totalFen)}`),
    el("p", {}, `${order.pickupPoint?.name ?? ""} · ${order.campaign?.deliveryDate ?? ""} 到货`),
    el("ul", {}, order.lines.map((l) => el("li", {}, `${l.product?.name ?? "?"} × ${l.quantity}`))),
    order.pickupCode && !order.pickup
      ? el("p", { class: "pickup-code" }, "提货码 ", el("strong", {}, order.pickupCode.code))
      : "",
    order.pickup ? el("p", { class: "picked-up" }, `已于 ${hhmm(order.pickup.pickedUpAt)} 提货`) : "",
    // Opened together: paid with its basket (the card above), not alone.
    order.status === "PENDING_PAYMENT" && order.paymentOpening !== "TOGETHER"
      ? el("button", { type: "submit", value: "pay" }, "微信支付") : "",
    live && open ? el("button", { type: "submit", value: "cancel" }, "取消订单") : "",
    collected(order) ? el("button", { type: "submit", value: "afterSale" }, "申请售后") : "");
  const actions = {
    pay: () => showPayCode(form, PAY, { orderId: order.id, channel: "NATIVE" }),
    afterSale: () => toggleAfterSale(form, order),
    simulate: () => simulateScan(form, box, order),
    cancel: async () => {
      const r = (await gql(CANCEL, { input: { id: order.id } })).orderCancel;
      if (r.userErrors.length) return showUserErrors(form, r.userErrors, zh);
      await drawOrders(box);
    },
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, actions[event.submitter.value]);
  });
  return form;
}

/** The order's after-sale form under it, or away again. */
function toggleAfterSale(form, order) {
  const open = form.nextElementSibling?.classList.contains("after-sale-form") ? form.nextElementSibling : null;
  if (open) return open.remove();
  const list = document.getElementById("my-after-sale");
  form.after(afterSaleForm(order, () => drawMyAfterSale(list)));
  return null;
}

/** The WeChat Pay QR code of ``mutation`` (orderPay or ordersPay, Native)
 * in ``form``, and in development the button that has the sandbox's payer
 * scan it. */
async function showPayCode(form, mutation, input) {
  const r = Object.values(await gql(mutation, { input }))[0];
  if (r.userErrors.length) return showUserErrors(form, r.userErrors, zh);
  const qr = r.codeQrSvg
    ? el("img", { class: "pay-qr", alt: "微信支付二维码", width: "180", height: "180",
        src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(r.codeQrSvg)}` })
    : "";
  const box = el("div", { class: "pay-code", "data-code-url": r.codeUrl },
    qr, el("p", {}, "请用微信扫码支付"), el("p", { class: "code-url" }, r.codeUrl));
  if (sessionStorage.getItem(NO_SANDBOX) === null) {
    box.append(el("button", { type: "submit", value: "simulate" }, "模拟扫码支付"));
  }
  form.querySelector(".pay-code")?.remove();
  form.querySelector("button[value=pay]").before(box);
}

async function simulateScan(form, box, order) {
  try {
    const r = (await gql(SIMULATE, { input: { id: order.id } })).paymentSimulate;
    if (r.userErrors.length) return showUserErrors(form, r.userErrors, zh);
    await drawOrders(box);
  } catch (error) {
    if (error instanceof ApiError && error.errors.some((e) => e.extensions?.code === "FORBIDDEN")) {
      // Not development: the scan is the customer's own, in WeChat.
      sessionStorage.setItem(NO_SANDBOX, "1");
      form.querySelector("button[value=simulate]")?.remove();
      return null;
    }
    throw error;
  }
}
