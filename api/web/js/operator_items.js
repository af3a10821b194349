// Campaign items on the operator's page: the fields of one item, reading them
// back as API input (prices typed in yuan, sent in fen), and adding items to
// a campaign that has not cut off.
import { busy, notice, showUserErrors, values } from "./forms.js";
import { el, gql } from "./graphql.js";
import { shanghai } from "./format.js";

const ADD = `mutation($input: CampaignItemsAddInput!) { campaignItemsAdd(input: $input) {
  items { id } userErrors { field code message } } }`;

/** The inputs of item ``i`` (names items.i.*, where the API's errors point). */
export function itemFieldset(products, i) {
  return el("fieldset", { name: `items.${i}` },
    el("legend", {}, `Item ${i + 1}`),
    el("label", {}, "Product", el("select", { name: `items.${i}.productId` },
      products.map((p) => el("option", { value: p.id }, `${p.name} (${p.unit})`)))),
    el("label", {}, "Group price ¥", el("input", { name: `items.${i}.groupPriceFen`, type: "number", step: "0.01", required: true })),
    el("label", {}, "List price ¥", el("input", { name: `items.${i}.listPriceFen`, type: "number", step: "0.01", required: true })),
    el("label", {}, "Cap (optional)", el("input", { name: `items.${i}.cap`, type: "number" })),
    el("label", {}, "Sale starts (optional, Beijing time)",
      el("input", { name: `items.${i}.saleStartsAt`, type: "datetime-local" })),
    el("label", {}, "Sale ends (optional, Beijing time)",
      el("input", { name: `items.${i}.saleEndsAt`, type: "datetime-local" })));
}

/** The items of ``box``'s fieldsets as CampaignItemInput values. */
export function itemInputs(form, box) {
  const v = values(form);
  return [...box.children].map((_, i) => ({
    productId: v[`items.${i}.productId`],
    groupPriceFen: Math.round(v[`items.${i}.groupPriceFen`] * 100),
    listPriceFen: Math.round(v[`items.${i}.listPriceFen`] * 100),
    cap: v[`items.${i}.cap`] ?? null,
    saleStartsAt: v[`items.${i}.saleStartsAt`] ? shanghai(v[`items.${i}.saleStartsAt`]) : null,
    saleEndsAt: v[`items.${i}.saleEndsAt`] ? shanghai(v[`items.${i}.saleEndsAt`]) : null,
  }));
}

/** A form adding one item to ``campaign``; ``done()`` runs after it is added. */
export function itemsAddForm(campaign, products, done) {
  const items = el("div", { class: "items" }, itemFieldset(products, 0));
  const form = el("form", { class: "items-add", "data-id": campaign.id },
    items, el("button", { type: "submit" }, "Add item"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const input = { campaignId: campaign.id, items: itemInputs(form, items) };
      const { campaignItemsAdd: r } = await gql(ADD, { input });
      if (r.userErrors.length) return showUserErrors(form, r.userErrors);
      notice(form, "Item added.");
      await done();
    });
  });
  return el("details", {}, el("summary", {}, "Add items"), form);
}
