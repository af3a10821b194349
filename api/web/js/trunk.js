// The two tiers on the dispatcher's desk: a trunk plan's grid warehouses
// (干线: the central's trucks to its grids, inside their receiving windows),
// and, on a grid warehouse's own plan, from when its vans may leave.
import { el } from "./graphql.js";
import { hhmm, kg } from "./format.js";

/** The table of a trunk plan's stops, route by route. */
export function trunkTable(plan) {
  const head = el("tr", {}, ["Route", "#", "Grid warehouse", "Arrival", "Unloading", "Unloaded", "kg", "Cases + totes"]
    .map((h) => el("th", {}, h)));
  const rows = plan.trunkStops.map((stop) => el("tr", { class: "trunk-stop" },
    el("td", {}, stop.routeNumber), el("td", {}, stop.position),
    el("td", {}, stop.gridWarehouse?.name ?? "?"),
    el("td", {}, hhmm(stop.arrivalAt)), el("td", {}, hhmm(stop.serviceStartAt)),
    el("td", {}, hhmm(stop.departureAt)),
    el("td", { class: "num" }, kg(stop.weightG)), el("td", { class: "num" }, stop.handlingUnits)));
  const unserved = plan.unservedGrids.map((u) => el("tr", { class: "trunk-unserved" },
    el("td", { colspan: 2 }, "—"), el("td", {}, u.gridWarehouse?.name ?? "?"),
    el("td", { colspan: 3 }, `Not served: ${u.reason}`),
    el("td", { class: "num" }, kg(u.weightG)), el("td", { class: "num" }, u.handlingUnits)));
  return el("table", { id: "trunk-stops" }, el("thead", {}, head), el("tbody", {}, [...rows, ...unserved]));
}

/** On a grid warehouse's plan: when its vans may leave, or that no trunk plan bounds them yet. */
export function trunkReadiness(plan) {
  if (plan.kind !== "DELIVERY") return "";
  if (plan.trunkReadyAt) {
    return el("p", { id: "trunk-ready" }, `Vans leave from ${hhmm(plan.trunkReadyAt)}, once the trunk has unloaded here.`);
  }
  return "";
}
