// Operator: staff accounts. Search by name or phone, filter by role, page
// on with "More"; create an account (a supplier's names the supplier it acts
// for); disable, enable, and move staff between roles. People sign in with
// the phone and an SMS code, so no token is shown here.
import { busy, notice, showUserErrors, values } from "./forms.js";
import { el, gql } from "./graphql.js";

const FIELDS = "id name role phone disabledAt";
const PAGE = 20;
const USERS = `query($q: String, $role: UserRole, $after: String) {
  users(first: ${PAGE}, query: $q, role: $role, after: $after) {
    nodes { ${FIELDS} } pageInfo { hasNextPage endCursor } } }`;
const SUPPLIERS = `{ suppliers(first: 100) { nodes { id name } } }`;
const PAYLOAD = `user { ${FIELDS} } userErrors { field code message }`;
const CREATE = `mutation($input: UserCreateInput!) { userCreate(input: $input) { ${PAYLOAD} } }`;
const ACTIONS = {
  disable: `mutation($input: UserIdInput!) { userDisable(input: $input) { ${PAYLOAD} } }`,
  enable: `mutation($input: UserIdInput!) { userEnable(input: $input) { ${PAYLOAD} } }`,
  role: `mutation($input: UserRoleSetInput!) { userRoleSet(input: $input) { ${PAYLOAD} } }`,
};
const ALL_ROLES = ["OPERATOR", "DISPATCHER", "WAREHOUSE", "DRIVER", "SUPPLIER", "GRID_OPERATOR", "LEADER", "CUSTOMER"];
// As the server has them (kernel/identity/staff.py): a supplier's account
// stays tied to its supplier, so it is made but never moved.
const CREATABLE = ["OPERATOR", "DISPATCHER", "WAREHOUSE", "DRIVER", "SUPPLIER"];
const CHANGEABLE = ["OPERATOR", "DISPATCHER", "WAREHOUSE", "DRIVER"];

const options = (roles, selected) => roles.map((r) => el("option", { value: r, selected: r === selected }, r));

/** Fill ``box`` (section#staff) with the search, the list and the create form. */
export async function drawStaff(box) {
  const { suppliers } = await gql(SUPPLIERS);
  const rows = el("tbody");
  const more = el("button", { type: "button", class: "more", hidden: true }, "More");
  const search = el("form", { id: "staff-search", class: "inline" },
    el("label", {}, "Name or phone", el("input", { name: "query", type: "search" })),
    el("label", {}, "Role", el("select", { name: "role" }, el("option", { value: "" }, "Any role"), options(ALL_ROLES))),
    el("button", { type: "submit" }, "Search"));
  let after = null;
  const load = async (fresh) => {
    const v = values(search);
    const { users } = await gql(USERS, { q: v.query ?? null, role: v.role ?? null, after: fresh ? null : after });
    if (fresh) rows.replaceChildren();
    rows.append(...users.nodes.map(userRow));
    after = users.pageInfo.endCursor;
    more.hidden = !users.pageInfo.hasNextPage;
  };
  search.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(search, () => load(true));
  });
  more.addEventListener("click", () => load(false));
  box.replaceChildren(el("h2", {}, "Staff"), createForm(suppliers.nodes, () => load(true)), search,
    el("table", {}, el("thead", {}, el("tr", {},
      ["Name", "Phone", "Role", "Status", ""].map((h) => el("th", {}, h)))), rows),
    more);
  await load(true);
}

function createForm(suppliers, reload) {
  const supplier = el("label", { class: "supplier", hidden: true }, "Supplier",
    el("select", { name: "supplierId" }, suppliers.map((s) => el("option", { value: s.id }, s.name))));
  const role = el("select", { name: "role" }, options(CREATABLE, "DRIVER"));
  role.addEventListener("change", () => { supplier.hidden = role.value !== "SUPPLIER"; });
  const form = el("form", { id: "user-create" },
    el("h3", {}, "New staff account"),
    el("label", {}, "Name", el("input", { name: "name", required: true, maxlength: 100 })),
    el("label", {}, "Phone", el("input", { name: "phone", type: "tel", required: true, maxlength: 20 })),
    el("label", {}, "Role", role),
    supplier,
    el("button", { type: "submit" }, "Create account"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const v = values(form);
      const input = { name: v.name, phone: v.phone, role: v.role };
      if (v.role === "SUPPLIER") input.supplierId = v.supplierId ?? null;
      const { userCreate: r } = await gql(CREATE, { input });
      if (r.userErrors.length) return showUserErrors(form, r.userErrors);
      form.reset();
      supplier.hidden = true;
      notice(form, `Created ${r.user.name} (${r.user.role}); they sign in with ${r.user.phone} and an SMS code.`);
      await reload();
    });
  });
  return form;
}

function userRow(user) {
  const disabled = Boolean(user.disabledAt);
  const form = el("form", { class: "user-actions" },
    CHANGEABLE.includes(user.role)
      ? [el("select", { name: "role" }, options(CHANGEABLE, user.role)),
        el("button", { type: "submit", value: "role" }, "Set role")]
      : "",
    el("button", { type: "submit", value: disabled ? "enable" : "disable" }, disabled ? "Enable" : "Disable"));
  const row = el("tr", { class: "user", "data-id": user.id, "data-disabled": disabled },
    el("td", { class: "name" }, user.name),
    el("td", { class: "phone" }, user.phone ?? ""),
    el("td", { class: "role" }, user.role),
    el("td", { class: "status" }, disabled ? "Disabled" : "Active"),
    el("td", {}, form));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const action = event.submitter.value;
    const input = action === "role" ? { id: user.id, role: form.querySelector("select[name=role]").value } : { id: user.id };
    await busy(form, async () => {
      const r = Object.values(await gql(ACTIONS[action], { input }))[0];
      if (r.userErrors.length) return showUserErrors(form, r.userErrors);
      row.replaceWith(userRow(r.user));
    });
  });
  return row;
}
