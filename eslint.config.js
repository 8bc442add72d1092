import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", ".tools/", "coverage/", "bench/.work/", "**/fixtures/**", "test/.images/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": "error",
    },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { module: "writable", require: "readonly" } },
  },
  {
    // The dashboard runs in a browser. TypeScript checks its globals (web/tsconfig.json, DOM libs); these are the
    // Node ones the type check cannot refuse there (web's tsconfig carries Node's types for the src/ types it shares).
    files: ["web/src/**/*.{ts,tsx}"],
    ignores: ["web/src/**/*.test.ts"],
    rules: {
      "no-restricted-globals": [
        "error",
        ...["Buffer", "process", "require", "module", "__dirname", "__filename", "global", "setImmediate"].map((name) => ({
          name,
          message: "a Node global: the dashboard runs in the browser",
        })),
      ],
    },
  },
  {
    // Tests read whole JSON documents (SBOMs) whose shape is what the test asserts, and print why they skip.
    files: ["**/*.test.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off", "no-console": "off" },
  },
  {
    // The CLI, the bench scripts and the test helpers are the only places that write to the terminal.
    files: ["src/cli/**", "bench/**", "scripts/**", "test/**"],
    rules: { "no-console": "off" },
  },
);
