// The shell: sign in, ask the API who this is, load that role's view.
import { signIn, signOut, token } from "./auth.js";
import { el, gql, showErrors } from "./graphql.js";

const VIEWER = `{ viewer { id name role } }`;
const VIEWS = {
  DISPATCHER: "./dispatcher.js",
  SUPPLIER: "./supplier.js",
  LEADER: "./leader.js",
  OPERATOR: "./operator.js",
  CUSTOMER: "./customer.js",
  DRIVER: "./driver.js",
};
// Pages for people in the neighbourhood and on the road are in Chinese.
const CHINESE = new Set(["LEADER", "CUSTOMER", "DRIVER"]);

const view = document.getElementById("view");
const signInForm = document.getElementById("sign-in");
const signOutButton = document.getElementById("sign-out");

signInForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  signIn(signInForm.token.value);
  await start();
});

signOutButton.addEventListener("click", () => {
  signOut();
  location.reload();
});

async function start() {
  if (!token()) return;
  let viewer = null;
  try {
    ({ viewer } = await gql(VIEWER));
  } catch {
    // the banner shows the API's message
  }
  if (!viewer) {
    signOut();
    showErrors(["Unknown token 令牌无效"]);
    return;
  }
  document.getElementById("who").textContent = `${viewer.name} · ${viewer.role}`;
  document.documentElement.lang = CHINESE.has(viewer.role) ? "zh-CN" : "en";
  signOutButton.hidden = false;
  const module = VIEWS[viewer.role];
  if (!module) {
    view.replaceChildren(el("p", {}, `No web view for ${viewer.role} yet.`));
    return;
  }
  const { render } = await import(module);
  view.replaceChildren();
  await render(view, viewer);
}

start();
