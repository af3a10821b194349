// Operator: the two-tier network (docs/network.md). Pick a central warehouse
// (中心仓) and see its grid warehouses (网格仓: fee per piece, the trunk's
// receiving window, service radius, the points each serves); make another
// warehouse a grid of it, or change a grid's terms from the version the page
// showed (gridWarehouseSet: an edit over someone else's is refused as STALE,
// with a reload beside it). The fee is typed in yuan and sent in whole fen,
// converted from the text, never through a float. Below, the points the
// central serves directly with the grid proposed for each (network_points.js).
// Errors are shown in Chinese (i18n.js) beside the input they name.
import { busy, showUserErrors } from "./forms.js";
import { el, gql } from "./graphql.js";
import { yuan } from "./format.js";
import { zh } from "./i18n.js";
import { directForm, km, loadDirect, releaseForm } from "./network_points.js";

const WAREHOUSES = `{ warehouses(first: 100) { nodes { id name } } }`;
const GRID = `warehouse { id name } pieceFeeFen receivingWindow { start end } serviceRadiusM version pointCount
  pickupPoints { id name }`;
// One root field per request: several in one fail on the server (see leader.js).
const GRIDS = `query($c: ID!) { gridWarehouses(centralId: $c) { ${GRID} } }`;
const SET = `mutation($input: GridWarehouseSetInput!) { gridWarehouseSet(input: $input) {
  grid { version } userErrors { field code message } } }`;

/** Fill ``box`` (section#network) with the central picker and the chosen central's network. */
export async function drawNetwork(box) {
  const { warehouses } = await gql(WAREHOUSES);
  box.replaceChildren(el("h2", {}, "网络 Network"));
  if (!warehouses.nodes.length) {
    box.append(el("p", { class: "empty" }, "还没有仓库 No warehouses yet."));
    return;
  }
  const body = el("div", { id: "network-central" });
  const picker = el("select", { name: "centralId" },
    warehouses.nodes.map((w) => el("option", { value: w.id }, w.name)));
  const central = () => warehouses.nodes.find((w) => w.id === picker.value);
  picker.addEventListener("change", () => {
    if (picker.value !== body.dataset.central) drawCentral(body, central(), warehouses.nodes);
  });
  box.append(el("p", {}, el("label", {}, "中心仓 Central warehouse", picker)), body);
  await drawCentral(body, central(), warehouses.nodes);
}

/** The central's grids, the form to add one, its directly served points;
 * ``message`` (what was just done) above them. */
async function drawCentral(body, central, warehouses, message = "") {
  body.dataset.central = central.id;
  const grids = await loadGrids(central);
  const direct = await loadDirect(central.id);
  if (body.dataset.central !== central.id) return; // another central was picked meanwhile
  const redraw = (done) => drawCentral(body, central, warehouses, done);
  const gridsBox = el("div", { class: "grids" });
  const refreshGrids = async () => drawGrids(gridsBox, central, await loadGrids(central), redraw);
  drawGrids(gridsBox, central, grids, redraw);
  const taken = new Set([central.id, ...grids.map((g) => g.warehouse.id)]);
  body.replaceChildren(
    message ? el("p", { class: "notice", role: "status" }, message) : "",
    el("h3", {}, `${central.name} 的网格仓 Grid warehouses`), gridsBox,
    createForm(central, warehouses.filter((w) => !taken.has(w.id)), redraw),
    el("h3", {}, `中心仓直送的自提点 Points served directly (${direct.length})`),
    directForm(direct, grids, { redraw, refreshGrids }));
}

async function loadGrids(central) {
  const { gridWarehouses } = await gql(GRIDS, { c: central.id });
  return gridWarehouses;
}

function drawGrids(box, central, grids, redraw) {
  box.replaceChildren(...(grids.length
    ? grids.map((g) => gridRow(g, central, redraw))
    : [el("p", { class: "empty" }, "还没有网格仓：所有自提点由中心仓直送。")]));
}

const hm = (t) => String(t).slice(0, 5);

/** "¥0.12/件 · 收货 01:00–04:00 · 半径 5.0 公里 · 2 个自提点" */
const describe = (g) => `¥${yuan(g.pieceFeeFen)}/件 · 收货 ${hm(g.receivingWindow.start)}–` +
  `${hm(g.receivingWindow.end)} · 半径 ${km(g.serviceRadiusM)} · ${g.pointCount} 个自提点`;

function gridRow(grid, central, redraw) {
  const edit = termsForm("grid-terms", grid, "保存 Save");
  edit.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = { warehouseId: grid.warehouse.id, expectedVersion: grid.version };
    await save(edit, central, input, () => redraw(`已保存 ${grid.warehouse.name} 的设置。`), redraw);
  });
  return el("article", { class: "grid", "data-id": grid.warehouse.id, "data-version": grid.version },
    el("h4", {}, grid.warehouse.name, " ", el("small", { class: "version" }, `v${grid.version}`)),
    el("p", { class: "summary" }, describe(grid)),
    edit,
    grid.pickupPoints.length ? releaseForm(grid, redraw) : "");
}

function createForm(central, candidates, redraw) {
  const blank = { pieceFeeFen: "", receivingWindow: { start: "01:00", end: "04:00" }, serviceRadiusM: 5000 };
  const form = termsForm("grid-create", blank, "设为网格仓 Make a grid",
    el("label", {}, "仓库 Warehouse", el("select", { name: "warehouseId" },
      el("option", { value: "" }, "请选择 Choose…"),
      candidates.map((w) => el("option", { value: w.id }, w.name)))));
  form.prepend(el("h4", {}, `新网格仓 New grid of ${central.name}`));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const warehouseId = form.warehouseId.value;
    if (!warehouseId) {
      showUserErrors(form, [local("REQUIRED", "warehouseId", "Choose the warehouse to make a grid.")], zh);
      return;
    }
    const name = form.warehouseId.selectedOptions[0].textContent;
    await save(form, central, { warehouseId }, () => redraw(`${name} 已成为 ${central.name} 的网格仓。`), redraw);
  });
  return form;
}

/** The terms' inputs, named as the API's fields so an error lands beside its input. */
function termsForm(kind, terms, submit, ...first) {
  const w = terms.receivingWindow;
  const fee = terms.pieceFeeFen === "" ? "" : yuan(terms.pieceFeeFen);
  return el("form", { class: kind, novalidate: true }, ...first,
    el("label", {}, "每件费用（元） Fee per piece (yuan)",
      el("input", { name: "pieceFeeFen", inputmode: "decimal", value: fee, placeholder: "0.12" })),
    el("fieldset", { name: "receivingWindow" }, el("legend", {}, "干线收货时间 Trunk receiving window"),
      el("label", {}, "从 From", el("input", { name: "receivingWindow.start", type: "time", value: hm(w.start) })),
      el("label", {}, "到 Until", el("input", { name: "receivingWindow.end", type: "time", value: hm(w.end) }))),
    el("label", {}, "服务半径（米） Service radius (metres)",
      el("input", { name: "serviceRadiusM", inputmode: "numeric", value: terms.serviceRadiusM })),
    el("button", { type: "submit" }, submit));
}

/** Send the form's terms with ``input`` (warehouseId, expectedVersion when editing). */
async function save(form, central, input, saved, redraw) {
  const { terms, errors } = readTerms(form);
  if (errors.length) {
    showUserErrors(form, errors, zh);
    return;
  }
  await busy(form, async () => {
    const { gridWarehouseSet: r } = await gql(SET, { input: { ...input, centralId: central.id, ...terms } });
    if (!r.userErrors.length) return saved();
    showUserErrors(form, r.userErrors, zh);
    form.querySelector(".form-error[data-code=STALE]")
      ?.append(" ", el("button", { type: "button", class: "reload", onclick: () => redraw() }, "刷新 Reload"));
  });
}

/** A userError found before sending, worded like the API's. */
const local = (code, field, message) => ({ code, field: [field], message });

/** The terms typed, or the errors to show beside their inputs. */
function readTerms(form) {
  const errors = [];
  const fee = toFen(form.pieceFeeFen.value);
  if (fee === null) errors.push(local("INVALID", "pieceFeeFen", "Type the fee in yuan, at most two decimals."));
  const start = form["receivingWindow.start"].value;
  const end = form["receivingWindow.end"].value;
  if (!start || !end) errors.push(local("REQUIRED", "receivingWindow", "Type when the trunk may arrive."));
  const radius = form.serviceRadiusM.value.trim();
  if (!/^\d{1,9}$/.test(radius)) errors.push(local("INVALID", "serviceRadiusM", "Type the radius in whole metres."));
  const terms = { pieceFeeFen: fee, receivingWindow: { start, end }, serviceRadiusM: Number(radius) };
  return { terms, errors };
}

/** Yuan as typed ("12", "0.5", "-1.20") to whole fen, from the digits, never
 * through a float (0.29 × 100 is 28.999… in floating point); null when it is
 * not an amount with at most two decimals. */
export function toFen(text) {
  const match = /^([-+]?)(\d{0,7})(?:\.(\d{0,2}))?$/.exec(text.trim().replace("¥", ""));
  if (!match || (match[2] === "" && !match[3])) return null;
  const [, sign, whole, cents = ""] = match;
  const fen = Number(whole || "0") * 100 + Number(cents.padEnd(2, "0"));
  return sign === "-" ? -fen : fen;
}
