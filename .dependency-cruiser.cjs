// Import boundaries from ARCHITECTURE.md, checked in `npm test`.
const IO = "^(node:)?(fs|fs/promises|net|http|https|http2|child_process|dgram|dns|tls|worker_threads|cluster|os|process)$";
const PURE = "^src/(core|sbom|catalog/(?!sources/)[^/]+|bundle|verify|vuln/match|vuln/versions|policy/evaluate)";

module.exports = {
  forbidden: [
    {
      name: "core-is-self-contained",
      comment: "core imports nothing of vouch outside core",
      severity: "error",
      from: { path: "^src/core/" },
      to: { path: "^src/", pathNot: "^src/core/" },
    },
    {
      name: "pure-layers-do-no-io",
      comment: "core, sbom, catalog parsers, bundle, verify, matching and policy evaluation never touch fs/net/processes",
      severity: "error",
      from: { path: PURE, pathNot: "\\.test\\.ts$" },
      to: { dependencyTypes: ["core"], path: IO },
    },
    {
      name: "pure-layers-use-no-effectful-vouch-modules",
      severity: "error",
      from: { path: PURE, pathNot: "\\.test\\.ts$" },
      to: { path: "^src/(catalog/sources|runtime|cli|server|store/(sqlite|postgres))" },
    },
    {
      name: "cli-uses-the-public-api-only",
      comment: "the CLI is a thin shell over index.ts and runtime.ts",
      severity: "error",
      from: { path: "^src/cli/" },
      to: { path: "^src/", pathNot: "^src/(cli/|index\\.ts$|runtime\\.ts$)" },
    },
    {
      name: "no-tests-or-fixtures-in-src",
      severity: "error",
      from: { path: "^src/", pathNot: "\\.test\\.ts$" },
      to: { path: "(\\.test\\.ts$|/fixtures/|^test/)" },
    },
    {
      name: "no-circular",
      severity: "error",
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsConfig: { fileName: "tsconfig.json" },
    tsPreCompilationDeps: true,
    exclude: { path: "(^dist/|/fixtures/)" },
  },
};
