/** Light / dark: `auto` follows prefers-color-scheme (the CSS does it); a chosen theme is remembered. */
export type Theme = "auto" | "light" | "dark";
const KEY = "vouch.theme";

export function storedTheme(): Theme {
  try {
    const t = localStorage.getItem(KEY);
    return t === "light" || t === "dark" ? t : "auto";
  } catch {
    return "auto";
  }
}

export function nextTheme(t: Theme): Theme {
  return t === "auto" ? "dark" : t === "dark" ? "light" : "auto";
}

export function applyTheme(t: Theme): void {
  if (t === "auto") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = t;
  try {
    if (t === "auto") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, t);
  } catch {
    // Storage disabled: the choice lasts for this page only.
  }
}
