// The shell: sign in (phone and SMS code, or a pasted API token), ask the API
// who this is, load that role's view.
import { refreshToken, signIn, signOut, token } from "./auth.js";
import { el, gql, showErrors } from "./graphql.js";
import { setUpPhoneSignIn } from "./sign_in.js";

const VIEWER = `{ viewer { id name role } }`;
const SIGN_OUT = `mutation { authSignOut { signedOut } }`;
const VIEWS = {
  DISPATCHER: "./dispatcher.js",
  SUPPLIER: "./supplier.js",
  LEADER: "./leader.js",
  OPERATOR: "./operator.js",
  CUSTOMER: "./customer.js",
  DRIVER: "./driver.js",
  WAREHOUSE: "./warehouse.js",
  GRID_OPERATOR: "./grid.js",
};
// Pages for people in the neighbourhood, on the road and on the warehouse
// floor are in Chinese.
const CHINESE = new Set(["LEADER", "CUSTOMER", "DRIVER", "WAREHOUSE", "GRID_OPERATOR"]);

const view = document.getElementById("view");
const signInForm = document.getElementById("sign-in");
const signOutButton = document.getElementById("sign-out");

signInForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  signIn(signInForm.token.value);
  await start();
});

setUpPhoneSignIn(document.getElementById("phone-sign-in"), () => start());

signOutButton.addEventListener("click", async () => {
  // A pasted service token has no session to end: it is only forgotten here.
  if (refreshToken()) {
    try {
      await gql(SIGN_OUT);
    } catch {
      // signed out on this device all the same
    }
  }
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
    const phone = refreshToken() !== null;
    signOut();
    showErrors([phone ? "登录已失效，请重新登录" : "Unknown token 令牌无效"]);
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
