// A published plan's drivers: each route with the driver the dispatcher gave
// it (or none), a choice of the active drivers, Assign and Unassign. Drivers
// then find their routes on their own page (myRoutes).
import { busy, notice, showUserErrors } from "./forms.js";
import { el, gql } from "./graphql.js";
import { hhmm } from "./format.js";

const DRIVERS = `{ users(role: DRIVER, first: 100) { nodes { id name phone disabledAt } } }`;
const ASSIGN = `mutation($input: RouteDriverAssignInput!) { routeDriverAssign(input: $input) {
  route { id driver { id name } } userErrors { field code message } } }`;

/** The "Drivers" section of a published plan: one row per route. */
export async function routeDrivers(plan) {
  const { users } = await gql(DRIVERS);
  const drivers = users.nodes.filter((d) => !d.disabledAt);
  const rows = plan.routes.map((route) => driverRow(route, drivers));
  return el("section", { id: "route-drivers" },
    el("h2", {}, "Drivers"),
    drivers.length ? "" : el("p", { class: "empty" }, "No active driver accounts."),
    el("table", {},
      el("thead", {}, el("tr", {}, ["Route", "Driver", "Assign"].map((h) => el("th", {}, h)))),
      el("tbody", {}, rows)));
}

function driverRow(route, drivers) {
  const current = el("td", { class: "driver" });
  const show = (driver) => {
    current.textContent = driver?.name ?? "No driver";
    current.classList.toggle("empty", !driver);
    form.driverId.value = driver?.id ?? "";
  };
  const form = el("form", { class: "driver-assign inline" },
    el("label", {}, "Driver",
      el("select", { name: "driverId" },
        el("option", { value: "" }, "— choose —"),
        drivers.map((d) => el("option", { value: d.id }, d.phone ? `${d.name} · ${d.phone}` : d.name)))),
    el("button", { type: "submit", value: "assign" }, "Assign"), " ",
    el("button", { type: "submit", value: "unassign" }, "Unassign"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const unassign = event.submitter?.value === "unassign";
    if (!unassign && !form.driverId.value) {
      return showUserErrors(form, [{ field: ["driverId"], code: "REQUIRED", message: "Choose a driver." }]);
    }
    await busy(form, async () => {
      const input = { routeId: route.id, driverId: unassign ? null : form.driverId.value };
      const { routeDriverAssign: r } = await gql(ASSIGN, { input });
      if (r.userErrors.length) return showUserErrors(form, r.userErrors);
      show(r.route.driver);
      notice(form, r.route.driver ? `Assigned to ${r.route.driver.name}.` : "Unassigned.");
    });
  });
  show(route.driver);
  return el("tr", { class: "route-driver", "data-number": route.number, "data-id": route.id },
    el("td", {}, `Route ${route.number}: ${route.vehicleType?.name ?? ""} #${route.vehicleNumber} · ` +
      `${hhmm(route.departureAt)}`),
    current,
    el("td", {}, form));
}
