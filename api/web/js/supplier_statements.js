// Supplier (desk): its statements, line by line; confirm a line or dispute it with a reason.
import { saveFile } from "./downloads.js";
import { busy, showUserErrors } from "./forms.js";
import { el, gql } from "./graphql.js";
import { yuan } from "./format.js";
import { zh } from "./i18n.js";

const FIELDS = `id periodStart periodEnd state goodsFen chargebackFen feeFen broughtForwardFen
  adjustmentFen carriedForwardFen totalFen payableFen
  lines(first: 100) { nodes { id kind detail units amountFen adjustmentFen netFen state
    disputeReason resolutionNote returnUrl } }`;
const LIST = `{ supplierStatements(first: 50) { nodes { id } } }`;
const ONE = `query($id: ID!) { supplierStatement(id: $id) { ${FIELDS} } }`;
const CONFIRM = `mutation($id: ID!) { supplierStatementLineConfirm(input: {lineId: $id}) {
  line { id } userErrors { field code message } } }`;
const DISPUTE = `mutation($id: ID!, $reason: String!) {
  supplierStatementLineDispute(input: {lineId: $id, reason: $reason}) {
  line { id } userErrors { field code message } } }`;

const KINDS = {
  GOODS: "货款", SHORTAGE: "确认后缺货", QC_FAILURE: "质检不合格", DELIVERY_FAULT: "配送缺件",
  QUALITY_CLAIM: "售后质量问题", SERVICE_FEE: "平台服务费", BROUGHT_FORWARD: "上期结转",
  CARRIED_FORWARD: "结转下期",
};
const STATES = { OPEN: "待确认", CONFIRMED: "已确认", DISPUTED: "有异议", RESOLVED: "已处理" };
const STATEMENT_STATES = { ISSUED: "待审核", APPROVED: "已审核", PAID: "已付款" };

/** The supplier's statements, after its purchase orders. */
export async function renderStatements(view) {
  const { supplierStatements } = await gql(LIST);
  view.append(el("h1", {}, "Statements"));
  if (!supplierStatements.nodes.length) view.append(el("p", { class: "no-statements" }, "No statements yet."));
  for (const statement of supplierStatements.nodes) {
    const card = el("section", { class: "card supplier-statement", "data-id": statement.id });
    view.append(card);
    await redraw(card);
  }
}

async function redraw(card) {
  const { supplierStatement } = await gql(ONE, { id: card.dataset.id });
  draw(card, supplierStatement);
}

function draw(card, s) {
  const last = new Date(`${s.periodEnd}T00:00:00Z`);
  last.setUTCDate(last.getUTCDate() - 1);
  const payable = s.payableFen === null ? "" : ` · payable ¥${yuan(s.payableFen)}`;
  const open = s.state === "ISSUED";
  card.replaceChildren(
    el("h2", {}, `${s.periodStart} – ${last.toISOString().slice(0, 10)} · `,
      el("span", { class: "state" }, STATEMENT_STATES[s.state]), ` · total ¥${yuan(s.totalFen)}${payable}`),
    el("p", { class: "summary" },
      `Goods ¥${yuan(s.goodsFen)} · chargebacks ¥${yuan(s.chargebackFen)} · fee ¥${yuan(s.feeFen)}`,
      s.broughtForwardFen ? ` · brought forward ¥${yuan(s.broughtForwardFen)}` : "",
      s.adjustmentFen ? ` · adjustments ¥${yuan(s.adjustmentFen)}` : "",
      s.carriedForwardFen ? ` · carried forward ¥${yuan(s.carriedForwardFen)}` : ""),
    el("table", {},
      el("thead", {}, el("tr", {}, ["Line", "Detail", "Units", "Amount", "Adjusted", "State", ""].map((h) => el("th", {}, h)))),
      el("tbody", {}, s.lines.nodes.map((line) => lineRow(card, line, open)))),
  );
}

function lineRow(card, line, open) {
  const note = line.disputeReason ? el("div", { class: "reason" }, `异议：${line.disputeReason}`) : "";
  const answer = line.resolutionNote ? el("div", { class: "resolution" }, `处理：${line.resolutionNote}`) : "";
  // Downloads need the bearer token: fetched, then saved (downloads.js).
  const returns = line.returnUrl
    ? el("button", { type: "button", class: "return", onclick: () => saveFile(line.returnUrl, "退供单.pdf") }, "退供单")
    : "";
  const canAnswer = open && (line.state === "OPEN" || line.state === "CONFIRMED");
  return el("tr", { class: "line", "data-id": line.id, "data-state": line.state },
    el("td", {}, KINDS[line.kind] ?? line.kind),
    el("td", {}, line.detail, " ", returns, note, answer),
    el("td", { class: "num" }, line.units ?? ""),
    el("td", { class: "num" }, yuan(line.amountFen)),
    el("td", { class: "num" }, line.adjustmentFen ? yuan(line.netFen) : ""),
    el("td", { class: "state" }, STATES[line.state]),
    el("td", {}, open && line.state === "OPEN" ? confirmForm(card, line) : "",
      canAnswer ? disputeForm(card, line) : ""));
}

function confirmForm(card, line) {
  const form = el("form", { class: "confirm-line" }, el("button", { type: "submit" }, "Confirm"));
  form.addEventListener("submit", (event) => answer(event, form, card, CONFIRM, { id: line.id },
    "supplierStatementLineConfirm"));
  return form;
}

function disputeForm(card, line) {
  const reason = el("input", { name: "reason", placeholder: "Reason", required: true, maxlength: 500 });
  const form = el("form", { class: "dispute-line" }, el("label", {}, reason), el("button", { type: "submit" }, "Dispute"));
  form.addEventListener("submit", (event) => answer(event, form, card, DISPUTE,
    { id: line.id, reason: reason.value }, "supplierStatementLineDispute"));
  return form;
}

async function answer(event, form, card, mutation, variables, name) {
  event.preventDefault();
  await busy(form, async () => {
    const result = (await gql(mutation, variables))[name];
    if (result.userErrors.length) return showUserErrors(form, result.userErrors, zh);
    await redraw(card);
  });
}
