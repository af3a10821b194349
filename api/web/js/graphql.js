// The one way to talk to the API: POST /graphql with the stored token. A
// phone sign-in's access token is refreshed silently before it expires, or
// when the server says it has (UNAUTHENTICATED, reason EXPIRED); when the
// refresh is refused the page goes back to sign-in.
import { expiresAt, keepSession, refreshToken, signOut, token } from "./auth.js";

const REFRESH = `mutation($t: String!) { authRefresh(input: {refreshToken: $t}) {
  accessToken refreshToken accessExpiresAt userErrors { code } } }`;
// Refresh this long before the access token's expiry.
const EARLY_MS = 60_000;

/** Errors at the top of the response (not userErrors): bad query, no access... */
export class ApiError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join("; "));
    this.errors = errors;
  }
}

export async function gql(query, variables = {}) {
  const at = expiresAt();
  if (refreshToken() && at !== null && at - Date.now() < EARLY_MS) await refresh();
  let body = await post(query, variables);
  if (refreshToken() && isExpired(body)) {
    await refresh();
    body = await post(query, variables);
  }
  if (body.errors && body.errors.length) {
    showErrors(body.errors.map((e) => e.message));
    throw new ApiError(body.errors);
  }
  showErrors([]);
  return body.data;
}

async function post(query, variables) {
  const headers = { "Content-Type": "application/json" };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  const response = await fetch("/graphql", {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables }),
  });
  return response.json();
}

const isExpired = (body) => (body.errors || []).some(
  (e) => e.extensions?.code === "UNAUTHENTICATED" && e.extensions?.reason === "EXPIRED");

// One refresh at a time: a refresh token works once, and sending it twice
// would read as a stolen copy and sign every device out.
let refreshing = null;

function refresh() {
  refreshing ??= rotate().finally(() => { refreshing = null; });
  return refreshing;
}

async function rotate() {
  const sent = refreshToken();
  let payload = null;
  try {
    const body = await post(REFRESH, { t: sent });
    payload = body.data?.authRefresh;
  } catch {
    // the network: treated as a refused refresh below
  }
  if (refreshToken() !== sent) return; // another tab refreshed meanwhile
  if (!payload || payload.userErrors.length || !payload.accessToken) {
    signOut();
    location.reload(); // back to sign-in, the share link kept in the address
    await new Promise(() => {}); // nothing more runs on this page
  }
  keepSession(payload);
}

/** The page-wide error banner; an empty list hides it. */
export function showErrors(messages) {
  const box = document.getElementById("errors");
  box.replaceChildren(...messages.map((m) => el("div", {}, m)));
  box.hidden = messages.length === 0;
}

/** A DOM element with attributes and children; strings become text, never HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
