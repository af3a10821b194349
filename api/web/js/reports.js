// Operator reports (issue 22): a range of business dates and optional
// filters, one report at a time: its rows as a table, a line or bar chart
// drawn here as SVG (nothing fetched from elsewhere), CSV and XLSX downloads.
import { busy } from "./forms.js";
import { el, gql } from "./graphql.js";
import { today, yuan } from "./format.js";
import { saveFile } from "./downloads.js";

const ARGS = "$range: ReportRange!, $filter: ReportFilter";
const IN = "range: $range, filter: $filter";
const pct = (bps) => (bps === null || bps === undefined ? "-" : `${(bps / 100).toFixed(2)}%`);
const money = (fen) => yuan(fen);
// A register row's payee: a leader by name, a grid warehouse marked as one.
const payee = (row) => (row.payeeKind === "GRID" ? `网格仓 ${row.payeeName}` : row.payeeName);

// Each report: its query (one root field per request), the filters it takes,
// and how its answer becomes table rows and a chart series.
const REPORTS = {
  sales: {
    title: "Sales",
    filters: ["warehouseId", "supplierId", "leaderId", "category"],
    query: `query(${ARGS}) { reportSales(${IN}) {
      totals { gmvFen orders customers averageBasketFen refundedFen netFen }
      days { date gmvFen orders customers averageBasketFen refundedFen netFen } } }`,
    table(data) {
      const r = data.reportSales;
      const row = (d, label) => [label, money(d.gmvFen), d.orders, d.customers,
        money(d.averageBasketFen), money(d.refundedFen), money(d.netFen)];
      return {
        head: ["Date", "GMV ¥", "Orders", "Customers", "Avg basket ¥", "Refunds ¥", "Net ¥"],
        rows: [...r.days.map((d) => row(d, d.date)), row(r.totals, "Total")],
        chart: { kind: "line", label: "GMV ¥ per day", points: r.days.map((d) => [d.date, d.gmvFen / 100]) },
      };
    },
  },
  leaders: {
    title: "Leader ranking",
    filters: ["warehouseId", "supplierId", "leaderId", "category"],
    query: `query(${ARGS}) { reportLeaderRanking(${IN}, first: 100) { nodes { rank leaderName
      pickupPoint salesFen orders customers commissionFen afterSaleFen afterSaleBps } } }`,
    table(data) {
      const nodes = data.reportLeaderRanking.nodes;
      return {
        head: ["#", "Leader", "Point", "Sales ¥", "Orders", "Customers", "Commission ¥", "After-sale ¥", "After-sale rate"],
        rows: nodes.map((n) => [n.rank, n.leaderName, n.pickupPoint, money(n.salesFen), n.orders,
          n.customers, money(n.commissionFen), money(n.afterSaleFen), pct(n.afterSaleBps)]),
        chart: { kind: "bar", label: "Sales ¥ by leader", points: nodes.slice(0, 20).map((n) => [n.leaderName, n.salesFen / 100]) },
      };
    },
  },
  suppliers: {
    title: "Supplier fill",
    filters: ["warehouseId", "supplierId", "category"],
    query: `query(${ARGS}) { reportSupplierFill(${IN}) { supplierName customerUnits orderedUnits
      confirmedUnits receivedUnits acceptedUnits shortUnits shortFen confirmedBps acceptedBps
      shortageBps qcFailureBps } }`,
    table(data) {
      const rows = data.reportSupplierFill;
      return {
        head: ["Supplier", "Customers' units", "Ordered", "Confirmed", "Received", "Accepted", "Short",
          "Short ¥", "Confirmed ÷ ordered", "Accepted ÷ confirmed", "Shortage", "QC failure"],
        rows: rows.map((r) => [r.supplierName, r.customerUnits, r.orderedUnits, r.confirmedUnits,
          r.receivedUnits, r.acceptedUnits, r.shortUnits, money(r.shortFen), pct(r.confirmedBps),
          pct(r.acceptedBps), pct(r.shortageBps), pct(r.qcFailureBps)]),
        chart: { kind: "bar", label: "Accepted ÷ confirmed %", points: rows.map((r) => [r.supplierName, (r.acceptedBps ?? 0) / 100]) },
      };
    },
  },
  afterSale: {
    title: "After-sale by product",
    filters: ["warehouseId", "supplierId", "leaderId", "category"],
    query: `query(${ARGS}) { reportAfterSaleByProduct(${IN}) { productName category soldUnits
      salesFen refunds refundedUnits refundedFen afterSaleBps } }`,
    table(data) {
      const rows = data.reportAfterSaleByProduct;
      return {
        head: ["Product", "Category", "Sold", "Sales ¥", "Refunds", "Units", "Refunded ¥", "Rate"],
        rows: rows.map((r) => [r.productName, r.category, r.soldUnits, money(r.salesFen), r.refunds,
          r.refundedUnits, money(r.refundedFen), pct(r.afterSaleBps)]),
        chart: { kind: "bar", label: "After-sale ¥ by product", points: rows.slice(0, 20).map((r) => [r.productName, r.refundedFen / 100]) },
      };
    },
  },
  refunds: {
    title: "Refunds by reason",
    filters: ["warehouseId", "supplierId", "leaderId", "category"],
    query: `query(${ARGS}) { reportRefundsByReason(${IN}) { refunds amountFen returnedFen
      reasons { reason refunds amountFen returnedFen } days { date amountFen } } }`,
    table(data) {
      const r = data.reportRefundsByReason;
      return {
        head: ["Reason", "Refunds", "Amount ¥", "Returned ¥"],
        rows: [...r.reasons.map((x) => [x.reason, x.refunds, money(x.amountFen), money(x.returnedFen)]),
          ["Total", r.refunds, money(r.amountFen), money(r.returnedFen)]],
        chart: { kind: "line", label: "Refunds ¥ per delivery date", points: r.days.map((d) => [d.date, d.amountFen / 100]) },
      };
    },
  },
  settlements: {
    title: "Settlement register",
    filters: ["warehouseId", "leaderId"],
    query: `query(${ARGS}) { reportSettlementRegister(${IN}, first: 100) {
      periods { periodEnd statements totalFen }
      statements { nodes { periodStart periodEnd payeeKind payeeName openingFen accruedFen
        reversedFen cashHeldFen totalFen closingFen } } } }`,
    table(data) {
      const r = data.reportSettlementRegister;
      return {
        head: ["From", "To", "Payee", "Opening ¥", "Accrued ¥", "Reversed ¥", "Cash held ¥", "Total ¥", "Closing ¥"],
        rows: r.statements.nodes.map((s) => [s.periodStart, s.periodEnd, payee(s), money(s.openingFen),
          money(s.accruedFen), money(s.reversedFen), money(s.cashHeldFen), money(s.totalFen), money(s.closingFen)]),
        chart: { kind: "bar", label: "Settled ¥ per period", points: r.periods.map((p) => [p.periodEnd, p.totalFen / 100]) },
      };
    },
  },
  payouts: {
    title: "Payout register",
    filters: ["warehouseId", "leaderId"],
    query: `query(${ARGS}) { reportPayoutRegister(${IN}, first: 100) { days { date amountFen }
      payouts { nodes { payeeKind payeeName gridOperatorName requestedAt status amountFen feeFen
        transferFen paidAt } } } }`,
    table(data) {
      const r = data.reportPayoutRegister;
      return {
        head: ["Payee", "Asked by", "Requested", "Status", "Amount ¥", "Fee ¥", "Transfer ¥", "Paid"],
        rows: r.payouts.nodes.map((p) => [payee(p), p.gridOperatorName ?? "", p.requestedAt.slice(0, 16),
          p.status, money(p.amountFen), money(p.feeFen), money(p.transferFen), p.paidAt?.slice(0, 16) ?? ""]),
        chart: { kind: "line", label: "Payouts ¥ per day", points: r.days.map((d) => [d.date, d.amountFen / 100]) },
      };
    },
  },
};

// Download names of the reports (the server's report keys).
const FILES = {
  sales: "sales", leaders: "leader-ranking", suppliers: "supplier-fill",
  afterSale: "after-sale-by-product", refunds: "refunds-by-reason",
  settlements: "settlement-register", payouts: "payout-register",
};

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

/** A line or bar chart of ``points`` ([label, number] pairs) as an SVG element. */
export function chart({ kind, label, points }) {
  const width = 640, height = 240, left = 56, bottom = 36, top = 24, right = 16;
  const plotW = width - left - right, plotH = height - top - bottom;
  const max = Math.max(1, ...points.map(([, v]) => v));
  const y = (v) => top + plotH - (v / max) * plotH;
  const root = svg("svg", { class: "chart", "data-kind": kind, viewBox: `0 0 ${width} ${height}`,
    width, height, role: "img", "aria-label": label });
  root.append(svg("text", { x: left, y: 16, class: "chart-title" }, label),
    svg("line", { x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH, stroke: "#888" }),
    svg("line", { x1: left, y1: top, x2: left, y2: top + plotH, stroke: "#888" }),
    svg("text", { x: left - 4, y: top + 4, "text-anchor": "end", class: "axis" }, max.toFixed(2)),
    svg("text", { x: left - 4, y: top + plotH, "text-anchor": "end", class: "axis" }, "0"));
  if (!points.length) return root;
  const step = plotW / points.length;
  const x = (i) => left + step * i + step / 2;
  const every = Math.ceil(points.length / 10); // at most ten labels under the axis
  points.forEach(([name, value], i) => {
    const title = svg("title", {}, `${name}: ${value.toFixed(2)}`);
    if (kind === "bar") {
      root.append(svg("rect", { class: "bar", x: x(i) - step * 0.35, y: y(value), width: step * 0.7,
        height: top + plotH - y(value), fill: "#3b7dd8" }, title));
    } else {
      root.append(svg("circle", { class: "point", cx: x(i), cy: y(value), r: 3, fill: "#3b7dd8" }, title));
    }
    if (i % every === 0) {
      root.append(svg("text", { x: x(i), y: height - 20, "text-anchor": "middle", class: "axis" },
        /^\d{4}-\d{2}-\d{2}$/.test(name) ? name.slice(5) : String(name).slice(0, 10)));
    }
  });
  if (kind === "line") {
    const line = points.map(([, v], i) => `${x(i)},${y(v)}`).join(" ");
    root.prepend(svg("polyline", { class: "line", points: line, fill: "none", stroke: "#3b7dd8", "stroke-width": 2 }));
  }
  return root;
}

function table({ head, rows }) {
  return el("table", { class: "report" },
    el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c) => el("td", {}, c))))));
}

const FILTER_LABELS = { warehouseId: "Warehouse ID", supplierId: "Supplier ID", leaderId: "Leader ID", category: "Category" };

function asked(form) {
  const report = REPORTS[form.report.value];
  const filter = {};
  for (const name of report.filters) {
    const value = form[name].value.trim();
    if (value) filter[name] = value;
  }
  return { key: form.report.value, report, range: { start: form.start.value, end: form.end.value }, filter };
}

export async function drawReports(box) {
  const end = today();
  const start = new Date(Date.parse(end) - 29 * 86400 * 1000).toISOString().slice(0, 10);
  const output = el("div", { class: "report-output" });
  const form = el("form", { id: "report-form", class: "inline" },
    el("label", {}, "Report ", el("select", { name: "report" },
      Object.entries(REPORTS).map(([key, r]) => el("option", { value: key }, r.title)))),
    el("label", {}, "From ", el("input", { type: "date", name: "start", value: start, required: true })),
    el("label", {}, "To ", el("input", { type: "date", name: "end", value: end, required: true })),
    Object.entries(FILTER_LABELS).map(([name, text]) => el("label", {}, `${text} `, el("input", { name }))),
    el("button", { type: "submit" }, "Show"),
    el("button", { type: "button", value: "csv" }, "CSV"),
    el("button", { type: "button", value: "xlsx" }, "XLSX"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(form, async () => {
      const { report, range, filter } = asked(form);
      const data = await gql(report.query, { range, filter });
      const shown = report.table(data);
      output.replaceChildren(chart(shown.chart), table(shown));
    });
  });
  for (const fmt of ["csv", "xlsx"]) {
    form.querySelector(`button[value=${fmt}]`).addEventListener("click", () => {
      const { key, range, filter } = asked(form);
      const query = new URLSearchParams({ ...range, ...filter });
      const file = `${FILES[key]}-${range.start}_${range.end}.${fmt}`;
      saveFile(`/exports/reports/${FILES[key]}.${fmt}?${query}`, file);
    });
  }
  box.replaceChildren(el("h2", {}, "Reports"), form, output);
}
