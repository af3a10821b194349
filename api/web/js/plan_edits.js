// The dispatcher's work on a draft plan: reopen a date's earlier plans, move
// a stop, lock or unlock one, re-optimise around the locked stops (a new
// plan, with the job's progress). The same controls serve both kinds of plan:
// a delivery plan's stops are pickup points, a trunk plan's grid warehouses
// (trunk.js). Drivers of a published plan: route_drivers.js.
import { busy, notice, showUserErrors, values } from "./forms.js";
import { el, gql } from "./graphql.js";
import { hhmm } from "./format.js";
import { watchJob } from "./jobs.js";

export const PLAN_FIELDS = `id status version deliveryDate km costFen vehiclesUsed stopCount
  kind trunkReadyAt downloadUrls { mapSvg } parent { id } warehouse { id name }
  trunkStops { routeNumber position arrivalAt serviceStartAt departureAt weightG handlingUnits locked
    gridWarehouse { id name } }
  unservedGrids { reason weightG handlingUnits gridWarehouse { id name } }
  routes { id number vehicleNumber vehicleType { name } departureAt returnAt km weightG totes
    downloadUrls { csv pdf loadingPdf } driver { id name }
    stops { position arrivalAt serviceStartAt departureAt weightG totes loadWeightGAfter locked
      pickupPoint { id name } } }
  unservedStops { reason weightG totes pickupPoint { id name } }`;
const PLANS = `query($w: ID!, $d: Date!) { routePlans(warehouseId: $w, deliveryDate: $d, first: 100) {
  nodes { id kind status version createdAt km vehiclesUsed stopCount parent { id } } } }`;
const MOVE = `mutation($input: RoutePlanStopMoveInput!) { routePlanStopMove(input: $input) {
  routePlan { ${PLAN_FIELDS} } userErrors { field code message } } }`;
const LOCK = `mutation($input: RoutePlanStopLockInput!) { routePlanStopLock(input: $input) {
  routePlan { ${PLAN_FIELDS} } userErrors { field code message } } }`;
const REOPTIMIZE = `mutation($input: RoutePlanReoptimizeInput!) { routePlanReoptimize(input: $input) {
  routePlan { id } job { id } userErrors { field code message } } }`;

/** The date's plans, oldest first, each with a button that opens it. */
export async function drawPlanList(box, warehouseId, deliveryDate, open) {
  const { routePlans } = await gql(PLANS, { w: warehouseId, d: deliveryDate });
  box.replaceChildren(el("h2", {}, `Plans for ${deliveryDate}`));
  if (!routePlans.nodes.length) box.append(el("p", { class: "empty" }, "No plans for this date."));
  else box.append(el("table", {}, el("tbody", {}, routePlans.nodes.map((p, i) =>
    el("tr", { class: "plan-row", "data-id": p.id },
      el("td", {}, `#${i + 1} ${hhmm(p.createdAt)}`),
      el("td", { class: "status" }, p.status),
      el("td", { class: "kind" }, p.kind === "TRUNK" ? "trunk" : ""),
      el("td", {}, p.parent ? "re-optimised" : ""),
      el("td", {}, `${p.vehiclesUsed} vehicles · ${p.stopCount} stops · ${p.km.toFixed(1)} km`),
      el("td", {}, el("button", { type: "button", onclick: () => open(p.id) }, "Open")))))));
}

/** What the plan's stops are: the move input's field, and every site (served or not) as {id, name}. */
function planSites(plan) {
  if (plan.kind === "TRUNK") {
    return { field: "gridId", sites: [...plan.trunkStops, ...plan.unservedGrids].map((s) => s.gridWarehouse) };
  }
  const served = plan.routes.flatMap((r) => r.stops.map((s) => s.pickupPoint));
  return { field: "pickupPointId", sites: [...served, ...plan.unservedStops.map((u) => u.pickupPoint)] };
}

/** Move a stop (or an unserved site) to a route and place; ``redraw(plan)`` shows the answer. */
export function moveForm(plan, redraw) {
  const { field, sites } = planSites(plan);
  const form = el("form", { id: "stop-move", class: "inline" },
    el("label", {}, "Stop", el("select", { name: field },
      sites.filter(Boolean).map((p) => el("option", { value: p.id }, p.name)))),
    el("label", {}, "To route", el("select", { name: "toRouteId" },
      plan.routes.map((r) => el("option", { value: r.id }, `Route ${r.number}`)))),
    el("label", {}, "Position", el("input", { name: "position", type: "number", min: 1, value: 1, required: true })),
    el("button", { type: "submit" }, "Move stop"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const input = { planId: plan.id, version: plan.version, ...values(form) };
      const { routePlanStopMove: result } = await gql(MOVE, { input });
      if (result.userErrors.length) return showUserErrors(form, result.userErrors);
      await redraw(result.routePlan);
      notice(document.querySelector("#stop-move"), `Move accepted (version ${result.routePlan.version}).`);
    });
  });
  return el("section", {}, el("h2", {}, "Move a stop"), form);
}

/** A stop's lock toggle (a draft's table cell; a pickup point's stop, or a
 * trunk plan's grid); ``redraw(plan)`` shows the answer. */
export function lockForm(plan, stop, redraw) {
  const form = el("form", { class: "lock" },
    el("button", { type: "submit" }, stop.locked ? "Unlock" : "Lock"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const site = stop.gridWarehouse ? { gridIds: [stop.gridWarehouse.id] } : { pickupPointIds: [stop.pickupPoint.id] };
      const input = { planId: plan.id, version: plan.version, ...site, locked: !stop.locked };
      const { routePlanStopLock: r } = await gql(LOCK, { input });
      if (r.userErrors.length) return showUserErrors(form, r.userErrors);
      await redraw(r.routePlan);
    });
  });
  return form;
}

/** Re-plan a draft around its locked stops; ``open(id)`` shows the new plan once its job ends. */
export function reoptimizeForm(plan, open) {
  const progress = el("div", { id: "reoptimize-progress" });
  const form = el("form", { id: "plan-reoptimize", class: "inline" },
    el("label", {}, "Time limit (s)", el("input", { name: "timeLimitSeconds", type: "number", min: 1, value: 5 })),
    el("button", { type: "submit" }, "Re-optimise around locked stops"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const input = { planId: plan.id, version: plan.version, ...values(form) };
      const { routePlanReoptimize: r } = await gql(REOPTIMIZE, { input });
      if (r.userErrors.length) return showUserErrors(form, r.userErrors);
      const job = await watchJob(r.job.id, progress);
      if (job.status !== "SUCCEEDED") return progress.append(el("p", { class: "form-error" }, job.error || job.status));
      await open(r.routePlan.id);
    });
  });
  return el("section", {}, el("h2", {}, "Re-optimise"), form, progress);
}
