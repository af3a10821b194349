// Leader (团长) ordering for a resident (代下单): the resident's phone and name,
// then quantities from the open campaign; the order's number and total after.
// ``onPlaced(order)`` replaces the default notice (the leader's page redraws
// the campaign with what is left, then shows it).
import { notice } from "./forms.js";
import { el } from "./graphql.js";
import { orderForm, placedText } from "./order_form.js";

export function residentOrderCard(point, campaign, onPlaced = null) {
  const card = el("section", { id: "resident-order", class: "card" }, el("h2", {}, "代居民下单"));
  if (!campaign) {
    card.append(el("p", {}, "现在没有进行中的团购。"));
    return card;
  }
  const form = orderForm({
    id: "resident-order-form",
    pointId: point.id,
    campaign,
    fields: [
      el("label", {}, "居民手机号", el("input", { name: "customerPhone", type: "tel", autocomplete: "off", required: true })),
      el("label", {}, "居民称呼", el("input", { name: "customerName", autocomplete: "off" })),
    ],
    extra: (f) => ({ customerPhone: f.customerPhone.value, customerName: f.customerName.value || null }),
    onPlaced: onPlaced ?? ((order) => notice(form, placedText(order))),
  });
  card.append(form);
  return card;
}
