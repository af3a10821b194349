// /exports/ needs the bearer token, so files are fetched and shown as blob URLs.
import { token } from "./auth.js";
import { showErrors } from "./graphql.js";

export async function blobUrl(url) {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token()}` } });
  if (!response.ok) {
    showErrors([`${url}: ${response.status}`]);
    throw new Error(`download failed: ${response.status}`);
  }
  return URL.createObjectURL(await response.blob());
}

/** Open the file in a new tab (route sheets to print). */
export async function openFile(url) {
  window.open(await blobUrl(url), "_blank");
}

/** Save the file under ``name`` (CSV, XLSX). */
export async function saveFile(url, name) {
  const link = document.createElement("a");
  link.href = await blobUrl(url);
  link.download = name;
  link.click();
}
