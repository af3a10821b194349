// Tomorrow's campaign from today's on the operator's page (campaignCopy): the
// same items, prices and limits for another delivery date, its sale window
// moved by as many days.
import { busy, notice, showUserErrors, values } from "./forms.js";
import { el, gql } from "./graphql.js";

const COPY = `mutation($input: CampaignCopyInput!) { campaignCopy(input: $input) {
  campaign { id deliveryDate } userErrors { field code message } } }`;

/** The date ``days`` after an ISO date, as an ISO date (UTC arithmetic: dates only). */
function plusDays(iso, days) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** A form copying ``campaign`` to another delivery date; ``done()`` redraws. */
export function copyForm(campaign, done) {
  const form = el("form", { class: "campaign-copy", "data-id": campaign.id },
    el("label", {}, "Copy to ", el("input", {
      name: "deliveryDate", type: "date", required: true, value: plusDays(campaign.deliveryDate, 1),
    })),
    el("button", { type: "submit" }, "Copy"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const input = { campaignId: campaign.id, deliveryDate: values(form).deliveryDate };
      const { campaignCopy: r } = await gql(COPY, { input });
      if (r.userErrors.length) return showUserErrors(form, r.userErrors);
      notice(form, `Copied to ${r.campaign.deliveryDate}.`);
      await done();
    });
  });
  return form;
}
