// Operator: the jobs and webhooks console. Failed jobs first, then the
// newest ones, each with Retry (FAILED) or Cancel (QUEUED); dead webhook
// deliveries first, then the newest, with Replay (FAILED). A retried job is
// watched until it ends, then both lists are drawn again.
import { el, gql } from "./graphql.js";
import { watchJob } from "./jobs.js";

const PAGE = 20;
const JOB_FIELDS = "id kind status message error requestId worker createdAt";
const JOBS = `query($status: JobStatus) { jobs(first: ${PAGE}, status: $status) { nodes { ${JOB_FIELDS} } } }`;
const DELIVERY_FIELDS = "id topic url status attempts lastError createdAt";
const DELIVERIES = `query($status: WebhookDeliveryStatus) {
  webhookDeliveries(first: ${PAGE}, status: $status) { nodes { ${DELIVERY_FIELDS} } } }`;
const ERRORS = "userErrors { field code message }";
const ACTIONS = {
  retry: `mutation($id: ID!) { jobRetry(input: {id: $id}) { job { ${JOB_FIELDS} } ${ERRORS} } }`,
  cancel: `mutation($id: ID!) { jobCancel(input: {id: $id}) { job { ${JOB_FIELDS} } ${ERRORS} } }`,
  replay: `mutation($id: ID!) { webhookDeliveryReplay(input: {id: $id}) {
    delivery { ${DELIVERY_FIELDS} } ${ERRORS} } }`,
};

// Dates as the platform's zone shows them, to the second.
const when = (iso) => (iso ? new Date(iso).toLocaleString("sv-SE", { timeZone: "Asia/Shanghai" }) : "");

/** The failed ones first, then the newest of the rest (one list, no repeats). */
async function failedFirst(query, field) {
  const failed = (await gql(query, { status: "FAILED" }))[field].nodes;
  const recent = (await gql(query, { status: null }))[field].nodes;
  const seen = new Set(failed.map((n) => n.id));
  return [...failed, ...recent.filter((n) => !seen.has(n.id))];
}

/** Fill ``box`` (section#console) with the jobs and the webhook deliveries. */
export async function drawConsole(box) {
  const jobs = el("tbody");
  const deliveries = el("tbody");
  const redraw = async () => {
    jobs.replaceChildren(...(await failedFirst(JOBS, "jobs")).map((job) => jobRow(job, redraw)));
    const sent = await failedFirst(DELIVERIES, "webhookDeliveries");
    deliveries.replaceChildren(...sent.map((d) => deliveryRow(d, redraw)));
  };
  const refresh = el("button", { type: "button", class: "refresh", onclick: redraw }, "Refresh");
  box.replaceChildren(el("h2", {}, "Jobs & webhooks"), refresh,
    el("h3", {}, "Jobs"),
    el("table", { class: "console-jobs" }, head(["Kind", "Status", "Message / error", "Request id", "Worker", "Created", ""]), jobs),
    el("h3", {}, "Webhook deliveries"),
    el("table", { class: "console-deliveries" },
      head(["Topic", "Receiver", "Status", "Attempts", "Last error", "Created", ""]), deliveries));
  await redraw();
}

const head = (titles) => el("thead", {}, el("tr", {}, titles.map((t) => el("th", {}, t))));

function jobRow(job, redraw) {
  const action = job.status === "FAILED" ? ["retry", "Retry"] : job.status === "QUEUED" ? ["cancel", "Cancel"] : null;
  const cell = el("td", { class: "actions" });
  const row = el("tr", { class: "console-job", "data-id": job.id, "data-status": job.status },
    el("td", { class: "kind" }, job.kind),
    el("td", { class: "status" }, job.status),
    el("td", { class: "message" }, job.error || job.message || ""),
    el("td", { class: "request-id" }, job.requestId ?? ""),
    el("td", { class: "worker" }, job.worker ?? ""),
    el("td", {}, when(job.createdAt)),
    cell);
  if (action) {
    cell.append(button(action[1], action[0], async (result) => {
      if (action[0] === "retry") {
        // The row shows the new attempt's progress until it ends.
        const progress = el("div", { class: "job-progress" });
        cell.replaceChildren(progress);
        await watchJob(result.job.id, progress);
      }
      await redraw();
    }, job.id));
  }
  return row;
}

function deliveryRow(delivery, redraw) {
  return el("tr", { class: "console-delivery", "data-id": delivery.id, "data-status": delivery.status },
    el("td", { class: "topic" }, delivery.topic),
    el("td", { class: "url" }, delivery.url),
    el("td", { class: "status" }, delivery.status),
    el("td", { class: "attempts" }, String(delivery.attempts)),
    el("td", { class: "last-error" }, delivery.lastError ?? ""),
    el("td", {}, when(delivery.createdAt)),
    el("td", { class: "actions" },
      delivery.status === "FAILED" ? button("Replay", "replay", redraw, delivery.id) : ""));
}

/** A button running ``ACTIONS[action]`` on ``id``; a refusal is shown beside
 * it, success hands the mutation's payload to ``done``. */
function button(label, action, done, id) {
  const node = el("button", { type: "button", value: action, onclick: async () => {
    node.disabled = true;
    try {
      const result = Object.values(await gql(ACTIONS[action], { id }))[0];
      if (result.userErrors.length) {
        node.after(el("p", { class: "form-error", "data-code": result.userErrors[0].code },
          result.userErrors.map((e) => e.message).join("; ")));
        return;
      }
      await done(result);
    } finally {
      node.disabled = false;
    }
  } }, label);
  return node;
}
