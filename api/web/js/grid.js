// A grid operator (网格仓), on a tablet: the grid's delivery date (today
// unless ?date= says otherwise), what the central sends it (stage one: cases,
// loose units, totes), and the handover form: per product, the units missing
// or damaged, refunded to the grid's customers when signed. Once signed, the
// receipt with what each issue refunded. Then its vans' plan and its points'
// receipts (grid_plans.js), the points it serves, and the grid's fees per
// piece with its payout requests (commission.js, the leaders' money card).
import { gridFeesCard } from "./commission.js";
import { busy, notice, numberedRows, showUserErrors } from "./forms.js";
import { openFile, saveFile } from "./downloads.js";
import { el, gql } from "./graphql.js";
import { drawGridPlans } from "./grid_plans.js";
import { hhmm, today, yuan } from "./format.js";
import { zh } from "./i18n.js";

const GRID = `{ myGridWarehouse { warehouse { id name } central { id name }
  pickupPoints { id name address } } }`;
const SHIPMENT = `query($c: ID!, $d: Date!) { gridShipments(centralId: $c, deliveryDate: $d) {
  zones { storageZone units cases looseUnits totes handlingUnits weightG }
  pickList { units casePack cases looseUnits product { id name unit } }
  downloadUrls { pickListXlsx labelsPdf }
  incomingTrunk { planStatus routeNumber arrivalAt unloadedAt handlingUnits }
  receipt { signedAt note issues { kind quantity refundedFen product { name } } } } }`;
const SIGN = `mutation($input: GridHandoverSignInput!) { gridHandoverSign(input: $input) {
  receipt { signedAt issues { kind quantity refundedFen } } userErrors { field code message } } }`;
const ZONES = { AMBIENT: "常温", CHILLED: "冷藏", FROZEN: "冷冻" };
const KINDS = { MISSING: "缺件", DAMAGED: "破损" };

export async function render(view) {
  const { myGridWarehouse: grid } = await gql(GRID);
  if (!grid) {
    view.append(el("p", { class: "empty" }, "此账号尚未关联网格仓，请联系平台运营。"));
    return;
  }
  const params = new URLSearchParams(location.search);
  const shipment = el("div", { id: "shipment" });
  const morning = el("div", { id: "grid-morning" });
  const form = el("form", { id: "grid-day", class: "inline" },
    el("label", {}, "到货日期",
      el("input", { name: "date", type: "date", value: params.get("date") || today(), required: true })),
    el("button", { type: "submit" }, "查看"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, () => Promise.all([
      drawShipment(shipment, grid, form.date.value), drawGridPlans(morning, grid, form.date.value)]));
  });
  const points = el("section", { id: "grid-points" }, el("h2", {}, `服务的自提点（${grid.pickupPoints.length}）`),
    el("ul", {}, grid.pickupPoints.map((p) => pointRow(p, () => form.date.value))));
  const fees = await gridFeesCard();
  view.append(el("div", { id: "grid" },
    el("h1", {}, `${grid.warehouse.name} · 网格仓`), el("p", {}, `中心仓：${grid.central.name}`),
    form, shipment, morning, points, fees));
  form.requestSubmit();
}

// Stage two happens here: each point's sorter totals and tote labels.
function pointRow(point, date) {
  const file = (kind, fmt) => `/exports/pick-lists/${encodeURIComponent(point.id)}/${date()}.${fmt}?kind=${kind}`;
  return el("li", { "data-point": point.id }, `${point.name} · ${point.address} `,
    el("button", { type: "button", onclick: () => saveFile(file("totals", "xlsx"), `分拣汇总-${point.name}-${date()}.xlsx`) }, "分拣单"),
    el("button", { type: "button", onclick: () => openFile(file("labels", "pdf")) }, "周转筐标签"));
}

async function drawShipment(box, grid, date) {
  const { gridShipments: [shipment] } = await gql(SHIPMENT, { c: grid.central.id, d: date });
  box.replaceChildren();
  if (!shipment || !shipment.zones.length) {
    box.append(el("p", { class: "empty" }, "中心仓这一天没有给本网格仓分拣货物。"));
    return;
  }
  box.append(el("table", { class: "grid-zones" },
    el("thead", {}, el("tr", {}, ["温区", "件数", "整箱", "散件", "周转筐", "装车件数", "重量 kg"].map((h) => el("th", {}, h)))),
    el("tbody", {}, shipment.zones.map((z) => el("tr", {},
      [ZONES[z.storageZone], z.units, z.cases, z.looseUnits, z.totes, z.handlingUnits, (z.weightG / 1000).toFixed(1)]
        .map((v) => el("td", {}, String(v))))))));
  box.prepend(incoming(shipment.incomingTrunk));
  const urls = shipment.downloadUrls;
  box.append(el("p", { class: "documents" },
    el("button", { type: "button", onclick: () => saveFile(urls.pickListXlsx, `网格仓分拣单-${date}.xlsx`) }, "分拣单 Excel"),
    el("button", { type: "button", onclick: () => openFile(urls.labelsPdf) }, "件标签 PDF")));
  box.append(shipment.receipt ? receipt(shipment.receipt) : handover(box, grid, date, shipment));
}

function incoming(trunk) {
  if (!trunk) return el("p", { id: "incoming-trunk", class: "empty" }, "中心仓尚未排干线：到货时间未定。");
  const draft = trunk.planStatus === "PUBLISHED" ? "" : "（草稿，调度尚未发布）";
  return el("p", { id: "incoming-trunk" },
    `干线第 ${trunk.routeNumber} 车：预计 ${hhmm(trunk.arrivalAt)} 到达，${hhmm(trunk.unloadedAt)} 卸完，共 ${trunk.handlingUnits} 件${draft}`);
}

function receipt(signed) {
  const refunded = signed.issues.reduce((sum, i) => sum + i.refundedFen, 0);
  return el("section", { id: "grid-receipt", class: "card" },
    el("h2", {}, `已签收 ${hhmm(signed.signedAt)}`),
    signed.issues.length
      ? el("ul", {}, signed.issues.map((i) => el("li", {}, `${i.product?.name ?? ""} ${KINDS[i.kind]} ${i.quantity} 件，退款 ¥${yuan(i.refundedFen)}`)))
      : el("p", {}, "全部到齐，无缺件破损。"),
    refunded ? el("p", { class: "refunded" }, `共退款 ¥${yuan(refunded)}，已按付款先后退给本网格的顾客。`) : "");
}

function handover(box, grid, date, shipment) {
  const rows = shipment.pickList.map((line) => el("tr", { "data-product": line.product.id },
    el("td", {}, line.product.name), el("td", {}, String(line.units)),
    el("td", {}, `${line.cases} 箱 × ${line.casePack} + ${line.looseUnits}`),
    ...["MISSING", "DAMAGED"].map((kind) => el("td", {},
      el("input", { type: "number", min: 0, max: line.units, value: 0, "data-kind": kind, "aria-label": `${line.product.name} ${KINDS[kind]}` })))));
  const form = el("form", { id: "grid-handover" },
    el("h2", {}, "签收中心仓来货"),
    el("table", { class: "grid-pick-list" },
      el("thead", {}, el("tr", {}, ["商品", "件数", "箱/散", "缺件", "破损"].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows)),
    el("label", {}, "备注", el("input", { name: "note", maxlength: 500 })),
    el("button", { type: "submit" }, "签收"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const issues = numberedRows(form.querySelectorAll("input[data-kind]"), "issues", (input) => ({
      productId: input.closest("tr").dataset.product, kind: input.dataset.kind, quantity: Number(input.value),
    }));
    await busy(form, async () => {
      const input = { gridId: grid.warehouse.id, deliveryDate: date, issues, note: form.note.value || null };
      const { gridHandoverSign: r } = await gql(SIGN, { input });
      if (r.userErrors.length) return showUserErrors(form, r.userErrors, zh);
      notice(form, "已签收");
      await drawShipment(box, grid, date);
    });
  });
  return form;
}
