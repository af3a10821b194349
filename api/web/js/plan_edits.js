// The dispatcher's work on a plan besides moving stops: reopen a date's
// earlier plans, lock or unlock a stop, re-optimise around the locked stops
// (a new plan, with the job's progress). Drivers of a published plan: route_drivers.js.
import { busy, showUserErrors, values } from "./forms.js";
import { el, gql } from "./graphql.js";
import { hhmm } from "./format.js";
import { watchJob } from "./jobs.js";

export const PLAN_FIELDS = `id status version deliveryDate km costFen vehiclesUsed stopCount
  kind trunkReadyAt downloadUrls { mapSvg } parent { id } warehouse { id name }
  trunkStops { routeNumber position arrivalAt serviceStartAt departureAt weightG handlingUnits
    gridWarehouse { name } }
  unservedGrids { reason weightG handlingUnits gridWarehouse { name } }
  routes { id number vehicleNumber vehicleType { name } departureAt returnAt km weightG totes
    downloadUrls { csv pdf loadingPdf } driver { id name }
    stops { position arrivalAt serviceStartAt departureAt weightG totes loadWeightGAfter locked
      pickupPoint { id name } } }
  unservedStops { reason weightG totes pickupPoint { id name } }`;
const PLANS = `query($w: ID!, $d: Date!) { routePlans(warehouseId: $w, deliveryDate: $d, first: 100) {
  nodes { id kind status version createdAt km vehiclesUsed stopCount parent { id } } } }`;
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

/** A stop's lock toggle (a draft's table cell); ``redraw(plan)`` shows the answer. */
export function lockForm(plan, stop, redraw) {
  const form = el("form", { class: "lock" },
    el("button", { type: "submit" }, stop.locked ? "Unlock" : "Lock"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const input = { planId: plan.id, version: plan.version, pickupPointIds: [stop.pickupPoint.id], locked: !stop.locked };
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
