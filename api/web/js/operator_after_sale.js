// Operator: after-sale requests (售后) waiting for a decision, oldest first.
// Approve books the refund (quantity × the line's price); Reject needs a
// reason, which the customer sees. A decided request leaves the queue and
// says how it ended; a refusal shows beside the request.
import { busy, showUserErrors } from "./forms.js";
import { el, gql } from "./graphql.js";
import { yuan } from "./format.js";

const PENDING = `{ afterSaleRequests(first: 100, status: [PENDING]) { nodes { id quantity reason note photoUrls
  requestedAt refundFen product { name unit } order { number customerName } } } }`;
const PAYLOAD = `afterSaleRequest { id status rejectionReason refundFen } userErrors { field code message }`;
const DECIDE = {
  approve: `mutation($input: AfterSaleApproveInput!) { afterSaleApprove(input: $input) { ${PAYLOAD} } }`,
  reject: `mutation($input: AfterSaleRejectInput!) { afterSaleReject(input: $input) { ${PAYLOAD} } }`,
};
const REASONS = { QUALITY: "Quality", WRONG_ITEM: "Wrong item", MISSING: "Missing", OTHER: "Other" };

/** How long since ``iso``: "40 min", "5 h 12 min", "2 d 3 h". */
export function waited(iso, now = Date.now()) {
  const minutes = Math.max(0, Math.floor((now - new Date(iso).getTime()) / 60_000));
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

/** Fill ``box`` (section#after-sale) with the queue of pending requests. */
export async function drawAfterSale(box) {
  const { afterSaleRequests } = await gql(PENDING);
  const queue = [...afterSaleRequests.nodes].sort((a, b) => a.requestedAt.localeCompare(b.requestedAt));
  const decided = el("div", { class: "decided-list" }, el("h3", { hidden: true }, "Decided here"));
  const pending = el("div", { class: "queue" });
  const empty = () => { if (!pending.children.length) pending.append(el("p", { class: "empty" }, "No requests waiting.")); };
  pending.append(...queue.map((r) => requestCard(r, decided, empty)));
  box.replaceChildren(el("h2", {}, "After-sale requests"), pending, decided);
  empty();
}

/** The customer's photos: thumbnails, each a link to the full picture. */
function photos(urls) {
  if (!urls.length) return el("p", { class: "photos empty" }, "No photos.");
  return el("p", { class: "photos" }, urls.map((url, i) =>
    el("a", { href: url, target: "_blank", rel: "noopener noreferrer", title: url },
      el("img", { src: url, alt: `Photo ${i + 1}`, loading: "lazy", referrerpolicy: "no-referrer" }))));
}

/** A pending request with its buttons; once decided it moves to ``decided``
 * and ``emptied()`` tells the queue. */
function requestCard(request, decided, emptied) {
  const order = request.order ?? {};
  const form = el("form", { class: "inline decide" },
    el("label", {}, "Reason (to reject)", el("input", { name: "reason", maxlength: 500 })),
    el("button", { type: "submit", value: "approve" }, `Approve (refund ¥${yuan(request.refundFen)})`),
    el("button", { type: "submit", value: "reject" }, "Reject"));
  const card = el("div", { class: "after-sale card", "data-id": request.id },
    el("p", {},
      el("strong", { class: "order" }, order.number ?? "?"), " · ",
      el("span", { class: "customer" }, order.customerName ?? "?"), " · ",
      el("span", { class: "product" }, request.product?.name ?? "?"), " × ",
      el("span", { class: "units" }, String(request.quantity)), " · ",
      el("span", { class: "reason" }, REASONS[request.reason] ?? request.reason), " · ",
      el("span", { class: "amount" }, `¥${yuan(request.refundFen)}`), " · ",
      el("span", { class: "waited", title: request.requestedAt }, `waiting ${waited(request.requestedAt)}`)),
    request.note ? el("p", { class: "note" }, `“${request.note}”`) : "",
    photos(request.photoUrls),
    form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const action = event.submitter.value;
    await busy(form, async () => {
      const input = action === "approve" ? { id: request.id } : { id: request.id, reason: form.reason.value };
      const result = Object.values(await gql(DECIDE[action], { input }))[0];
      if (result.userErrors.length) return showUserErrors(form, result.userErrors);
      const outcome = result.afterSaleRequest;
      card.dataset.status = outcome.status;
      form.replaceWith(el("p", { class: "outcome" }, outcome.status === "APPROVED"
        ? `APPROVED · refund of ¥${yuan(outcome.refundFen)} booked`
        : `REJECTED · ${outcome.rejectionReason ?? ""}`));
      decided.firstChild.hidden = false;
      decided.append(card);
      emptied();
    });
  });
  return card;
}
