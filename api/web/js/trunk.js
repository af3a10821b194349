// The two tiers on the dispatcher's desk: a trunk plan's grid warehouses
// (干线: the central's trucks to its grids, inside their receiving windows;
// on a draft, each locked or unlocked with plan_edits.js's toggle),
// and, on a grid warehouse's own plan, from when its vans may leave; when
// the trunk now unloads later than the plan assumed, a warning with the
// stops whose window would be missed, and the hint to plan the grid again.
import { el, gql } from "./graphql.js";
import { hhmm, kg } from "./format.js";
import { lockForm } from "./plan_edits.js";

const BOUND = `query($id: ID!) { node(id: $id) { ... on RoutePlan {
  trunkReadyAt plannedTrunkReadyAt trunkDelayMinutes
  stopsAtRisk { routeNumber position expectedArrivalAt windowEndAt lateMinutes pickupPoint { name } } } } }`;

/** The table of a trunk plan's stops, route by route; ``redraw(plan)`` shows an edit's answer. */
export function trunkTable(plan, redraw) {
  const draft = plan.status === "DRAFT";
  const head = el("tr", {}, ["Route", "#", "Grid warehouse", "Arrival", "Unloading", "Unloaded", "kg", "Cases + totes", "Locked"]
    .map((h) => el("th", {}, h)));
  const rows = plan.trunkStops.map((stop) => el("tr", { class: "trunk-stop" },
    el("td", {}, stop.routeNumber), el("td", {}, stop.position),
    el("td", {}, stop.gridWarehouse?.name ?? "?"),
    el("td", {}, hhmm(stop.arrivalAt)), el("td", {}, hhmm(stop.serviceStartAt)),
    el("td", {}, hhmm(stop.departureAt)),
    el("td", { class: "num" }, kg(stop.weightG)), el("td", { class: "num" }, stop.handlingUnits),
    el("td", { class: "locked" }, stop.locked ? el("span", { class: "is-locked" }, "Locked ") : "",
      draft ? lockForm(plan, stop, redraw) : "")));
  const unserved = plan.unservedGrids.map((u) => el("tr", { class: "trunk-unserved" },
    el("td", { colspan: 2 }, "—"), el("td", {}, u.gridWarehouse?.name ?? "?"),
    el("td", { colspan: 3 }, `Not served: ${u.reason}`),
    el("td", { class: "num" }, kg(u.weightG)), el("td", { class: "num" }, u.handlingUnits), el("td", {}, "")));
  return el("table", { id: "trunk-stops" }, el("thead", {}, head), el("tbody", {}, [...rows, ...unserved]));
}

/** On a grid warehouse's plan: when its vans may leave, and a warning when the trunk is now late. */
export function trunkReadiness(plan) {
  if (plan.kind !== "DELIVERY") return "";
  const box = el("div", { id: "trunk-bound" });
  drawBound(box, plan);
  return box;
}

async function drawBound(box, plan) {
  const { node: bound } = await gql(BOUND, { id: plan.id });
  if (!bound?.trunkReadyAt) return; // not a grid's plan, or no trunk plan serves the grid yet
  box.append(el("p", { id: "trunk-ready" }, `Vans leave from ${hhmm(bound.trunkReadyAt)}, once the trunk has unloaded here.`));
  const risk = bound.stopsAtRisk;
  if (!(bound.trunkDelayMinutes > 0) && !risk.length) return;
  const why = bound.plannedTrunkReadyAt
    ? `The trunk now unloads ${bound.trunkDelayMinutes} min later than this plan assumed ` +
      `(${hhmm(bound.plannedTrunkReadyAt)} → ${hhmm(bound.trunkReadyAt)}).`
    : `This plan was made before any trunk plan; the trunk now unloads at ${hhmm(bound.trunkReadyAt)}.`;
  const hint = plan.status === "DRAFT"
    ? "Plan this grid again (Plan routes, or re-optimise) to start from the trunk's new time."
    : "The plan is published: warn the points at risk.";
  box.append(el("div", { id: "trunk-late", class: "card form-error" },
    el("p", {}, why),
    risk.length
      ? el("ul", {}, risk.map((s) => el("li", { class: "at-risk" },
        `${s.pickupPoint?.name ?? "?"} (route ${s.routeNumber}, stop ${s.position}): arrives ` +
        `${hhmm(s.expectedArrivalAt)}, window closes ${hhmm(s.windowEndAt)}, ${s.lateMinutes} min late`)))
      : el("p", {}, "Every stop still arrives inside its window."),
    el("p", { class: "hint" }, hint)));
}
