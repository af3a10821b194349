// Operator (desk): leader applications, campaigns and their items, the
// night's jobs (cutoff, consolidation, sorting), settlement, the jobs this
// page started, staff accounts, and the two-tier network (network.js).
import { busy, notice, showUserErrors, values } from "./forms.js";
import { el, gql } from "./graphql.js";
import { hhmm, shanghai, tomorrow, yuan } from "./format.js";
import { copyForm } from "./operator_copy.js";
import { itemFieldset, itemInputs, itemsAddForm } from "./operator_items.js";
import { jobButton, settlementForm } from "./operator_jobs.js";
import { drawStaff } from "./operator_staff.js";
import { drawConsole } from "./operator_console.js";
import { drawReports } from "./reports.js";
import { drawCatalogue } from "./catalogue.js";
import { drawAfterSale } from "./operator_after_sale.js";
import { drawHelpers } from "./operator_helpers.js";
import { drawPayouts } from "./operator_payouts.js";
import { drawPoints } from "./operator_points.js";
import { drawFleet } from "./fleet.js";
import { drawNetwork } from "./network.js";

const PENDING = `{ leaders(first: 100, status: PENDING) { nodes { id appliedAt user { name }
  pickupPoint { name address contactPhone } } } }`;
const DECIDE = {
  approve: `mutation($input: LeaderIdInput!) { leaderApprove(input: $input) {
    leader { status } userErrors { field code message } } }`,
  reject: `mutation($input: LeaderReasonInput!) { leaderReject(input: $input) {
    leader { status } userErrors { field code message } } }`,
};
// One root field per request: several in one fail on the server (see leader.js).
const WAREHOUSES = `{ warehouses(first: 100) { nodes { id name } } }`;
const PRODUCTS = `{ products(first: 100) { nodes { id name unit } } }`;
const CAMPAIGNS = `{ campaigns(first: 100) { nodes { id deliveryDate status cutoffAt warehouse { id name }
  items { groupPriceFen product { name } } } } }`;
const CREATE = `mutation($input: CampaignCreateInput!) { campaignCreate(input: $input) {
  campaign { id } userErrors { field code message } } }`;
const CUTOFF = `mutation($input: CampaignCutoffInput!) { campaignCutoff(input: $input) {
  job { id kind } userErrors { field code message } } }`;
const CONSOLIDATE = `mutation($input: PurchaseOrdersConsolidateInput!) { purchaseOrdersConsolidate(input: $input) {
  job { id kind } userErrors { field code message } } }`;
const SORT = `mutation($input: SortingRunInput!) { sortingRun(input: $input) {
  job { id kind } userErrors { field code message } } }`;

export async function render(view) {
  const jobs = el("section", { id: "jobs" }, el("h2", {}, "Jobs"));
  const campaigns = el("section", { id: "campaigns" });
  const leaders = el("section", { id: "leaders" });
  const helpers = el("section", { id: "helpers" });
  const afterSale = el("section", { id: "after-sale" });
  const staff = el("section", { id: "staff" });
  const jobConsole = el("section", { id: "console" });
  const reports = el("section", { id: "reports" });
  const catalogue = el("section", { id: "catalogue" });
  const payouts = el("section", { id: "payouts" });
  const points = el("section", { id: "points" });
  const fleet = el("section", { id: "fleet" });
  const network = el("section", { id: "network" });
  const { products } = await gql(PRODUCTS);
  const draw = () => drawCampaigns(campaigns, jobs, products.nodes);
  view.append(el("h1", {}, "Operations"), leaders, helpers, afterSale, await campaignForm(products.nodes, draw), campaigns,
    settlementForm(jobs), payouts, jobs, jobConsole, staff, reports, catalogue, points, fleet, network);
  await drawLeaders(leaders);
  await drawHelpers(helpers);
  await drawAfterSale(afterSale);
  await drawPayouts(payouts);
  await draw();
  await drawConsole(jobConsole);
  await drawStaff(staff);
  await drawReports(reports);
  await drawCatalogue(catalogue);
  await drawPoints(points);
  await drawFleet(fleet);
  await drawNetwork(network);
}

async function drawLeaders(box) {
  const { leaders } = await gql(PENDING);
  box.replaceChildren(el("h2", {}, "Leader applications"));
  if (!leaders.nodes.length) box.append(el("p", { class: "empty" }, "No applications waiting."));
  for (const leader of leaders.nodes) {
    const form = el("form", { class: "inline leader", "data-id": leader.id },
      el("span", {}, `${leader.user?.name ?? "?"} · ${leader.pickupPoint?.name ?? ""}, `,
        `${leader.pickupPoint?.address ?? ""} · ${leader.pickupPoint?.contactPhone ?? ""}`),
      el("label", {}, "Reason (to reject)", el("input", { name: "reason" })),
      el("button", { type: "submit", value: "approve" }, "Approve"),
      el("button", { type: "submit", value: "reject" }, "Reject"));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const action = event.submitter.value;
      await busy(form, async () => {
        const input = action === "approve" ? { id: leader.id } : { id: leader.id, reason: form.reason.value };
        const data = await gql(DECIDE[action], { input });
        const result = Object.values(data)[0];
        if (result.userErrors.length) return showUserErrors(form, result.userErrors);
        form.replaceChildren(el("span", { class: "decided" }, `${leader.user?.name ?? ""}: ${result.leader.status}`));
      });
    });
    box.append(form);
  }
}

async function campaignForm(products, drawCampaigns) {
  const { warehouses } = await gql(WAREHOUSES);
  const items = el("div", { class: "items" });
  const addItem = () => items.append(itemFieldset(products, items.children.length));
  addItem();
  const form = el("form", { id: "campaign-create" },
    el("h2", {}, "New campaign"),
    el("label", {}, "Warehouse", el("select", { name: "warehouseId" },
      warehouses.nodes.map((w) => el("option", { value: w.id }, w.name)))),
    el("label", {}, "Delivery date", el("input", { name: "deliveryDate", type: "date", value: tomorrow(), required: true })),
    el("label", {}, "Opens at (Beijing time)", el("input", { name: "opensAt", type: "datetime-local", required: true })),
    el("label", {}, "Cutoff at (Beijing time)", el("input", { name: "cutoffAt", type: "datetime-local", required: true })),
    el("label", {}, "Pickup from", el("input", { name: "pickupWindow.start", type: "time", value: "16:00", required: true })),
    el("label", {}, "Pickup until", el("input", { name: "pickupWindow.end", type: "time", value: "20:00", required: true })),
    items,
    el("button", { type: "button", onclick: addItem }, "Add item"),
    el("button", { type: "submit" }, "Create campaign"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const v = values(form);
      const input = {
        warehouseId: v.warehouseId,
        deliveryDate: v.deliveryDate,
        opensAt: shanghai(v.opensAt),
        cutoffAt: shanghai(v.cutoffAt),
        pickupWindow: { start: v["pickupWindow.start"], end: v["pickupWindow.end"] },
        items: itemInputs(form, items),
      };
      const { campaignCreate: r } = await gql(CREATE, { input });
      if (r.userErrors.length) return showUserErrors(form, r.userErrors);
      notice(form, "Campaign created.");
      await drawCampaigns();
    });
  });
  return form;
}

async function drawCampaigns(box, jobs, products) {
  const { campaigns } = await gql(CAMPAIGNS);
  const redraw = () => drawCampaigns(box, jobs, products);
  const action = (label, mutation, input, c) =>
    jobButton(jobs, label, mutation, input, { title: `${label} ${c.deliveryDate}`, after: redraw });
  box.replaceChildren(el("h2", {}, "Campaigns"), el("table", {},
    el("thead", {}, el("tr", {}, ["Delivery", "Warehouse", "Status", "Cutoff", "Items", ""].map((h) => el("th", {}, h)))),
    el("tbody", {}, campaigns.nodes.map((c) => {
      const day = { warehouseId: c.warehouse?.id, deliveryDate: c.deliveryDate };
      return el("tr", { class: "campaign", "data-id": c.id },
        el("td", {}, c.deliveryDate),
        el("td", {}, c.warehouse?.name ?? ""),
        el("td", { class: "status" }, c.status),
        el("td", {}, hhmm(c.cutoffAt)),
        el("td", { class: "items" }, c.items.map((i) => `${i.product?.name ?? "?"} ¥${yuan(i.groupPriceFen)}`).join(", "),
          c.status === "CLOSED" ? "" : itemsAddForm(c, products, redraw)),
        el("td", {},
          c.status === "CLOSED" ? "" : action("Cut off now", CUTOFF, { id: c.id, early: true }, c),
          " ",
          action("Consolidate POs", CONSOLIDATE, day, c),
          " ",
          action("Run sorting", SORT, day, c),
          copyForm(c, redraw)));
    }))));
}
