// The one way to talk to the API: POST /graphql with the stored token.
import { token } from "./auth.js";

/** Errors at the top of the response (not userErrors): bad query, no access... */
export class ApiError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join("; "));
    this.errors = errors;
  }
}

export async function gql(query, variables = {}) {
  const headers = { "Content-Type": "application/json" };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  const response = await fetch("/graphql", {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors && body.errors.length) {
    showErrors(body.errors.map((e) => e.message));
    throw new ApiError(body.errors);
  }
  showErrors([]);
  return body.data;
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
