// The fleet: each warehouse's vehicle types. Operators add a type
// (vehicleTypeCreate) and edit one in place (vehicleTypeUpdate) from the
// version the page showed, so an edit over someone else's is refused (STALE)
// and the form offers a reload. Dispatchers read the fleet they plan with
// (the mutations are the operators': docs/setup-editing.md). Costs are typed
// in yuan and sent in fen; the inputs carry the API's field names so an
// error lands beside its field.
import { busy, notice, showUserErrors, values } from "./forms.js";
import { el, gql } from "./graphql.js";
import { yuan } from "./format.js";

const FIELDS = "id name capacityKg capacityTotes count fixedCostFen costPerKmFen shiftStart maxShiftMinutes version";
const WAREHOUSES = `{ warehouses(first: 100) { nodes { id name } } }`;
const FLEET = `query($id: ID!) { fleet(warehouseId: $id) { vehicleTypes { ${FIELDS} } } }`;
const PAYLOAD = `vehicleType { ${FIELDS} } userErrors { field code message }`;
const CREATE = `mutation($input: VehicleTypeCreateInput!) { vehicleTypeCreate(input: $input) { ${PAYLOAD} } }`;
const UPDATE = `mutation($input: VehicleTypeUpdateInput!) { vehicleTypeUpdate(input: $input) { ${PAYLOAD} } }`;
const NUMBERS = ["capacityKg", "capacityTotes", "count", "maxShiftMinutes"];

/** Fill ``box`` (section#fleet) with each warehouse's vehicle types; forms if ``editable``. */
export async function drawFleet(box, { editable = true } = {}) {
  const { warehouses } = await gql(WAREHOUSES);
  box.replaceChildren(el("h2", {}, "Fleet"));
  if (!warehouses.nodes.length) box.append(el("p", { class: "empty" }, "No warehouses yet."));
  // One root field per request: several in one fail on the server (see leader.js).
  for (const warehouse of warehouses.nodes) {
    const part = el("div", { class: "warehouse-fleet", "data-id": warehouse.id });
    box.append(part);
    await drawWarehouse(part, warehouse, editable);
  }
}

async function drawWarehouse(box, warehouse, editable) {
  const { fleet } = await gql(FLEET, { id: warehouse.id });
  const redraw = () => drawWarehouse(box, warehouse, editable);
  const types = fleet.vehicleTypes;
  box.replaceChildren(el("h3", {}, warehouse.name),
    types.length ? el("div", { class: "vehicle-types" }, types.map((t) => typeRow(t, editable, redraw)))
      : el("p", { class: "empty" }, "No vehicle types yet."),
    editable ? createForm(warehouse, redraw) : "");
}

const describe = (t) => `${t.count} × ${t.capacityKg} kg / ${t.capacityTotes} totes · ` +
  `¥${yuan(t.fixedCostFen)} a day + ¥${yuan(t.costPerKmFen)}/km · shift ${t.shiftStart.slice(0, 5)}, ` +
  `at most ${t.maxShiftMinutes} min`;

function typeRow(type, editable, redraw) {
  const row = el("article", { class: "vehicle-type", "data-id": type.id, "data-version": type.version },
    el("h4", {}, type.name, " ", el("small", { class: "version" }, `v${type.version}`)),
    el("p", { class: "summary" }, describe(type)));
  if (!editable) return row;
  const form = typeForm("vehicle-type-edit", type, "Save");
  row.append(form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const input = { id: type.id, expectedVersion: type.version, ...typeInput(form) };
      const { vehicleTypeUpdate: result } = await gql(UPDATE, { input });
      if (result.userErrors.length) return showErrors(form, result.userErrors, redraw);
      const fresh = typeRow(result.vehicleType, editable, redraw);
      row.replaceWith(fresh);
      notice(fresh.querySelector("form.vehicle-type-edit"), "Saved.");
    });
  });
  return row;
}

function createForm(warehouse, redraw) {
  const blank = { name: "", capacityKg: "", capacityTotes: "", count: 1, fixedCostFen: "", costPerKmFen: "",
    shiftStart: "06:00", maxShiftMinutes: 480 };
  const form = typeForm("vehicle-type-create", blank, "Add vehicle type");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const input = { warehouseId: warehouse.id, ...typeInput(form) };
      const { vehicleTypeCreate: result } = await gql(CREATE, { input });
      if (result.userErrors.length) return showUserErrors(form, result.userErrors);
      await redraw();
    });
  });
  return form;
}

function typeForm(kind, t, submit) {
  const money = (fen) => (fen === "" ? "" : yuan(fen));
  const number = (name, label, value) =>
    el("label", {}, label, el("input", { name, type: "number", min: "0", value, required: true }));
  return el("form", { class: kind },
    el("label", {}, "Name", el("input", { name: "name", value: t.name, required: true, maxlength: 100 })),
    number("capacityKg", "Capacity (kg)", t.capacityKg),
    number("capacityTotes", "Capacity (totes)", t.capacityTotes),
    number("count", "Count", t.count),
    el("label", {}, "Fixed cost a day (yuan)", el("input", { name: "fixedCostFen", type: "number", step: "0.01",
      min: "0", value: money(t.fixedCostFen), required: true })),
    el("label", {}, "Cost per km (yuan)", el("input", { name: "costPerKmFen", type: "number", step: "0.01",
      min: "0", value: money(t.costPerKmFen), required: true })),
    el("label", {}, "Shift starts", el("input", { name: "shiftStart", type: "time",
      value: String(t.shiftStart).slice(0, 5), required: true })),
    number("maxShiftMinutes", "Longest shift (minutes)", t.maxShiftMinutes),
    el("button", { type: "submit" }, submit));
}

function typeInput(form) {
  const v = values(form);
  const input = { name: v.name ?? "", shiftStart: v.shiftStart,
    fixedCostFen: Math.round(Number(v.fixedCostFen ?? 0) * 100),
    costPerKmFen: Math.round(Number(v.costPerKmFen ?? 0) * 100) };
  for (const name of NUMBERS) input[name] = v[name] ?? 0;
  return input;
}

function showErrors(form, userErrors, redraw) {
  showUserErrors(form, userErrors);
  if (!userErrors.some((e) => e.code === "STALE")) return;
  form.querySelector(".form-error[data-code=STALE]")
    ?.append(" ", el("button", { type: "button", class: "reload", onclick: redraw }, "Reload"));
}
