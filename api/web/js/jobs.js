// Slow actions run as jobs: poll job(id) and show its progress bar until it ends.
import { el, gql } from "./graphql.js";

const JOB = `query($id: ID!) { job(id: $id) { id status progress message error result } }`;
const ENDED = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);

/** Replace ``box``'s content with a progress bar for the job; resolve with the ended job. */
export async function watchJob(id, box, intervalMs = 300) {
  const bar = el("progress", { max: 1, value: 0 });
  const label = el("span", { class: "job-message" });
  box.replaceChildren(bar, label);
  for (;;) {
    const { job } = await gql(JOB, { id });
    bar.value = job.progress;
    label.textContent = `${Math.round(job.progress * 100)}% ${job.message || ""}`;
    if (ENDED.has(job.status)) {
      box.dataset.status = job.status;
      if (job.error) label.textContent = job.error;
      return job;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
