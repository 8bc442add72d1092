import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { storeToken } from "./api/client";
import { tokenFromFragment } from "./lib/token";
import { App } from "./App";
import { applyTheme, storedTheme } from "./theme";
import "./styles.css";

// `#token=…` (what the demo prints): stored, then removed from the address bar before anything else runs, so the
// token is not left in the history or shown on screen (a fragment never goes to a server or into a Referer).
const { token, rest } = tokenFromFragment(location.hash);
if (token !== undefined) {
  storeToken(token);
  history.replaceState(history.state, "", `${location.pathname}${location.search}${rest}`);
}
applyTheme(storedTheme());

const root = document.getElementById("root");
if (root === null) throw new Error("index.html has no #root");
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
