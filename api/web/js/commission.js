// A leader's money (佣金): balances, settlement statements, payout requests.
import { busy, notice, showUserErrors } from "./forms.js";
import { el, gql } from "./graphql.js";
import { yuan } from "./format.js";
import { zh } from "./i18n.js";

const MONEY = `{
  commissionBalance { pendingFen availableFen level { name } }
  statements(first: 12) { nodes { periodStart periodEnd accruedFen reversedFen totalFen closingFen } }
  payouts(first: 20) { nodes { amountFen feeFen transferFen status reason requestedAt } } }`;
const REQUEST = `mutation($input: PayoutRequestInput!) { payoutRequest(input: $input) {
  payout { status } userErrors { field code message } } }`;
const STATUS = { REQUESTED: "审核中", APPROVED: "已批准", REJECTED: "已拒绝", PAID: "已打款" };

/** The commission card; redraws itself after a payout request. */
export async function commissionCard(card = el("section", { id: "commission", class: "card" })) {
  const { commissionBalance: balance, statements, payouts } = await gql(MONEY);
  const table = (head, rows) =>
    el("table", {}, el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))), el("tbody", {}, rows));
  card.replaceChildren(
    el("h2", {}, "佣金"),
    el("p", { class: "balance" },
      `可提现 ¥${yuan(balance?.availableFen ?? 0)} · 待结算 ¥${yuan(balance?.pendingFen ?? 0)}`,
      balance?.level ? ` · 等级 ${balance.level.name}` : ""),
    statements.nodes.length
      ? table(["结算周期", "佣金", "冲回", "期末余额"], statements.nodes.map((s) =>
          el("tr", { class: "statement" },
            el("td", {}, `${s.periodStart} ~ ${s.periodEnd}`),
            el("td", { class: "num" }, yuan(s.accruedFen)),
            el("td", { class: "num" }, yuan(s.reversedFen)),
            el("td", { class: "num" }, yuan(s.closingFen)))))
      : el("p", {}, "还没有结算单。"),
    payoutForm(card),
    payouts.nodes.length
      ? table(["提现", "手续费", "到账", "状态"], payouts.nodes.map((p) =>
          el("tr", { class: "payout" },
            el("td", { class: "num" }, yuan(p.amountFen)),
            el("td", { class: "num" }, yuan(p.feeFen)),
            el("td", { class: "num" }, yuan(p.transferFen)),
            el("td", {}, STATUS[p.status] ?? p.status, p.reason ? `（${p.reason}）` : ""))))
      : "",
  );
  return card;
}

function payoutForm(card) {
  // One key per form: a retried submit (e.g. after a lost answer) is the same request.
  const key = crypto.randomUUID();
  const form = el("form", { id: "payout-request" },
    el("label", {}, "提现金额（元）", el("input", { name: "amountFen", type: "number", min: 0, step: "0.01", required: true })),
    el("button", { type: "submit" }, "申请提现"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const amountFen = Math.round(Number(form.amountFen.value) * 100);
      const { payoutRequest: r } = await gql(REQUEST, { input: { amountFen, idempotencyKey: key } });
      if (r.userErrors.length) return showUserErrors(form, r.userErrors, zh);
      await commissionCard(card);
      notice(card.querySelector("#payout-request"), "提现申请已提交");
    });
  });
  return form;
}
