// The points in the operator's network section (network.js). Those a
// central serves directly, each with the grid gridProposals proposes (the
// nearest whose service radius reaches it) and how far it is; accepting all
// of them or the chosen ones puts them under their grids (gridPointsAssign,
// one call per grid, each all or none), and a grid can be picked by hand for
// a point none reaches. A grid's own points are given back to the central
// (gridPointsRelease).
import { busy, showUserErrors } from "./forms.js";
import { el, gql } from "./graphql.js";
import { zh } from "./i18n.js";

const PROPOSALS = `query($c: ID!) { gridProposals(centralId: $c) { pickupPointId gridWarehouseId distanceM } }`;
const POINTS = `query($ids: [ID!]!) { nodes(ids: $ids) { ... on PickupPoint { id name address } } }`;
const ASSIGN = `mutation($input: GridPointsAssignInput!) { gridPointsAssign(input: $input) {
  grid { pointCount } userErrors { field code message } } }`;
const RELEASE = `mutation($input: GridPointsReleaseInput!) { gridPointsRelease(input: $input) {
  released userErrors { field code message } } }`;
const NODES_AT_ONCE = 100; // what nodes(ids:) takes

export const km = (metres) => `${(metres / 1000).toFixed(1)} 公里`;

const noPoints = () => ({ code: "OUT_OF_RANGE", field: ["pickupPointIds"], message: "Choose pickup points first." });

/** The points ``centralId`` serves directly, each with its proposal and the point (name, address). */
export async function loadDirect(centralId) {
  const { gridProposals } = await gql(PROPOSALS, { c: centralId });
  const points = new Map();
  for (let at = 0; at < gridProposals.length; at += NODES_AT_ONCE) {
    const ids = gridProposals.slice(at, at + NODES_AT_ONCE).map((p) => p.pickupPointId);
    const { nodes } = await gql(POINTS, { ids });
    for (const node of nodes) if (node) points.set(node.id, node);
  }
  return gridProposals.map((p) => ({ ...p, point: points.get(p.pickupPointId) }));
}

/** The directly served points as a form: accept all proposals, or the chosen rows.
 * ``redraw(message)`` draws the central again, ``refreshGrids()`` only its grids. */
export function directForm(direct, grids, { redraw, refreshGrids }) {
  const names = new Map(grids.map((g) => [g.warehouse.id, g.warehouse.name]));
  const form = el("form", { id: "grid-proposals", novalidate: true, style: "max-width: none" },
    direct.length ? el("table", {},
      el("thead", {}, el("tr", {}, ["", "自提点 Point", "建议网格仓 Proposed grid", "距离 Distance", "分配到 Assign to"]
        .map((h) => el("th", {}, h)))),
      el("tbody", {}, direct.map((d) => proposalRow(d, names, grids))))
      : el("p", { class: "empty" }, "没有中心仓直送的自提点。"),
    el("p", {},
      el("button", { type: "submit", value: "all" }, "全部接受 Accept all"), " ",
      el("button", { type: "submit", value: "chosen" }, "接受所选 Accept chosen")));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const all = event.submitter?.value === "all";
    const rows = [...form.querySelectorAll("tr.direct-point")]
      .filter((tr) => (all || tr.querySelector("input[type=checkbox]").checked) && tr.querySelector("select").value);
    if (!rows.length) return showUserErrors(form, [noPoints()], zh);
    await busy(form, () => assign(form, rows, redraw, refreshGrids));
  });
  return form;
}

function proposalRow(d, names, grids) {
  const name = d.point?.name ?? "?";
  const proposed = d.gridWarehouseId ? (names.get(d.gridWarehouseId) ?? "?") : "无 none in reach";
  return el("tr", { class: "direct-point", "data-id": d.pickupPointId },
    el("td", {}, el("input", { type: "checkbox", checked: d.gridWarehouseId !== null, "aria-label": name })),
    el("td", { class: "point" }, name, " ", el("small", {}, d.point?.address ?? "")),
    el("td", { class: "proposal" }, proposed),
    el("td", { class: "num distance" }, d.distanceM === null ? "—" : km(d.distanceM)),
    el("td", {}, el("select", { "aria-label": `${name} 分配到` },
      el("option", { value: "" }, "—"),
      grids.map((g) => el("option", { value: g.warehouse.id, selected: g.warehouse.id === d.gridWarehouseId },
        g.warehouse.name)))));
}

/** One gridPointsAssign per grid; a refusal stops there, beside the point it names. */
async function assign(form, rows, redraw, refreshGrids) {
  const byGrid = new Map();
  for (const tr of rows) {
    const grid = tr.querySelector("select").value;
    byGrid.set(grid, [...(byGrid.get(grid) ?? []), tr]);
  }
  let moved = 0;
  for (const [gridId, group] of byGrid) {
    // Named for their place in the list sent, so an error about pickupPointIds[k] lands beside it.
    for (const box of form.querySelectorAll("input[type=checkbox]")) box.removeAttribute("name");
    group.forEach((tr, k) => { tr.querySelector("input[type=checkbox]").name = `pickupPointIds.${k}`; });
    const input = { gridId, pickupPointIds: group.map((tr) => tr.dataset.id) };
    const { gridPointsAssign: r } = await gql(ASSIGN, { input });
    if (r.userErrors.length) {
      if (moved) await refreshGrids();
      showUserErrors(form, r.userErrors, zh);
      return;
    }
    moved += group.length;
    for (const tr of group) tr.remove();
  }
  await redraw(`已将 ${moved} 个自提点分配给网格仓。`);
}

/** A grid's points, to give back to its central. */
export function releaseForm(grid, redraw) {
  const form = el("form", { class: "grid-release", novalidate: true },
    el("div", { class: "grid-points" }, grid.pickupPoints.map((p) => el("p", { "data-id": p.id },
      el("label", {}, el("input", { type: "checkbox", value: p.id }), p.name)))),
    el("button", { type: "submit" }, "释放所选，改由中心仓直送 Release chosen"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const ids = [...form.querySelectorAll("input[type=checkbox]:checked")].map((box) => box.value);
    if (!ids.length) return showUserErrors(form, [noPoints()], zh);
    await busy(form, async () => {
      const { gridPointsRelease: r } = await gql(RELEASE, { input: { pickupPointIds: ids } });
      if (r.userErrors.length) return showUserErrors(form, r.userErrors, zh);
      await redraw(`已释放 ${r.released} 个自提点，改由中心仓直送。`);
    });
  });
  return form;
}
