// Dispatcher (desk): plan a day's routes, watch the solver, edit, publish,
// give each route to a driver, print; a central's day with both tiers in
// one picture (its trunk routes and every grid's vans).
import { blobUrl, openFile } from "./downloads.js";
import { busy, showUserErrors, values } from "./forms.js";
import { el, gql } from "./graphql.js";
import { hhmm, kg, tomorrow } from "./format.js";
import { watchJob } from "./jobs.js";
import { PLAN_FIELDS, drawPlanList, lockForm, moveForm, reoptimizeForm } from "./plan_edits.js";
import { routeDrivers } from "./route_drivers.js";
import { drawFleet } from "./fleet.js";
import { trunkReadiness, trunkTable } from "./trunk.js";

const WAREHOUSES = `{ warehouses(first: 100) { nodes { id name } } }`;
const CREATE = `mutation($input: RoutePlanCreateInput!) { routePlanCreate(input: $input) {
  routePlan { id } job { id } userErrors { field code message } } }`;
const PLAN = `query($id: ID!) { node(id: $id) { ... on RoutePlan { ${PLAN_FIELDS} } } }`;
const NETWORK = `query($c: ID!, $d: Date!) { networkDownloadUrls(centralId: $c, deliveryDate: $d) { mapSvg } }`;
const PUBLISH = `mutation($input: RoutePlanPublishInput!) { routePlanPublish(input: $input) {
  routePlan { ${PLAN_FIELDS} } userErrors { field code message } } }`;

export async function render(view) {
  const { warehouses } = await gql(WAREHOUSES);
  const progress = el("div", { id: "job-progress" });
  const planBox = el("section", { id: "plan" });
  const form = el(
    "form",
    { id: "plan-create", class: "inline" },
    el("label", {}, "Warehouse",
      el("select", { name: "warehouseId" },
        warehouses.nodes.map((w) => el("option", { value: w.id }, w.name)))),
    el("label", {}, "Delivery date", el("input", { name: "deliveryDate", type: "date", value: tomorrow(), required: true })),
    el("label", {}, "Time limit (s)", el("input", { name: "timeLimitSeconds", type: "number", value: 5 })),
    el("label", {}, "Plan", el("select", { name: "kind" },
      el("option", { value: "DELIVERY" }, "Deliveries to pickup points"),
      el("option", { value: "TRUNK" }, "Trunk: central to its grid warehouses"))),
    el("button", { type: "submit" }, "Plan routes"),
    el("button", { type: "button", id: "plans-show", onclick: () =>
      drawPlanList(plans, form.warehouseId.value, form.deliveryDate.value, (id) => showPlan(planBox, id)) },
    "Earlier plans"),
    el("button", { type: "button", id: "network-map", onclick: () =>
      busy(form, () => showNetwork(network, form.warehouseId.value, form.deliveryDate.value)) },
    "Both tiers (map)"),
  );
  const network = el("section", { id: "network" });
  const plans = el("section", { id: "plans" });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const { routePlanCreate: result } = await gql(CREATE, { input: values(form) });
      showUserErrors(form, result.userErrors);
      if (result.userErrors.length) return;
      const job = await watchJob(result.job.id, progress);
      await showPlan(planBox, result.routePlan.id);
      if (job.status !== "SUCCEEDED") progress.append(el("p", { class: "form-error" }, job.error || job.status));
    });
  });
  const fleet = el("section", { id: "fleet" });
  view.append(el("h1", {}, "Route planning"), form, plans, network, progress, planBox, fleet);
  await drawFleet(fleet, { editable: false }); // the fleet's mutations are the operators'
}

/** A central's day: its trunk routes (dashed) over every grid's van routes. */
async function showNetwork(box, centralId, deliveryDate) {
  const { networkDownloadUrls: urls } = await gql(NETWORK, { c: centralId, d: deliveryDate });
  const src = await blobUrl(urls.mapSvg);
  box.replaceChildren(el("h2", {}, `Trunk and van routes ${deliveryDate}`),
    el("img", { class: "map", id: "network-map-img", alt: "Trunk and van routes", src }),
    el("p", {}, el("button", { type: "button", onclick: () => openFile(urls.mapSvg) }, "Open the picture (SVG)")));
}

async function showPlan(box, id) {
  const { node } = await gql(PLAN, { id });
  await drawPlan(box, node);
}

async function drawPlan(box, plan) {
  const map = el("img", { class: "map", alt: "Route map" });
  const trunk = plan.kind === "TRUNK";
  const editable = plan.status === "DRAFT"; // a trunk plan's grids move and lock like pickup points
  const redraw = (changed) => drawPlan(box, changed);
  box.replaceChildren(
    el("h2", {}, trunk ? "Trunk plan " : "Plan ", plan.deliveryDate,
      plan.warehouse ? ` · ${plan.warehouse.name}` : "", plan.parent ? " (re-optimised)" : ""),
    el("p", { id: "plan-summary" },
      `Status ${plan.status} · version ${plan.version} · ${plan.vehiclesUsed} vehicles · ` +
      `${plan.stopCount} stops · ${plan.km.toFixed(1)} km · ¥${(plan.costFen / 100).toFixed(2)}`),
    trunkReadiness(plan),
    map,
    trunk ? trunkTable(plan, redraw) : routesTable(plan, redraw),
    trunk ? "" : unservedTable(plan),
    editable ? moveForm(plan, redraw) : "",
    editable ? reoptimizeForm(plan, (id) => showPlan(box, id)) : "",
    plan.status === "DRAFT" ? publishForm(box, plan) : "",
    plan.status === "PUBLISHED" ? await routeDrivers(plan) : "",
  );
  if (plan.status !== "PLANNING" && plan.status !== "FAILED") map.src = await blobUrl(plan.downloadUrls.mapSvg);
}

function routesTable(plan, redraw) {
  const draft = plan.status === "DRAFT";
  const head = el("tr", {}, ["#", "Pickup point", "Arrival", "Service", "Departure", "kg", "Totes", "kg on board after", "Locked"]
    .map((h) => el("th", {}, h)));
  const body = plan.routes.flatMap((route) => [
    el("tr", { class: "route" },
      el("th", { colspan: 9 },
        `Route ${route.number}: ${route.vehicleType?.name ?? ""} #${route.vehicleNumber} · ` +
        `${hhmm(route.departureAt)}–${hhmm(route.returnAt)} · ${route.km.toFixed(1)} km · ` +
        `${kg(route.weightG)} kg · ${route.totes} totes `,
        el("button", { type: "button", onclick: () => openFile(route.downloadUrls.pdf) }, "Print sheet"),
        " ",
        el("button", { type: "button", onclick: () => openFile(route.downloadUrls.loadingPdf) }, "Loading detail"),
        " ",
        el("button", { type: "button", onclick: () => openFile(route.downloadUrls.csv) }, "CSV"))),
    ...route.stops.map((stop) =>
      el("tr", { class: "stop" },
        el("td", {}, stop.position),
        el("td", {}, stop.pickupPoint?.name ?? "?"),
        el("td", {}, hhmm(stop.arrivalAt)),
        el("td", {}, hhmm(stop.serviceStartAt)),
        el("td", {}, hhmm(stop.departureAt)),
        el("td", { class: "num" }, kg(stop.weightG)),
        el("td", { class: "num" }, stop.totes),
        el("td", { class: "num" }, kg(stop.loadWeightGAfter)),
        el("td", { class: "locked" }, stop.locked ? el("span", { class: "is-locked" }, "Locked ") : "",
          draft ? lockForm(plan, stop, redraw) : ""))),
  ]);
  return el("table", { id: "routes" }, el("thead", {}, head), el("tbody", {}, body));
}

function unservedTable(plan) {
  if (!plan.unservedStops.length) return el("p", { id: "unserved" }, "Every pickup point is served.");
  return el("table", { id: "unserved" },
    el("thead", {}, el("tr", {}, ["Unserved pickup point", "Reason", "kg", "Totes"].map((h) => el("th", {}, h)))),
    el("tbody", {}, plan.unservedStops.map((u) =>
      el("tr", {}, el("td", {}, u.pickupPoint?.name ?? "?"), el("td", {}, u.reason),
        el("td", { class: "num" }, kg(u.weightG)), el("td", { class: "num" }, u.totes)))));
}

function publishForm(box, plan) {
  const form = el("form", { id: "plan-publish" }, el("button", { type: "submit" }, "Publish plan"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const { routePlanPublish: result } = await gql(PUBLISH, { input: { planId: plan.id, version: plan.version } });
      if (result.userErrors.length) return showUserErrors(form, result.userErrors);
      await drawPlan(box, result.routePlan);
    });
  });
  return form;
}
