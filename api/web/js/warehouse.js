// Warehouse staff (仓库收货), on a tablet: a delivery date's purchase orders
// (today unless ?date= says otherwise), per line what was bought, what the
// supplier confirmed (应到), what was received and what passed QC so far; a
// form per line for each delivery, and closing receiving, after which what
// did not arrive or failed QC is short (allocated and refunded at once).
import { busy, notice, showUserErrors, values } from "./forms.js";
import { el, gql } from "./graphql.js";
import { hhmm, today } from "./format.js";
import { zh } from "./i18n.js";

const PO_FIELDS = `id deliveryDate receivingClosedAt supplier { name contactPhone } warehouse { name }
  lines { orderedUnits purchaseUnits confirmedUnits receivedUnits acceptedUnits product { id name unit } }
  receipts { receivedUnits acceptedUnits deliveryRef createdAt product { id } }`;
const ORDERS = `query($d: Date!) { purchaseOrders(deliveryDate: $d, first: 100) { nodes { ${PO_FIELDS} } } }`;
const RECORD = `mutation($input: ReceiptRecordInput!) { receiptRecord(input: $input) {
  purchaseOrder { ${PO_FIELDS} } userErrors { field code message } } }`;
const CLOSE = `mutation($input: PurchaseOrderIdInput!) { purchaseOrderReceivingClose(input: $input) {
  purchaseOrder { ${PO_FIELDS} } shortedUnits userErrors { field code message } } }`;

export async function render(view) {
  const params = new URLSearchParams(location.search);
  const orders = el("div", { id: "purchase-orders" });
  const form = el("form", { id: "receiving-day", class: "inline" },
    el("label", {}, "到货日期",
      el("input", { name: "date", type: "date", value: params.get("date") || today(), required: true })),
    el("button", { type: "submit" }, "查看采购单"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, () => drawOrders(orders, form.date.value));
  });
  view.append(el("div", { id: "receiving" }, el("h1", {}, "仓库收货"), form, orders));
  form.requestSubmit();
}

async function drawOrders(box, date) {
  const { purchaseOrders } = await gql(ORDERS, { d: date });
  box.replaceChildren();
  if (!purchaseOrders.nodes.length) box.append(el("p", { class: "empty" }, "这一天没有采购单。"));
  for (const po of purchaseOrders.nodes) {
    const card = el("section", { class: "card purchase-order", "data-id": po.id });
    drawOrder(card, po);
    box.append(card);
  }
}

function drawOrder(card, po, shortedUnits = null) {
  const open = !po.receivingClosedAt;
  card.toggleAttribute("data-closed", !open);
  const phone = po.supplier?.contactPhone;
  card.replaceChildren(
    el("h2", {}, po.supplier?.name ?? "供应商", po.warehouse ? ` · ${po.warehouse.name}` : ""),
    el("p", { class: "state" }, open ? "收货中" : `已结束收货（${hhmm(po.receivingClosedAt)}）`,
      phone ? " · 供应商电话 " : "", phone ? el("a", { href: `tel:${phone}` }, phone) : ""),
    el("table", { class: "receiving-lines" },
      el("thead", {}, el("tr", {}, ["商品", "顾客订购", "采购", "应到", "实收", "合格"].map((h, i) =>
        el("th", { class: i ? "num" : undefined }, h)))),
      el("tbody", {}, po.lines.flatMap((line) => lineRows(card, po, line, open)))),
    shortedUnits === null ? "" : el("p", { class: "shortage notice" }, shortedUnits
      ? `收货已结束：缺货 ${shortedUnits} 件，已按付款先后分配并退款给顾客。`
      : "收货已结束：没有缺货。"),
    open ? closeBox(card, po) : "");
}

function lineRows(card, po, line, open) {
  const expected = line.confirmedUnits ?? line.purchaseUnits;
  const deliveries = po.receipts.filter((r) => r.product?.id === line.product?.id);
  const row = el("tr", { class: "line", "data-product": line.product?.id },
    el("td", {}, el("strong", {}, line.product?.name ?? "?"), ` ${line.product?.unit ?? ""}`),
    el("td", { class: "num ordered" }, line.orderedUnits),
    el("td", { class: "num purchased" }, line.purchaseUnits),
    el("td", { class: "num expected" }, expected, line.confirmedUnits === null ? "（未确认）" : ""),
    el("td", { class: `num received${line.receivedUnits < expected ? " short" : ""}` }, line.receivedUnits),
    el("td", { class: `num accepted${line.acceptedUnits < expected ? " short" : ""}` }, line.acceptedUnits));
  const detail = el("td", { colspan: 6 },
    deliveries.length
      ? el("ul", { class: "deliveries" }, deliveries.map((r) => el("li", {},
          `${hhmm(r.createdAt)} · ${r.deliveryRef || "无单号"} · 实收 ${r.receivedUnits} · 合格 ${r.acceptedUnits}`)))
      : "",
    open ? receiptForm(card, po, line) : "");
  return [row, el("tr", { class: "line-detail", "data-product": line.product?.id }, detail)];
}

function receiptForm(card, po, line) {
  const received = el("input", { name: "receivedUnits", type: "number", min: 0, inputmode: "numeric", required: true });
  const accepted = el("input", { name: "acceptedUnits", type: "number", min: 0, inputmode: "numeric", required: true });
  // Most deliveries pass QC whole: the accepted units follow the received
  // ones until someone types there.
  received.addEventListener("input", () => { if (!accepted.dataset.typed) accepted.value = received.value; });
  accepted.addEventListener("input", () => { accepted.dataset.typed = "1"; });
  const form = el("form", { class: "receipt", "data-product": line.product?.id },
    el("label", {}, "实收件数", received),
    el("label", {}, "合格件数", accepted),
    el("label", {}, "送货单号", el("input", { name: "deliveryRef", maxlength: 64, autocomplete: "off" })),
    el("button", { type: "submit" }, "登记到货"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const input = { purchaseOrderId: po.id, productId: line.product.id, deliveryRef: "", ...values(form) };
      const { receiptRecord: r } = await gql(RECORD, { input });
      if (r.userErrors.length) return showUserErrors(form, r.userErrors, zh);
      drawOrder(card, r.purchaseOrder);
      const fresh = card.querySelector(`form.receipt[data-product="${CSS.escape(line.product.id)}"]`);
      if (fresh) notice(fresh, `已登记：实收 ${input.receivedUnits}，合格 ${input.acceptedUnits}`);
    });
  });
  return form;
}

function closeBox(card, po) {
  const ask = el("button", { type: "button", class: "close-receiving" }, "结束收货");
  const sure = el("form", { class: "close-confirm", hidden: true },
    el("p", {}, "确定结束收货吗？结束后不能再登记到货，未到或不合格的件数记为缺货，并退款给顾客。"),
    el("div", { class: "actions" },
      el("button", { type: "submit", class: "danger" }, "确定结束"),
      el("button", { type: "button", class: "cancel", onclick: () => { sure.hidden = true; ask.hidden = false; } }, "取消")));
  ask.addEventListener("click", () => { ask.hidden = true; sure.hidden = false; });
  sure.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(sure, async () => {
      const { purchaseOrderReceivingClose: r } = await gql(CLOSE, { input: { id: po.id } });
      if (r.userErrors.length) return showUserErrors(sure, r.userErrors, zh);
      drawOrder(card, r.purchaseOrder, r.shortedUnits);
    });
  });
  return el("div", { class: "close-box" }, ask, sure);
}
