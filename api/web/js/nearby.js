// 附近的自提点: a customer without a leader's share link finds pickup points
// around them (the phone's location, or latitude and longitude typed in,
// WGS-84 as GPS gives them), nearest first, and chooses the one to order
// through; the server keeps the choice (pickupPointChoose).
import { busy, showUserErrors, values } from "./forms.js";
import { el, gql } from "./graphql.js";
import { zh } from "./i18n.js";

const NEAR = `query($lat: Float!, $lon: Float!, $r: Int!) {
  pickupPointsNear(location: {lat: $lat, lon: $lon, system: WGS84}, radiusM: $r) {
    distanceM point { id name address } } }`;
const CHOOSE = `mutation($input: PickupPointChooseInput!) { pickupPointChoose(input: $input) {
  pickupPoint { id name address } userErrors { field code message } } }`;
const RADII = [[1000, "1 公里"], [3000, "3 公里"], [5000, "5 公里"]];

/** "350 米" under a kilometre, else "1.2 公里". */
export const distanceText = (metres) =>
  metres < 1000 ? `${Math.round(metres)} 米` : `${(metres / 1000).toFixed(1)} 公里`;

/**
 * The finder. ``onChosen(point)`` runs once the server has bound the
 * customer to ``point``; ``onCancel``, if given, adds a 返回 button.
 */
export function finder({ onChosen, onCancel = null }) {
  const results = el("ul", { id: "nearby-results" });
  const form = el("form", { id: "nearby-form" },
    el("label", {}, "纬度", el("input", { name: "lat", type: "number", step: "any", min: -90, max: 90, required: true })),
    el("label", {}, "经度", el("input", { name: "lon", type: "number", step: "any", min: -180, max: 180, required: true })),
    el("label", {}, "范围", el("select", { name: "radiusM" },
      RADII.map(([m, text]) => el("option", { value: m, selected: m === 3000 }, text)))),
    el("button", { type: "submit" }, "查找"));
  const locate = el("button", { type: "button", id: "use-location" }, "使用我的位置");
  const status = el("p", { class: "nearby-status" });
  locate.addEventListener("click", () => useLocation(form, status, locate));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, () => search(form, results, status, onChosen));
  });
  return el("section", { id: "nearby", class: "card" },
    el("h1", {}, "附近的自提点"),
    el("p", {}, "没有团长的分享链接？选一个离你近的自提点下单、提货。"),
    locate,
    onCancel ? el("button", { type: "button", class: "cancel", onclick: onCancel }, "返回") : "",
    form, status, results);
}

function useLocation(form, status, button) {
  if (!navigator.geolocation) {
    status.textContent = "浏览器不支持定位，请手动输入经纬度。";
    return;
  }
  button.disabled = true;
  status.textContent = "正在定位…";
  navigator.geolocation.getCurrentPosition(
    (position) => {
      button.disabled = false;
      status.textContent = "";
      form.lat.value = position.coords.latitude.toFixed(6);
      form.lon.value = position.coords.longitude.toFixed(6);
      form.requestSubmit();
    },
    () => {
      button.disabled = false;
      status.textContent = "无法获取位置，请手动输入经纬度。";
    },
    { enableHighAccuracy: false, timeout: 15_000, maximumAge: 300_000 });
}

async function search(form, results, status, onChosen) {
  const v = values(form);
  const { pickupPointsNear: found } = await gql(NEAR, { lat: v.lat, lon: v.lon, r: Number(v.radiusM) });
  status.textContent = found.length ? `找到 ${found.length} 个自提点（由近到远）` : "附近没有可下单的自提点，试试扩大范围。";
  results.replaceChildren(...found.map((near) => row(near, onChosen)));
}

function row({ point, distanceM }, onChosen) {
  const form = el("form", { class: "nearby-point", "data-id": point.id },
    el("strong", { class: "name" }, point.name),
    el("span", { class: "distance" }, distanceText(distanceM)),
    el("p", { class: "address" }, point.address),
    el("button", { type: "submit" }, "选择"));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      const { pickupPointChoose: r } = await gql(CHOOSE, { input: { pickupPointId: point.id } });
      if (r.userErrors.length) return showUserErrors(form, r.userErrors, zh);
      await onChosen(r.pickupPoint);
    });
  });
  return el("li", {}, form);
}
