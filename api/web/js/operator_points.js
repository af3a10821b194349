// Operator: pickup points. Each point is edited in place (pickupPointUpdate)
// from the version the page showed, so an edit made over someone else's is
// refused (STALE) and the form offers a reload (docs/setup-editing.md). A
// location typed in GCJ-02 (AMap, Tencent) or BD-09 (Baidu) is converted to
// WGS-84 by the server. Each point's history (setupHistory) on demand.
import { busy, notice, showUserErrors, values } from "./forms.js";
import { el, gql } from "./graphql.js";

const FIELDS = `id name address contactPhone version location { lat lon } receivingWindow { start end }
  leader { status user { name } }`;
const POINTS = `{ pickupPoints(first: 100) { nodes { ${FIELDS} } } }`;
const UPDATE = `mutation($input: PickupPointUpdateInput!) { pickupPointUpdate(input: $input) {
  pickupPoint { ${FIELDS} } userErrors { field code message } } }`;
const HISTORY = `query($id: ID!) { setupHistory(id: $id, first: 50) { nodes { version at
  actor { name } changes { field before after } } } }`;
const SYSTEMS = [["WGS84", "WGS-84 (GPS)"], ["GCJ02", "GCJ-02 (AMap, Tencent)"], ["BD09", "BD-09 (Baidu)"]];

/** Fill ``box`` (section#points) with one row per pickup point. */
export async function drawPoints(box) {
  const { pickupPoints } = await gql(POINTS);
  const redraw = () => drawPoints(box);
  box.replaceChildren(el("h2", {}, "Pickup points"),
    pickupPoints.nodes.length
      ? el("div", { class: "points" }, pickupPoints.nodes.map((p) => pointRow(p, redraw)))
      : el("p", { class: "empty" }, "No pickup points yet."));
}

const hm = (t) => t.slice(0, 5);

function pointRow(point, redraw) {
  const w = point.receivingWindow;
  const leader = point.leader ? `${point.leader.user?.name ?? "?"} (${point.leader.status})` : "no leader";
  const edit = editForm(point);
  const history = el("div", { class: "history" });
  const row = el("article", { class: "point", "data-id": point.id, "data-version": point.version },
    el("h3", {}, point.name, " ", el("small", { class: "version" }, `v${point.version}`)),
    el("p", { class: "summary" },
      `${point.address} · leader ${leader} · receives ${hm(w.start)}–${hm(w.end)} · ${point.contactPhone}`),
    edit,
    el("button", { type: "button", class: "history-show", onclick: () => drawHistory(history, point.id) },
      "History"),
    history);
  edit.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(edit, async () => {
      const { pickupPointUpdate: result } = await gql(UPDATE, { input: updateInput(edit, point) });
      if (result.userErrors.length) {
        showUserErrors(edit, result.userErrors);
        if (result.userErrors.some((e) => e.code === "STALE")) {
          edit.querySelector(".form-error[data-code=STALE]")
            ?.append(" ", el("button", { type: "button", class: "reload", onclick: redraw }, "Reload"));
        }
        return;
      }
      const fresh = pointRow(result.pickupPoint, redraw);
      row.replaceWith(fresh);
      notice(fresh.querySelector("form.point-edit"), "Saved.");
    });
  });
  return row;
}

function editForm(point) {
  const { lat, lon } = point.location;
  const w = point.receivingWindow;
  const input = (name, value, extra = {}) => el("input", { name, value, ...extra });
  return el("form", { class: "point-edit" },
    el("label", {}, "Name", input("name", point.name, { required: true, maxlength: 100 })),
    el("label", {}, "Address", input("address", point.address, { required: true, maxlength: 300 })),
    el("label", {}, "Latitude", input("location.lat", lat, { type: "number", step: "any", required: true })),
    el("label", {}, "Longitude", input("location.lon", lon, { type: "number", step: "any", required: true })),
    el("label", {}, "Coordinates from", el("select", { name: "location.system" },
      SYSTEMS.map(([value, text]) => el("option", { value }, text)))),
    el("label", {}, "Receives from", input("receivingWindow.start", hm(w.start), { type: "time", required: true })),
    el("label", {}, "Receives until", input("receivingWindow.end", hm(w.end), { type: "time", required: true })),
    el("label", {}, "Phone", input("contactPhone", point.contactPhone, { required: true, maxlength: 32 })),
    el("button", { type: "submit" }, "Save"));
}

/** What changed on the form; the location only when it was retyped or given in another system. */
function updateInput(form, point) {
  const v = values(form);
  const input = { id: point.id, expectedVersion: point.version, name: v.name ?? "", address: v.address ?? "",
    contactPhone: v.contactPhone ?? "",
    receivingWindow: { start: v["receivingWindow.start"], end: v["receivingWindow.end"] } };
  const location = { lat: v["location.lat"], lon: v["location.lon"], system: v["location.system"] };
  const moved = location.system !== "WGS84" || location.lat !== point.location.lat
    || location.lon !== point.location.lon;
  if (moved) input.location = location;
  return input;
}

async function drawHistory(box, id) {
  const { setupHistory } = await gql(HISTORY, { id });
  const change = (c) => `${c.field}: ${JSON.stringify(c.before)} → ${JSON.stringify(c.after)}`;
  box.replaceChildren(setupHistory.nodes.length
    ? el("ol", { class: "setup-history" }, setupHistory.nodes.map((h) =>
      el("li", { "data-version": h.version },
        `v${h.version} · ${new Date(h.at).toLocaleString("en-GB", { timeZone: "Asia/Shanghai" })} · `,
        `${h.actor?.name ?? "?"}: ${h.changes.map(change).join("; ")}`)))
    : el("p", { class: "empty" }, "No edits yet."));
}
