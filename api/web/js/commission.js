// A payee's money: a leader's commission (佣金) or a grid warehouse's fees per
// piece (网格仓计件费), one card: balances, settlement statements, payout
// requests. The two differ only in their queries and words (BOOKS).
import { busy, notice, showUserErrors } from "./forms.js";
import { el, gql } from "./graphql.js";
import { yuan } from "./format.js";
import { zh } from "./i18n.js";

const STATEMENT = "periodStart periodEnd accruedFen reversedFen totalFen closingFen";
const PAYOUT = "amountFen feeFen transferFen status reason requestedAt";
const requesting = (field) => `mutation($input: PayoutRequestInput!) { ${field}(input: $input) {
  payout { status } userErrors { field code message } } }`;
const BOOKS = {
  leader: {
    id: "commission", title: "佣金", earned: "佣金", request: "payoutRequest",
    money: `{ balance: commissionBalance { pendingFen availableFen level { name } }
      statements(first: 12) { nodes { ${STATEMENT} } } payouts(first: 20) { nodes { ${PAYOUT} } } }`,
  },
  grid: {
    id: "grid-fees", title: "计件费", earned: "计件费", request: "gridPayoutRequest",
    money: `{ balance: gridFeeBalance { pendingFen availableFen }
      statements: gridFeeStatements(first: 12) { nodes { ${STATEMENT} } }
      payouts: gridPayouts(first: 20) { nodes { ${PAYOUT} } } }`,
  },
};
const STATUS = { REQUESTED: "审核中", APPROVED: "已批准", REJECTED: "已拒绝", PAID: "已打款", FAILED: "转账失败" };

/** The leader's commission card; redraws itself after a payout request. */
export function commissionCard(card) {
  return moneyCard(BOOKS.leader, card);
}

/** A grid operator's card of its grid's fees per piece. */
export function gridFeesCard(card) {
  return moneyCard(BOOKS.grid, card);
}

async function moneyCard(book, card = el("section", { id: book.id, class: "card" })) {
  const { balance, statements, payouts } = await gql(book.money);
  const table = (head, rows) =>
    el("table", {}, el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))), el("tbody", {}, rows));
  card.replaceChildren(
    el("h2", {}, book.title),
    el("p", { class: "balance" },
      `可提现 ¥${yuan(balance?.availableFen ?? 0)} · 待结算 ¥${yuan(balance?.pendingFen ?? 0)}`,
      balance?.level ? ` · 等级 ${balance.level.name}` : ""),
    statements.nodes.length
      ? table(["结算周期", book.earned, "冲回", "期末余额"], statements.nodes.map((s) =>
          el("tr", { class: "statement" },
            el("td", {}, `${s.periodStart} ~ ${s.periodEnd}`),
            el("td", { class: "num" }, yuan(s.accruedFen)),
            el("td", { class: "num" }, yuan(s.reversedFen)),
            el("td", { class: "num" }, yuan(s.closingFen)))))
      : el("p", {}, "还没有结算单。"),
    payoutForm(book, card),
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

function payoutForm(book, card) {
  // One key per form: a retried submit (e.g. after a lost answer) is the same request.
  const key = crypto.randomUUID();
  const form = el("form", { id: "payout-request" },
    el("label", {}, "提现金额（元）", el("input", { name: "amountFen", type: "number", min: 0, step: "0.01", required: true })),
    el("button", { type: "submit" }, "申请提现"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const amountFen = Math.round(Number(form.amountFen.value) * 100);
      const answer = await gql(requesting(book.request), { input: { amountFen, idempotencyKey: key } });
      const r = answer[book.request];
      if (r.userErrors.length) return showUserErrors(form, r.userErrors, zh);
      await moneyCard(book, card);
      notice(card.querySelector("#payout-request"), "提现申请已提交");
    });
  });
  return form;
}
