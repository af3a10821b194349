// Driver (司机), on a phone: the routes the dispatcher gave you on a date
// (today unless ?date= says otherwise), stops in order with the pickup point
// and its contact, arrival and hand-over taps, and the route sheets.
import { openFile } from "./downloads.js";
import { showUserErrors } from "./forms.js";
import { el, gql } from "./graphql.js";
import { hhmm, today } from "./format.js";
import { zh } from "./i18n.js";

const ROUTES = `query($d: Date!) { myRoutes(deliveryDate: $d) {
  id number vehicleNumber departureAt returnAt totes vehicleType { name } downloadUrls { csv pdf }
  stops { id position serviceStartAt totes arrivedAt handedOverAt
    pickupPoint { name address contactPhone } } } }`;
const EVENT = (name) => `mutation($input: RouteStopEventInput!) { ${name}(input: $input) {
  delivery { status arrivedAt handedOverAt } userErrors { field code message } } }`;

export async function render(view) {
  const params = new URLSearchParams(location.search);
  const routes = el("div", { id: "routes" });
  const form = el("form", { id: "route-day", class: "inline" },
    el("label", {}, "配送日期",
      el("input", { name: "date", type: "date", value: params.get("date") || today(), required: true })),
    el("button", { type: "submit" }, "查看路线"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await drawRoutes(routes, form.date.value);
  });
  view.append(el("h1", {}, "今日配送"), form, routes);
  form.requestSubmit();
}

async function drawRoutes(box, date) {
  const { myRoutes } = await gql(ROUTES, { d: date });
  box.replaceChildren();
  if (!myRoutes.length) box.append(el("p", { class: "empty" }, "今天还没有分配给你的路线。"));
  for (const route of myRoutes) {
    box.append(el("section", { class: "card route", "data-number": route.number },
      el("h2", {}, `线路 ${route.number} · ${route.vehicleType?.name ?? ""} #${route.vehicleNumber}`),
      el("p", {}, `${hhmm(route.departureAt)} 出发 · ${hhmm(route.returnAt)} 回仓 · ${route.totes} 箱 `,
        el("button", { type: "button", onclick: () => openFile(route.downloadUrls.pdf) }, "路线单 PDF"), " ",
        el("button", { type: "button", onclick: () => openFile(route.downloadUrls.csv) }, "CSV")),
      el("ol", {}, route.stops.map(stopItem))));
  }
}

function stopItem(stop) {
  const state = el("span", { class: "state" });
  const form = el("form", { class: "stop-events" },
    el("button", { type: "submit", value: "routeStopArrive" }, "已到达"), " ",
    el("button", { type: "submit", value: "routeStopHandOver" }, "已交接"));
  const show = (s) => {
    state.textContent = s.handedOverAt ? `已于 ${hhmm(s.handedOverAt)} 交接`
      : s.arrivedAt ? `已于 ${hhmm(s.arrivedAt)} 到达` : "";
    form.querySelector("[value=routeStopArrive]").disabled = Boolean(s.arrivedAt);
    form.querySelector("[value=routeStopHandOver]").disabled = Boolean(s.handedOverAt);
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = event.submitter.value;
    const r = (await gql(EVENT(name), { input: { id: stop.id } }))[name];
    if (r.userErrors.length) return showUserErrors(form, r.userErrors, zh);
    show(r.delivery);
  });
  show(stop);
  const point = stop.pickupPoint;
  return el("li", { class: "stop", "data-id": stop.id },
    el("strong", {}, point?.name ?? "?"), ` · ${hhmm(stop.serviceStartAt)} · ${stop.totes} 箱`, el("br"),
    point?.address ?? "", " · ", el("a", { href: `tel:${point?.contactPhone ?? ""}` }, point?.contactPhone ?? ""),
    el("br"), state, form);
}
