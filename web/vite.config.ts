import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const root = fileURLToPath(new URL(".", import.meta.url));

// The dashboard is static files served by `vouch serve` under a strict CSP (script-src 'self'; style-src 'self'):
// no inline scripts or styles, so Vite's module preload polyfill (an inline script in dev only) stays off and the
// CSS is emitted as a file. `npx vite --config web/vite.config.ts` proxies /api to a running server (VOUCH_API).
export default defineConfig({
  root,
  base: "/",
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL("../dist/web", import.meta.url)),
    emptyOutDir: true,
    assetsDir: "assets",
    modulePreload: { polyfill: false },
    cssCodeSplit: false,
    sourcemap: false,
    target: "es2022",
  },
  server: {
    proxy: { "/api": { target: process.env.VOUCH_API ?? "http://127.0.0.1:8099", changeOrigin: false } },
  },
});
