// Operator: pickup helpers (店员) leaders registered at their points, waiting
// for approval. Approve lets the helper verify pickup codes; Reject needs a
// reason. A refusal shows beside the helper.
import { busy, showUserErrors } from "./forms.js";
import { el, gql } from "./graphql.js";

const PENDING = `{ pickupHelpers(first: 100, status: PENDING) { nodes { id name phone addedAt
  pickupPoint { name address } } } }`;
const PAYLOAD = `helper { id status statusReason } userErrors { field code message }`;
const DECIDE = {
  approve: `mutation($input: PickupHelperIdInput!) { pickupHelperApprove(input: $input) { ${PAYLOAD} } }`,
  reject: `mutation($input: PickupHelperRejectInput!) { pickupHelperReject(input: $input) { ${PAYLOAD} } }`,
};

/** Fill ``box`` (section#helpers) with the helpers waiting for approval. */
export async function drawHelpers(box) {
  const { pickupHelpers } = await gql(PENDING);
  box.replaceChildren(el("h2", {}, "Pickup helpers to approve"));
  if (!pickupHelpers.nodes.length) box.append(el("p", { class: "empty" }, "No helpers waiting."));
  box.append(...pickupHelpers.nodes.map(helperForm));
}

function helperForm(helper) {
  const point = helper.pickupPoint;
  const form = el("form", { class: "inline helper", "data-id": helper.id },
    el("span", { class: "who" }, `${helper.name} · ${helper.phone ?? ""} · `,
      `${point?.name ?? "?"}, ${point?.address ?? ""}`),
    el("label", {}, "Reason (to reject)", el("input", { name: "reason", maxlength: 500 })),
    el("button", { type: "submit", value: "approve" }, "Approve"),
    el("button", { type: "submit", value: "reject" }, "Reject"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const action = event.submitter.value;
    await busy(form, async () => {
      const input = action === "approve" ? { id: helper.id } : { id: helper.id, reason: form.reason.value };
      const result = Object.values(await gql(DECIDE[action], { input }))[0];
      if (result.userErrors.length) return showUserErrors(form, result.userErrors);
      const { status, statusReason } = result.helper;
      form.dataset.status = status;
      form.replaceChildren(el("span", { class: "decided" },
        `${helper.name} (${point?.name ?? "?"}): ${status}${statusReason ? ` · ${statusReason}` : ""}`));
    });
  });
  return form;
}
