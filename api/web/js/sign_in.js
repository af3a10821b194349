// Signing in with a phone number and the SMS code (issue 17). A share link
// (/app/?share=CODE) passes its code along, so a new resident is bound to
// that leader's pickup point and lands on its campaign.
import { keepSession } from "./auth.js";
import { busy, clearErrors, notice, showUserErrors } from "./forms.js";
import { gql } from "./graphql.js";
import { zh } from "./i18n.js";

const ASK = `mutation($phone: String!) { authCodeRequest(input: {phone: $phone}) {
  retryAfterSeconds userErrors { field code message remaining } } }`;
const SIGN_IN = `mutation($input: AuthSignInInput!) { authSignIn(input: $input) {
  accessToken refreshToken accessExpiresAt userErrors { field code message remaining } } }`;
// Seconds before a new code may be asked for, when the server does not say.
const DEFAULT_WAIT_S = 60;

/** Wire the phone form; ``onSignedIn`` runs once the tokens are stored. */
export function setUpPhoneSignIn(form, onSignedIn) {
  const askButton = form.querySelector("#ask-code");
  askButton.addEventListener("click", async () => {
    if (!form.phone.reportValidity()) return;
    askButton.disabled = true;
    let wait = 0;
    try {
      const { authCodeRequest: r } = await gql(ASK, { phone: form.phone.value });
      const limited = r.userErrors.find((e) => e.code === "RATE_LIMITED");
      if (r.userErrors.length) showUserErrors(form, r.userErrors, zh);
      else notice(form, "验证码已发送");
      if (!r.userErrors.length || limited) {
        wait = r.retryAfterSeconds ?? limited?.remaining ?? DEFAULT_WAIT_S;
        form.code.focus();
      }
    } catch {
      // the banner shows the API's message
    }
    countdown(askButton, wait);
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    const input = { phone: form.phone.value, code: form.code.value.trim() };
    const share = new URLSearchParams(location.search).get("share");
    if (share) input.shareCode = share;
    await busy(form, async () => {
      const { authSignIn: r } = await gql(SIGN_IN, { input });
      if (r.userErrors.length) return showUserErrors(form, r.userErrors, zh);
      keepSession(r);
      await onSignedIn();
    });
  });
}

/** "获取验证码" disabled for ``seconds``, showing how many are left. */
function countdown(button, seconds) {
  const label = "获取验证码";
  const until = Date.now() + seconds * 1000;
  const tick = () => {
    const left = Math.ceil((until - Date.now()) / 1000);
    if (left <= 0) {
      button.disabled = false;
      button.textContent = label;
      return;
    }
    button.disabled = true;
    button.textContent = `${left} 秒后可重新获取`;
    setTimeout(tick, 1000);
  };
  tick();
}
