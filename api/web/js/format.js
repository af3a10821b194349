// Business times are shown in the platform's zone, whatever the browser's.
const ZONE = "Asia/Shanghai";

export const hhmm = (iso) =>
  new Date(iso).toLocaleTimeString("en-GB", { timeZone: ZONE, hour: "2-digit", minute: "2-digit" });
// The platform zone is UTC+8 all year (no daylight saving), so a local
// datetime-local value becomes an instant by appending the offset.
export const shanghai = (local) => `${local}:00+08:00`;
/** An instant as the platform's date and time, to the minute: "2026-12-06 14:05". */
export const dayTime = (iso) => new Date(iso).toLocaleString("sv-SE", { timeZone: ZONE }).slice(0, 16);
export const kg = (grams) => (grams / 1000).toFixed(1);
export const yuan = (fen) => (fen / 100).toFixed(2);

/** Tomorrow's date in the platform zone, ISO. */
export function tomorrow() {
  const now = new Date(Date.now() + 24 * 3600 * 1000);
  return now.toLocaleDateString("sv-SE", { timeZone: ZONE });
}

/** Today's date in the platform zone, ISO. */
export const today = () => new Date().toLocaleDateString("sv-SE", { timeZone: ZONE });
