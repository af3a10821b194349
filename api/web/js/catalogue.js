// Operator: the catalogue. Each product's description is edited in place
// (productUpdate) and its cost scheduled from a date (productCostSet); both
// send the version the page showed, so an edit made over someone else's is
// refused (STALE) and the row says to reload (docs/setup-editing.md).
import { busy, notice, showUserErrors, values } from "./forms.js";
import { el, gql } from "./graphql.js";
import { tomorrow, yuan } from "./format.js";

const FIELDS = "id name category unit casePack imageUrls version costFen costs { effectiveFrom costFen }";
const PRODUCTS = `{ products(first: 100) { nodes { ${FIELDS} } } }`;
const PAYLOAD = `product { ${FIELDS} } userErrors { field code message }`;
const UPDATE = `mutation($input: ProductUpdateInput!) { productUpdate(input: $input) { ${PAYLOAD} } }`;
const COST_SET = `mutation($input: ProductCostSetInput!) { productCostSet(input: $input) { ${PAYLOAD} } }`;

/** Fill ``box`` (section#catalogue) with one row per product. */
export async function drawCatalogue(box) {
  const { products } = await gql(PRODUCTS);
  const list = el("div", { class: "products" }, products.nodes.map(productRow));
  box.replaceChildren(el("h2", {}, "Catalogue"),
    products.nodes.length ? list : el("p", { class: "empty" }, "No products yet."));
}

const schedule = (costs) => costs.map((c) => `${c.effectiveFrom}: ¥${yuan(c.costFen)}`).join(" · ");

function productRow(product) {
  const edit = el("form", { class: "product-edit" },
    el("label", {}, "Name", el("input", { name: "name", value: product.name, required: true, maxlength: 100 })),
    el("label", {}, "Category", el("input", { name: "category", value: product.category, maxlength: 50 })),
    el("label", {}, "Unit", el("input", { name: "unit", value: product.unit, maxlength: 30 })),
    el("label", {}, "Case pack", el("input", { name: "casePack", type: "number", value: product.casePack })),
    el("label", {}, "Images (one URL a line)",
      el("textarea", { name: "imageUrls", rows: 2 }, product.imageUrls.join("\n"))),
    el("button", { type: "submit" }, "Save"));
  const cost = el("form", { class: "product-cost inline" },
    el("label", {}, "Cost (yuan)", el("input", { name: "cost", type: "number", step: "0.01", min: "0", required: true })),
    el("label", {}, "From", el("input", { name: "effectiveFrom", type: "date", value: tomorrow(), required: true })),
    el("button", { type: "submit" }, "Schedule cost"));
  const row = el("article", { class: "product", "data-id": product.id, "data-version": product.version },
    el("h3", {}, product.name, " ", el("small", { class: "version" }, `v${product.version}`)),
    el("p", { class: "costs" }, `Cost now ¥${yuan(product.costFen ?? 0)}; schedule ${schedule(product.costs ?? [])}`),
    edit, cost);
  const done = (form, result, text) => {
    if (result.userErrors.length) return showUserErrors(form, result.userErrors);
    const fresh = productRow(result.product);
    row.replaceWith(fresh);
    notice(fresh.querySelector(`.${form.classList[0]}`), text);
  };
  edit.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(edit, async () => {
      const v = values(edit);
      const urls = edit.imageUrls.value.split("\n").map((u) => u.trim()).filter(Boolean);
      const input = { id: product.id, expectedVersion: product.version, name: v.name ?? "",
        category: v.category ?? "", unit: v.unit ?? "", casePack: v.casePack ?? 0, imageUrls: urls };
      done(edit, (await gql(UPDATE, { input })).productUpdate, "Saved.");
    });
  });
  cost.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(cost, async () => {
      const v = values(cost);
      const input = { productId: product.id, expectedVersion: product.version,
        costFen: Math.round(Number(v.cost) * 100), effectiveFrom: v.effectiveFrom };
      done(cost, (await gql(COST_SET, { input })).productCostSet, `Cost scheduled from ${v.effectiveFrom}.`);
    });
  });
  return row;
}
