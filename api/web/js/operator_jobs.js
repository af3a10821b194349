// Jobs the operator starts (cutoff, consolidation, sorting, settlement): each
// gets a row under Jobs with its progress, then its status and result.
import { busy, showUserErrors, values } from "./forms.js";
import { el, gql } from "./graphql.js";
import { watchJob } from "./jobs.js";

const SETTLE = `mutation($input: SettlementRunInput!) { settlementRun(input: $input) {
  job { id kind } userErrors { field code message } } }`;

/** A row in the jobs list for a started job, with its progress until it ends. */
export async function runJob(jobs, job, label) {
  const progress = el("div", { class: "job-progress" });
  const row = el("div", { class: "job card", "data-id": job.id, "data-kind": job.kind }, el("strong", {}, label), progress);
  jobs.append(row);
  const ended = await watchJob(job.id, progress);
  row.dataset.status = ended.status;
  row.append(el("p", { class: "job-status" }, `${ended.status}${ended.result ? ` · ${JSON.stringify(ended.result)}` : ""}`));
  return ended;
}

/** A button ``label`` starting the job ``mutation(input)``, listed as ``title``;
 * refusals go to the jobs list; ``after()`` runs once the job ends. */
export function jobButton(jobs, label, mutation, input, { title = label, after = async () => {} } = {}) {
  return el("button", { type: "button", onclick: async (event) => {
    event.target.disabled = true;
    const result = Object.values(await gql(mutation, { input }))[0];
    event.target.disabled = false;
    if (result.userErrors.length) {
      jobs.append(el("p", { class: "form-error" }, `${title}: ${result.userErrors.map((e) => e.message).join("; ")}`));
      return;
    }
    await runJob(jobs, result.job, title);
    await after();
  } }, label);
}

/** Settle leaders' commission up to a period end (blank: the latest closed period). */
export function settlementForm(jobs) {
  const form = el("form", { id: "settlement-run", class: "inline" },
    el("label", {}, "Period end (blank: latest closed)", el("input", { name: "periodEnd", type: "date" })),
    el("button", { type: "submit" }, "Run settlement"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const { settlementRun: r } = await gql(SETTLE, { input: values(form) });
      if (r.userErrors.length) return showUserErrors(form, r.userErrors);
      await runJob(jobs, r.job, `Settlement ${form.periodEnd.value || "latest period"}`);
    });
  });
  return el("section", {}, el("h2", {}, "Settlement"), form);
}
