// Forms keep what the user typed; userErrors land next to the input they name.
import { ApiError, el } from "./graphql.js";

/** The form's values by input name (numbers for type=number, blanks left out). */
export function values(form) {
  const out = {};
  for (const input of form.querySelectorAll("input[name], select[name]")) {
    if (input.value === "") continue;
    out[input.name] = input.type === "number" ? Number(input.value) : input.value;
  }
  return out;
}

export function clearErrors(form) {
  for (const node of form.querySelectorAll(".field-error, .form-error, .notice")) node.remove();
}

/** Show each userError next to its field (path like ["lines", "0", "units"]
 * matches name="lines.0.units", else its last part); the rest above the submit.
 * ``text`` words each error (e.g. i18n.js's zh); the server's message stays as its title. */
export function showUserErrors(form, userErrors, text = (error) => error.message) {
  clearErrors(form);
  for (const error of userErrors) {
    const input = inputFor(form, error.field || []);
    const message = el("p", { class: input ? "field-error" : "form-error", "data-code": error.code, title: error.message },
      text(error));
    if (input) {
      message.dataset.field = input.name;
      input.closest("label")?.after(message) ?? input.after(message);
    } else {
      form.querySelector("button[type=submit]").before(message);
    }
  }
}

function inputFor(form, path) {
  const parts = path.filter((p) => p !== "input");
  for (let start = 0; start < parts.length; start++) {
    const name = parts.slice(start).join(".");
    const input = form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (input) return input;
  }
  return null;
}

/** A green line above the submit button, e.g. "Move accepted". */
export function notice(form, text) {
  clearErrors(form);
  form.querySelector("button[type=submit]").before(el("p", { class: "notice" }, text));
}

/** Run ``action`` with the submit button disabled; top-level errors are already shown. */
export async function busy(form, action) {
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    return await action();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return null;
  } finally {
    button.disabled = false;
  }
}

/** The ``inputs`` with a positive number, named for their place in the list
 * sent (``list.k.quantity``) so an error about list[k] lands next to the right
 * one; ``row(input)`` makes each one's entry. Blank and zero rows are not sent. */
export function numberedRows(inputs, list, row) {
  const rows = [];
  for (const input of inputs) {
    input.removeAttribute("name");
    if (Number(input.value) <= 0) continue;
    input.name = `${list}.${rows.length}.quantity`;
    rows.push(row(input));
  }
  return rows;
}
