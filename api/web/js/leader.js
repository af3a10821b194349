// Leader (团长), on a phone: today's campaign and share code, the day's orders
// by customer, pickup-code checks, signing for the delivery, commission.
import { commissionCard } from "./commission.js";
import { busy, notice, numberedRows, showUserErrors, values } from "./forms.js";
import { el, gql } from "./graphql.js";
import { hhmm, today, yuan } from "./format.js";
import { zh } from "./i18n.js";
import { inboxCard } from "./inbox.js";
import { residentOrderCard } from "./leader_order.js";
import { ITEM_FIELDS, dayTabs, placedText } from "./order_form.js";

// The QR code encodes the link under the address this page was loaded from.
const POINT = `query($base: String!) { viewer { leader { status pickupPoint {
  id name address shareCode shareQrSvg(baseUrl: $base) } } } }`;
// Every campaign open at the point, earliest delivery first (次日达 beside a
// later presale): one tab per delivery date above the campaign.
const CAMPAIGNS = `query($p: ID!) { openCampaigns(pickupPointId: $p) {
  id deliveryDate cutoffAt items { ${ITEM_FIELDS} } } }`;
// Asked one at a time: leaderDelivery and pickList in one request fail on the
// server (INTERNAL_SERVER_ERROR, reported with issue 8).
const TOTALS = `query($d: Date!) { pickupPointTotals(deliveryDate: $d) {
  byCustomer { customerName customerPhone orders units totalFen } } }`;
const DELIVERY = `query($d: Date!) { leaderDelivery(deliveryDate: $d) { status expectedArrivalAt arrivedAt
  receipt { signedAt refundedFen issues { kind quantity product { name } } } } }`;
const PICK_LIST = `query($d: Date!, $p: ID!) { pickList(pickupPointId: $p, deliveryDate: $d) {
  products { units product { id name unit } } } }`;
const VERIFY = `mutation($input: PickupVerifyInput!) { pickupVerify(input: $input) {
  order { number customerName } pickup { pickedUpAt lines { quantity product { name unit } } }
  alreadyPickedUp attemptsLeft userErrors { field code message } } }`;
const SIGN = `mutation($input: DeliverySignInput!) { deliverySign(input: $input) {
  receipt { refundedFen } notifiedCustomers userErrors { field code message } } }`;

const STATUS = { SCHEDULED: "未到货", ARRIVED: "车已到", HANDED_OVER: "已卸货", SIGNED: "已签收" };

export async function render(view) {
  const { viewer } = await gql(POINT, { base: location.origin });
  const point = viewer.leader?.pickupPoint;
  if (!point || viewer.leader.status !== "APPROVED") {
    view.append(el("p", {}, "团长申请尚未通过。"));
    return;
  }
  const day = el("input", { id: "day", type: "date", value: today() });
  const dayBox = el("div", { id: "day-view" });
  day.addEventListener("change", () => drawDay(dayBox, point, day.value));
  // The delivery date shown (null: the earliest), kept across redraws.
  let shownDay = null;
  const load = async () => {
    const { openCampaigns: all } = await gql(CAMPAIGNS, { p: point.id });
    return { all, campaign: all.find((c) => c.deliveryDate === shownDay) ?? all[0] ?? null };
  };
  const cards = ({ all, campaign }) => [
    campaignCard(point, campaign, all, async (picked) => {
      shownDay = picked;
      const [shop, order] = cards(await load());
      view.querySelector("#campaign").replaceWith(shop);
      view.querySelector("#resident-order").replaceWith(order);
    }),
    residentOrderCard(point, campaign, placed),
  ];
  // After an order for a resident: the campaign again, for what is left now
  // (an item that sold out is shown so, and cannot be ordered), then the
  // order's line under the fresh form, and the day's totals.
  const placed = async (order) => {
    const [shop, orderCard] = cards(await load());
    view.querySelector("#campaign").replaceWith(shop);
    view.querySelector("#resident-order").replaceWith(orderCard);
    const form = orderCard.querySelector("form");
    if (form) notice(form, placedText(order));
    else orderCard.append(el("p", { class: "notice" }, placedText(order)));
    await drawDay(dayBox, point, day.value);
  };
  view.append(
    el("h1", {}, point.name),
    await inboxCard(),
    ...cards(await load()),
    verifyForm(),
    el("p", {}, el("label", {}, "配送日期 ", day)),
    dayBox,
    await commissionCard(),
  );
  await drawDay(dayBox, point, day.value);
}

function campaignCard(point, campaign, all, onPick) {
  const link = `${location.origin}/app/?share=${encodeURIComponent(point.shareCode ?? "")}`;
  const items = campaign
    ? [
        el("p", {}, `${campaign.deliveryDate} 到货 · ${hhmm(campaign.cutoffAt)} 截单`),
        el("table", {}, el("tbody", {}, campaign.items.map((item) =>
          el("tr", {},
            el("td", {}, item.product?.name ?? "?"),
            el("td", { class: "num" }, `¥${yuan(item.groupPriceFen)}`),
            el("td", { class: "num" }, el("s", {}, `¥${yuan(item.listPriceFen)}`)),
            el("td", { class: "num" }, item.remaining === null ? "" : `剩 ${item.remaining}`))))),
      ]
    : [el("p", {}, "现在没有进行中的团购。")];
  return el("section", { id: "campaign", class: "card" },
    el("h2", {}, "今日团购"),
    all.length > 1 ? dayTabs(all, campaign, onPick) : "",
    el("p", {}, "分享码 ", el("strong", { class: "share-code" }, point.shareCode ?? "")),
    el("p", {}, "分享链接 ", el("a", { class: "share-link", href: link }, link)),
    point.shareQrSvg
      ? el("p", {}, el("img", { class: "share-qr", alt: "分享二维码",
          src: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(point.shareQrSvg)}` }))
      : "",
    ...items);
}

function verifyForm() {
  const result = el("div", { id: "verify-result" });
  const form = el("form", { id: "pickup-verify", class: "card" },
    el("h2", {}, "核销提货码"),
    el("label", {}, "提货码", el("input", { name: "code", inputmode: "numeric", autocomplete: "off", required: true })),
    el("button", { type: "submit" }, "核销"),
    result);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const { pickupVerify: r } = await gql(VERIFY, { input: values(form) });
      result.replaceChildren();
      if (r.userErrors.length) {
        const left = r.attemptsLeft === null ? [] : [{ field: ["code"], message: `还可再试 ${r.attemptsLeft} 次` }];
        return showUserErrors(form, [...r.userErrors, ...left], zh);
      }
      notice(form, r.alreadyPickedUp ? `已于 ${hhmm(r.pickup.pickedUpAt)} 提过货，请勿重复发货` : "核销成功，请发货");
      result.append(
        el("p", { class: "picked-up" }, `${r.order.customerName ?? ""} · 订单 ${r.order.number}`),
        el("ul", {}, r.pickup.lines.map((l) => el("li", {}, `${l.product?.name ?? "?"} × ${l.quantity}`))));
    });
  });
  return form;
}

async function drawDay(box, point, date) {
  const data = {
    ...(await gql(TOTALS, { d: date })),
    ...(await gql(DELIVERY, { d: date })),
    ...(await gql(PICK_LIST, { d: date, p: point.id })),
  };
  box.replaceChildren(ordersCard(data.pickupPointTotals.byCustomer), deliveryCard(box, point, date, data));
}

function ordersCard(customers) {
  const sum = (key) => customers.reduce((total, c) => total + c[key], 0);
  return el("section", { id: "orders", class: "card" },
    el("h2", {}, "订单（按顾客）"),
    customers.length
      ? el("table", {},
          el("thead", {}, el("tr", {}, ["顾客", "单数", "件数", "金额"].map((h) => el("th", {}, h)))),
          el("tbody", {}, customers.map((c) =>
            el("tr", { class: "customer" },
              el("td", {}, c.customerName, c.customerPhone ? el("br") : "", c.customerPhone ?? ""),
              el("td", { class: "num" }, c.orders),
              el("td", { class: "num" }, c.units),
              el("td", { class: "num" }, `¥${yuan(c.totalFen)}`)))),
          el("tfoot", {}, el("tr", { class: "total" },
            el("th", {}, "合计"), el("th", { class: "num" }, sum("orders")),
            el("th", { class: "num" }, sum("units")), el("th", { class: "num" }, `¥${yuan(sum("totalFen"))}`))))
      : el("p", {}, "这天没有订单。"));
}

function deliveryCard(box, point, date, { leaderDelivery: delivery, pickList }) {
  const card = el("section", { id: "delivery", class: "card" }, el("h2", {}, "到货签收"));
  if (!delivery) {
    card.append(el("p", {}, "配送路线还没有发布。"));
    return card;
  }
  card.append(el("p", { class: "arrival" },
    `预计 ${hhmm(delivery.expectedArrivalAt)} 到达 · ${STATUS[delivery.status] ?? delivery.status}`));
  if (delivery.receipt) {
    card.append(el("p", { class: "receipt" },
      `已于 ${hhmm(delivery.receipt.signedAt)} 签收，退款 ¥${yuan(delivery.receipt.refundedFen)}`),
      el("ul", {}, delivery.receipt.issues.map((i) =>
        el("li", {}, `${i.product?.name ?? "?"} ${i.kind === "MISSING" ? "缺" : "损"} ${i.quantity}`))));
    return card;
  }
  card.append(signForm(box, point, date, pickList?.products ?? []));
  return card;
}

function signForm(box, point, date, products) {
  const rows = products.flatMap((line) =>
    ["MISSING", "DAMAGED"].map((kind) =>
      el("label", {}, `${line.product?.name ?? "?"}（应到 ${line.units}）${kind === "MISSING" ? "缺少" : "破损"}`,
        el("input", { type: "number", min: 0, value: 0, "data-product": line.product?.id, "data-kind": kind }))));
  const form = el("form", { id: "delivery-sign" }, ...rows,
    el("label", {}, "备注", el("input", { name: "note" })),
    el("button", { type: "submit" }, "签收"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const issues = numberedRows(form.querySelectorAll("input[data-product]"), "issues",
      (input) => ({ productId: input.dataset.product, kind: input.dataset.kind, quantity: Number(input.value) }));
    await busy(form, async () => {
      const note = form.note.value || null;
      const { deliverySign: r } = await gql(SIGN, { input: { deliveryDate: date, issues, note } });
      if (r.userErrors.length) return showUserErrors(form, r.userErrors, zh);
      await drawDay(box, point, date);
    });
  });
  return form;
}
