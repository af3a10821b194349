// Leader (团长) ordering for a resident (代下单): the resident's phone and name,
// then quantities from the open campaign; the order's number and total after.
// ``onPlaced(order)`` replaces the default notice (the leader's page redraws
// the campaign with what is left, then shows it). Under the placed order, a
// "收现金" button: the resident paid the leader in cash (confirmed first).
import { notice } from "./forms.js";
import { el, gql } from "./graphql.js";
import { yuan } from "./format.js";
import { zh } from "./i18n.js";
import { orderForm, placedText } from "./order_form.js";

const MARK_CASH = `mutation($id: ID!) { orderMarkPaidCash(input: {orderId: $id}) {
  order { id status pickupCode { code } } userErrors { field code message } } }`;

/** The "收现金" button of a just-placed order, and what came of it. */
export function cashBox(order) {
  const box = el("p", { id: "resident-cash", class: "cash-box" });
  const button = el("button", { type: "button", class: "mark-cash" }, `收现金 ¥${yuan(order.totalFen)}`);
  button.addEventListener("click", async () => {
    // Money changes hands: never on a stray tap.
    if (!confirm(`确认已收到居民现金 ¥${yuan(order.totalFen)}？（订单 ${order.number}）`)) return;
    button.disabled = true;
    try {
      const { orderMarkPaidCash: r } = await gql(MARK_CASH, { id: order.id });
      if (r.userErrors.length) {
        box.replaceChildren(r.userErrors.map((e) => zh(e)).join("；"));
        return;
      }
      box.replaceChildren(`已收现金 ¥${yuan(order.totalFen)}，取货码 ${r.order.pickupCode?.code ?? "—"}`);
    } catch {
      // Shown already (top-level errors) or lost: the button may be tried again.
      button.disabled = false;
    }
  });
  box.append(button);
  return box;
}

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
    onPlaced: async (order) => {
      await (onPlaced ?? ((o) => notice(form, placedText(o))))(order);
      // The page may have drawn the card anew: the button goes on the one shown.
      (document.querySelector("#resident-order") ?? card).append(cashBox(order));
    },
  });
  card.append(form);
  return card;
}
