// The tokens live in localStorage so a reload keeps the user signed in.
// A phone sign-in keeps an access token, its expiry and a refresh token; a
// token pasted by an API user (made with `tuangou users create`) has neither.
const KEY = "tuangou.token";
const REFRESH_KEY = "tuangou.refresh";
const EXPIRES_KEY = "tuangou.expires";

export const token = () => localStorage.getItem(KEY);
export const refreshToken = () => localStorage.getItem(REFRESH_KEY);
/** When the access token stops working (ms since the epoch), or null for a pasted one. */
export const expiresAt = () => {
  const at = localStorage.getItem(EXPIRES_KEY);
  return at ? Date.parse(at) : null;
};

/** A pasted token: used as it is, never refreshed. */
export function signIn(value) {
  signOut();
  localStorage.setItem(KEY, value.trim());
}

/** The tokens of authSignIn or authRefresh. */
export function keepSession({ accessToken, refreshToken: refresh, accessExpiresAt }) {
  localStorage.setItem(KEY, accessToken);
  localStorage.setItem(REFRESH_KEY, refresh);
  localStorage.setItem(EXPIRES_KEY, accessExpiresAt);
}

export function signOut() {
  for (const key of [KEY, REFRESH_KEY, EXPIRES_KEY]) localStorage.removeItem(key);
}
