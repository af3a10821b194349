// The grid operator's morning (网格仓): its vans' plan for the date (the
// published one, else the dispatcher's latest draft: routes with stops and
// times), whether the trunk now arrives later than the plan assumed, and
// its points' deliveries with the leaders' receipts (签收).
import { el, gql } from "./graphql.js";
import { hhmm, kg, yuan } from "./format.js";

const PLAN = `query($w: ID!, $d: Date!) { currentRoutePlan(warehouseId: $w, deliveryDate: $d) {
  status trunkReadyAt trunkDelayMinutes stopsAtRisk { pickupPoint { name } }
  routes { number vehicleNumber vehicleType { name } departureAt returnAt km weightG totes
    stops { position arrivalAt serviceStartAt weightG totes pickupPoint { name } } } } }`;
const DELIVERIES = `query($w: ID!, $d: Date!) { stopDeliveries(warehouseId: $w, deliveryDate: $d) {
  status arrivedAt handedOverAt pickupPoint { name }
  receipt { signedAt note issues { kind quantity refundedFen product { name } } } } }`;
const STATUS = { SCHEDULED: "待送达", ARRIVED: "已到达", HANDED_OVER: "已交接", SIGNED: "已签收" };
const KINDS = { MISSING: "缺件", DAMAGED: "破损" };

/** The plan and the deliveries of ``date`` into ``box``. */
export async function drawGridPlans(box, grid, date) {
  const variables = { w: grid.warehouse.id, d: date };
  const [{ currentRoutePlan: plan }, { stopDeliveries }] = await Promise.all([
    gql(PLAN, variables), gql(DELIVERIES, variables)]);
  box.replaceChildren(planSection(plan), deliveriesSection(stopDeliveries));
}

function planSection(plan) {
  const section = el("section", { id: "grid-plan" });
  if (!plan) {
    section.append(el("h2", {}, "配送线路"), el("p", { class: "empty" }, "调度还没有为这一天排线。"));
    return section;
  }
  section.append(el("h2", {}, `配送线路（${plan.status === "PUBLISHED" ? "已发布" : "草稿，可能还会调整"}）`));
  if (plan.trunkReadyAt) section.append(el("p", { id: "grid-trunk" }, `干线预计 ${hhmm(plan.trunkReadyAt)} 卸货完毕，车辆此后装车出发。`));
  const names = plan.stopsAtRisk.map((s) => s.pickupPoint?.name ?? "?");
  if (plan.trunkDelayMinutes > 0 || names.length) {
    const why = plan.trunkDelayMinutes > 0 ? `干线比排线时晚 ${plan.trunkDelayMinutes} 分钟` : "排线时还没有干线计划";
    section.append(el("p", { id: "grid-trunk-late", class: "form-error" },
      why + (names.length ? `，可能赶不上收货时段：${names.join("、")}` : "")));
  }
  const head = el("tr", {}, ["站", "自提点", "到达", "交接", "kg", "周转筐"].map((h) => el("th", {}, h)));
  const body = plan.routes.flatMap((route) => [
    el("tr", { class: "grid-route" }, el("th", { colspan: 6 },
      `第${route.number}线 ${route.vehicleType?.name ?? ""} ${route.vehicleNumber}号 · ` +
      `${hhmm(route.departureAt)} 出发 – ${hhmm(route.returnAt)} 返回 · ${route.km.toFixed(1)} km · ` +
      `${kg(route.weightG)} kg · ${route.totes} 筐`)),
    ...route.stops.map((stop) => el("tr", { class: "grid-stop" },
      [stop.position, stop.pickupPoint?.name ?? "?", hhmm(stop.arrivalAt), hhmm(stop.serviceStartAt), kg(stop.weightG), stop.totes]
        .map((v) => el("td", {}, String(v))))),
  ]);
  section.append(el("table", { class: "grid-routes" }, el("thead", {}, head), el("tbody", {}, body)));
  return section;
}

function deliveriesSection(deliveries) {
  const section = el("section", { id: "grid-deliveries" }, el("h2", {}, "自提点签收"));
  if (!deliveries.length) {
    section.append(el("p", { class: "empty" }, "线路发布后，这里显示各自提点的送达与签收。"));
    return section;
  }
  const head = el("tr", {}, ["自提点", "状态", "签收时间", "缺件破损"].map((h) => el("th", {}, h)));
  const rows = deliveries.map((d) => el("tr", { class: "grid-delivery" },
    el("td", {}, d.pickupPoint?.name ?? "?"),
    el("td", { class: "status" }, STATUS[d.status]),
    el("td", {}, d.receipt ? hhmm(d.receipt.signedAt) : "—"),
    el("td", { class: "issues" }, d.receipt ? issues(d.receipt) : "")));
  section.append(el("table", {}, el("thead", {}, head), el("tbody", {}, rows)));
  return section;
}

function issues(receipt) {
  if (!receipt.issues.length) return "无";
  return receipt.issues.map((i) =>
    `${i.product?.name ?? ""} ${KINDS[i.kind]} ${i.quantity} 件，退款 ¥${yuan(i.refundedFen)}`).join("；");
}
