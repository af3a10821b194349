// The bearer token lives in localStorage so a reload keeps the user signed in.
const KEY = "tuangou.token";

export const token = () => localStorage.getItem(KEY);
export const signIn = (value) => localStorage.setItem(KEY, value.trim());
export const signOut = () => localStorage.removeItem(KEY);
