// Supplier (desk): purchase orders by revision, confirm lines, download files.
import { saveFile } from "./downloads.js";
import { busy, notice, showUserErrors } from "./forms.js";
import { el, gql } from "./graphql.js";
import { yuan } from "./format.js";
import { renderStatements } from "./supplier_statements.js";

const LIST = `{ purchaseOrders(first: 100) { nodes { id deliveryDate revision } } }`;
const ORDER = `query($id: ID!, $r: Int) { node(id: $id) { ... on PurchaseOrder {
  id deliveryDate revision totalCostFen supplier { name }
  downloadUrls(revision: $r) { csv xlsx pdf }
  changes(revision: $r) { unitsBefore unitsAfter product { name } }
  lines(revision: $r) { orderedUnits casePack cases purchaseUnits surplusUnits unitCostFen costFen
    confirmedUnits product { id name } } } } }`;
const CONFIRM = `mutation($input: PurchaseOrderConfirmInput!) { purchaseOrderConfirm(input: $input) {
  purchaseOrder { id } shortedUnits userErrors { field code message } } }`;

export async function render(view) {
  const { purchaseOrders } = await gql(LIST);
  view.append(el("h1", {}, "Purchase orders"));
  if (!purchaseOrders.nodes.length) view.append(el("p", {}, "No purchase orders yet."));
  for (const po of purchaseOrders.nodes) {
    const card = el("section", { class: "card purchase-order", "data-id": po.id });
    view.append(card);
    await drawOrder(card, po.id, po.revision);
  }
  await renderStatements(view);
}

async function drawOrder(card, id, revision) {
  const { node: po } = await gql(ORDER, { id, r: revision });
  const current = revision === po.revision;
  const picker = el("select", { name: "revision" },
    Array.from({ length: po.revision }, (_, i) =>
      el("option", { value: i + 1, selected: i + 1 === revision }, `Revision ${i + 1}`)));
  picker.addEventListener("change", () => drawOrder(card, id, Number(picker.value)));
  const file = (kind) => `po-${po.deliveryDate}-r${revision}.${kind}`;
  card.replaceChildren(
    el("h2", {}, `${po.supplier?.name ?? ""} · delivery ${po.deliveryDate} · `,
      `current revision ${po.revision} · total ¥${yuan(po.totalCostFen)}`),
    el("p", {}, el("label", {}, "Showing ", picker), " ",
      el("button", { type: "button", class: "csv", onclick: () => saveFile(po.downloadUrls.csv, file("csv")) }, "Download CSV"),
      " ",
      el("button", { type: "button", class: "xlsx", onclick: () => saveFile(po.downloadUrls.xlsx, file("xlsx")) }, "Download XLSX"),
      " ",
      el("button", { type: "button", class: "pdf", onclick: () => saveFile(po.downloadUrls.pdf, file("pdf")) }, "Download PDF")),
    po.changes.length
      ? el("ul", { class: "changes" }, po.changes.map((c) =>
          el("li", {}, `${c.product?.name ?? "?"}: ${c.unitsBefore} → ${c.unitsAfter} units`)))
      : "",
    confirmForm(card, po, revision, current),
  );
}

function confirmForm(card, po, revision, current) {
  const head = ["Product", "Ordered", "Case pack", "Cases", "Units to buy", "Unit cost", "Cost", "Confirmed"];
  if (current) head.push("Confirm units");
  const rows = po.lines.map((line, i) =>
    el("tr", { class: "line" },
      el("td", {}, line.product?.name ?? "?"),
      el("td", { class: "num" }, line.orderedUnits),
      el("td", { class: "num" }, line.casePack),
      el("td", { class: "num" }, line.cases),
      el("td", { class: "num" }, line.purchaseUnits),
      el("td", { class: "num" }, yuan(line.unitCostFen)),
      el("td", { class: "num" }, yuan(line.costFen)),
      el("td", { class: "num confirmed" }, line.confirmedUnits ?? "—"),
      current
        ? el("td", {}, el("label", {}, el("input", {
            name: `lines.${i}.units`, type: "number", min: 0, required: true,
            value: line.confirmedUnits ?? line.purchaseUnits, "data-product": line.product?.id,
          })))
        : ""));
  const form = el("form", { class: "confirm" },
    el("table", {}, el("thead", {}, el("tr", {}, head.map((h) => el("th", {}, h)))), el("tbody", {}, rows)),
    current ? el("button", { type: "submit" }, "Confirm lines") : "");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const lines = [...form.querySelectorAll("input[data-product]")].map((input) => ({
        productId: input.dataset.product,
        units: Number(input.value),
      }));
      const { purchaseOrderConfirm: result } = await gql(CONFIRM, { input: { id: po.id, lines } });
      if (result.userErrors.length) return showUserErrors(form, result.userErrors);
      await drawOrder(card, po.id, revision);
      const short = result.shortedUnits ? `; ${result.shortedUnits} units short, customers refunded` : "";
      notice(card.querySelector("form.confirm"), `Confirmed${short}.`);
    });
  });
  return form;
}
