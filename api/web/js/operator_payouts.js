// Operator: leaders' payout requests (提现) to approve, or reject with a
// reason; approved payouts gathered into a batch (its bank CSV to download)
// or sent by WeChat Pay transfer; a batch marked paid once the bank has paid
// it; each batch's state and its payouts' (PAID, or FAILED with the reason).
import { saveFile } from "./downloads.js";
import { busy, showUserErrors } from "./forms.js";
import { el, gql } from "./graphql.js";
import { yuan } from "./format.js";

const PAGE = "pageInfo { hasNextPage endCursor }";
const LEADER = "leader { id user { name } pickupPoint { name } }";
const PAYOUTS = `query($status: PayoutStatus!, $after: String) {
  payouts(status: $status, first: 100, after: $after) {
  nodes { id amountFen feeFen transferFen requestedAt ${LEADER} batch { id } } ${PAGE} } }`;
const BALANCE = `query($l: ID!) { commissionBalance(leaderId: $l) { availableFen } }`;
const BATCHES = `query($after: String) { payoutBatches(first: 20, after: $after) {
  nodes { id payoutCount transferFen createdAt paidAt transferStatus transferError downloadUrl
    payouts(first: 100) { nodes { id transferFen status reason transferStatus ${LEADER} } } } ${PAGE} } }`;
const ERRORS = "userErrors { field code message }";
const DECIDE = {
  approve: `mutation($input: PayoutIdInput!) { payoutApprove(input: $input) { payout { status } ${ERRORS} } }`,
  reject: `mutation($input: PayoutRejectInput!) { payoutReject(input: $input) { payout { status } ${ERRORS} } }`,
};
const BATCH = {
  export: `mutation { payoutBatchExport { batch { id } ${ERRORS} } }`,
  send: `mutation($input: PayoutBatchSendInput!) { payoutBatchSend(input: $input) { batch { id } ${ERRORS} } }`,
  paid: `mutation($input: PayoutIdInput!) { payoutBatchMarkPaid(input: $input) { batch { id } ${ERRORS} } }`,
};

// Business times in the platform's zone, as "2026-12-05 17:20".
const when = (iso) => (iso ? new Date(iso).toLocaleString("sv-SE",
  { timeZone: "Asia/Shanghai", dateStyle: "short", timeStyle: "short" }) : "");
const who = (p) => `${p.leader?.user?.name ?? "?"} · ${p.leader?.pickupPoint?.name ?? ""}`;
const table = (heads, rows) => el("table", {},
  el("thead", {}, el("tr", {}, heads.map((h) => el("th", {}, h)))), el("tbody", {}, rows));

/** Every node of a paged list (oldest first). */
async function every(query, field, variables = {}) {
  const nodes = [];
  let after = null;
  do {
    const page = (await gql(query, { ...variables, after }))[field];
    nodes.push(...page.nodes);
    after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
  } while (after);
  return nodes;
}

/** Fill ``box`` (section#payouts): requests, approved payouts, batches. */
export async function drawPayouts(box) {
  const redraw = () => drawPayouts(box);
  const requested = await every(PAYOUTS, "payouts", { status: "REQUESTED" });
  const approved = (await every(PAYOUTS, "payouts", { status: "APPROVED" })).filter((p) => !p.batch);
  const batches = (await every(BATCHES, "payoutBatches")).reverse();
  const available = await balances(requested);
  box.replaceChildren(
    el("h2", {}, "Payout requests to review"), requests(requested, available, redraw),
    el("h2", {}, "Approved payouts, not yet in a batch"), approvedList(approved, redraw),
    el("h2", {}, "Payout batches (newest first)"),
    ...(batches.length ? batches.map((b) => batchCard(b, redraw)) : [el("p", { class: "empty no-batches" }, "No batches yet.")]));
}

async function balances(payouts) {
  const out = new Map();
  for (const id of new Set(payouts.map((p) => p.leader?.id).filter(Boolean))) {
    const { commissionBalance } = await gql(BALANCE, { l: id });
    out.set(id, commissionBalance?.availableFen);
  }
  return out;
}

function requests(payouts, available, redraw) {
  if (!payouts.length) return el("p", { class: "empty no-requests" }, "No payout requests waiting.");
  return table(["Leader", "Amount", "Fee", "To transfer", "Requested at", "Available (after it)", ""],
    payouts.map((p) => {
      const left = available.get(p.leader?.id);
      return el("tr", { class: "payout-request", "data-id": p.id },
        el("td", { class: "who" }, who(p)),
        el("td", { class: "amount" }, `¥${yuan(p.amountFen)}`),
        el("td", {}, `¥${yuan(p.feeFen)}`),
        el("td", {}, `¥${yuan(p.transferFen)}`),
        el("td", {}, when(p.requestedAt)),
        el("td", { class: "available" }, left === undefined || left === null ? "" : `¥${yuan(left)}`),
        el("td", {}, decideForm(p, redraw)));
    }));
}

function decideForm(payout, redraw) {
  const form = el("form", { class: "inline payout-decide", "data-id": payout.id },
    el("label", {}, "Reason (to reject)", el("input", { name: "reason", maxlength: 500 })),
    el("button", { type: "submit", value: "approve" }, "Approve"),
    el("button", { type: "submit", value: "reject" }, "Reject"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const action = event.submitter.value;
    await busy(form, async () => {
      const input = action === "approve" ? { id: payout.id } : { id: payout.id, reason: form.reason.value };
      const result = Object.values(await gql(DECIDE[action], { input }))[0];
      if (result.userErrors.length) return showUserErrors(form, result.userErrors);
      await redraw();
    });
  });
  return form;
}

function approvedList(payouts, redraw) {
  const form = el("form", { id: "payout-batch-make", class: "inline" },
    el("button", { type: "submit", value: "export" }, "Make a batch (bank CSV)"),
    el("button", { type: "submit", value: "send" }, "Send by WeChat transfer"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const send = event.submitter.value === "send";
    await busy(form, async () => {
      const result = Object.values(await gql(send ? BATCH.send : BATCH.export, send ? { input: {} } : {}))[0];
      if (result.userErrors.length) return showUserErrors(form, result.userErrors);
      await redraw();
    });
  });
  if (!payouts.length) return el("p", { class: "empty no-approved" }, "No approved payouts waiting for a batch.");
  const total = payouts.reduce((sum, p) => sum + p.transferFen, 0);
  return el("div", { class: "payouts-approved" },
    table(["Leader", "To transfer", "Requested at"], payouts.map((p) =>
      el("tr", { class: "payout-approved", "data-id": p.id },
        el("td", {}, who(p)), el("td", {}, `¥${yuan(p.transferFen)}`), el("td", {}, when(p.requestedAt))))),
    el("p", {}, `${payouts.length} payouts, ¥${yuan(total)} to transfer.`), form);
}

function batchState(b) {
  if (b.paidAt) return ["PAID", `Paid (marked ${when(b.paidAt)})`];
  if (b.transferStatus) return [b.transferStatus, `WeChat transfer: ${b.transferStatus}`];
  return ["EXPORTED", "Exported, waiting for the bank"];
}

function batchCard(b, redraw) {
  const [state, words] = batchState(b);
  const open = !b.paidAt && !b.transferStatus;
  const listed = b.payouts.nodes;
  return el("article", { class: "card payout-batch", "data-id": b.id, "data-state": state },
    el("h4", {}, `Batch of ${when(b.createdAt)} · ${b.payoutCount} payouts · ¥${yuan(b.transferFen)} · `,
      el("span", { class: "state" }, words)),
    b.transferError ? el("p", { class: "form-error transfer-error" }, `Last problem: ${b.transferError}`) : "",
    el("div", { class: "inline" },
      el("button", { type: "button", class: "csv",
        onclick: () => saveFile(b.downloadUrl, `payout-batch-${when(b.createdAt).slice(0, 10)}.csv`) }, "Download CSV"),
      open ? batchAction(b, "paid", "Mark paid", redraw) : "",
      open ? batchAction(b, "send", "Send by WeChat transfer", redraw) : "",
      b.transferStatus && b.transferStatus !== "FINISHED"
        ? el("button", { type: "button", class: "refresh", onclick: redraw }, "Refresh") : ""),
    table(["Leader", "To transfer", "State", "Reason"], listed.map((p) =>
      el("tr", { class: "batch-payout", "data-id": p.id, "data-status": p.status },
        el("td", {}, who(p)), el("td", {}, `¥${yuan(p.transferFen)}`),
        el("td", { class: "status" }, p.status, p.transferStatus ? ` (${p.transferStatus})` : ""),
        el("td", { class: "reason" }, p.reason ?? "")))),
    listed.length < b.payoutCount ? el("p", {}, `… and ${b.payoutCount - listed.length} more (see the CSV).`) : "");
}

function batchAction(b, action, label, redraw) {
  const form = el("form", { class: `inline batch-${action}` }, el("button", { type: "submit" }, label));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const result = Object.values(await gql(BATCH[action], { input: { id: b.id } }))[0];
      if (result.userErrors.length) return showUserErrors(form, result.userErrors);
      await redraw();
    });
  });
  return form;
}
