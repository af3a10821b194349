// The order form of a campaign, for customers and for leaders ordering on a
// resident's behalf (代下单): a quantity per item, errors in Chinese next to
// the input at fault, and one idempotency key per submit attempt.
import { clearErrors, notice, numberedRows, showUserErrors } from "./forms.js";
import { ApiError, el, gql } from "./graphql.js";
import { hhmm, yuan } from "./format.js";
import { zh } from "./i18n.js";

const CREATE = `mutation($input: OrderCreateInput!) { orderCreate(input: $input) {
  order { id number status totalFen } userErrors { field code message remaining } } }`;

/** Item fields the form needs from openCampaign. */
export const ITEM_FIELDS = `id groupPriceFen listPriceFen remaining soldOut perCustomerLimit
  status saleStartsAt saleEndsAt product { name unit }`;

/** When an item with a sale window of its own sells, or that it no longer does. */
function saleNote(item) {
  if (item.status === "SCHEDULED" && item.saleStartsAt) return ` ${hhmm(item.saleStartsAt)} 开售`;
  if (item.status === "CLOSED" && item.saleEndsAt) return " 已结束";
  return item.saleEndsAt ? ` 售至 ${hhmm(item.saleEndsAt)}` : "";
}

const orderable = (item) => !item.soldOut && item.status !== "SCHEDULED" && item.status !== "CLOSED";

/**
 * A form ordering from ``campaign`` at ``pointId``. ``fields`` go above the
 * items and ``extra(form)`` adds their values to the input; ``onPlaced(order)``
 * runs after the order is created.
 */
export function orderForm({ id, pointId, campaign, fields = [], extra = () => ({}), onPlaced }) {
  const rows = campaign.items.map((item) =>
    el("label", { class: "item" },
      `${item.product?.name ?? "?"} ¥${yuan(item.groupPriceFen)}/${item.product?.unit ?? ""}`,
      item.remaining === null ? "" : ` 剩 ${item.remaining}`,
      item.perCustomerLimit ? ` 限购 ${item.perCustomerLimit}` : "",
      saleNote(item),
      el("input", { type: "number", min: 0, value: 0, "data-item": item.id, disabled: !orderable(item) })));
  const form = el("form", { id }, ...fields, ...rows, el("button", { type: "submit" }, "下单"));
  // Kept from a submit until the server answers: a retry after a lost answer
  // sends the same key, and the server returns the first order.
  let key = null;
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const lines = numberedRows(form.querySelectorAll("input[data-item]"), "lines",
      (input) => ({ campaignItemId: input.dataset.item, quantity: Number(input.value) }));
    if (!lines.length) return showUserErrors(form, [{ field: null, message: "请至少选一件商品" }]);
    key ??= crypto.randomUUID();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    let placed = null;
    try {
      const input = { pickupPointId: pointId, lines, idempotencyKey: key, ...extra(form) };
      const { orderCreate: r } = await gql(CREATE, { input });
      key = null;
      if (r.userErrors.length) return showUserErrors(form, r.userErrors, zh);
      clearErrors(form);
      form.reset();
      placed = r.order;
    } catch (error) {
      if (error instanceof ApiError) key = null;
      else showUserErrors(form, [{ field: null, message: "网络异常，请再提交一次（不会重复下单）" }]);
    } finally {
      button.disabled = false;
    }
    if (!placed) return;
    // The order stands whatever happens next: a failed redraw must not read
    // as a failed order, or a second submit (with a new key) orders twice.
    try {
      await onPlaced(placed);
    } catch {
      notice(form, `${placedText(placed)}（页面未能刷新，剩余数量请稍后刷新查看）`);
    }
  });
  return form;
}

/** The line shown once an order is placed. */
export const placedText = (order) => `下单成功：订单 ${order.number}，合计 ¥${yuan(order.totalFen)}`;

/** One button per open campaign's delivery date; the shown one is pressed. */
export function dayTabs(campaigns, shown, onPick) {
  return el("nav", { class: "day-tabs", "aria-label": "到货日期" }, ...campaigns.map((c) =>
    el("button", {
      type: "button",
      class: "day-tab",
      "data-day": c.deliveryDate,
      "aria-pressed": String(c.id === shown.id),
      onclick: () => onPick(c.deliveryDate),
    }, `${c.deliveryDate.slice(5)} 到货`)));
}
