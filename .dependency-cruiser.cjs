// Import boundaries from ARCHITECTURE.md, checked in `npm test`.
const IO = "^(node:)?(fs|fs/promises|net|http|https|http2|child_process|dgram|dns|tls|worker_threads|cluster|os|process)$";
const PURE = "^src/(core|sbom|catalog/(?!sources/)[^/]+|bundle|verify|oci/attachments|vuln/match|vuln/versions|vuln/severity|vuln/osv|vuln/vex|vuln/report|vuln/findings|vuln/gate|vuln/scan|policy/evaluate|policy/rules|policy/testing|policy/model|policy/cel|policy/admission)";

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
      comment: "a type from an effectful module (an image Descriptor) runs nothing, so `import type` is allowed",
      severity: "error",
      from: { path: PURE, pathNot: "\\.test\\.ts$" },
      to: { path: "^src/(catalog/sources|runtime|cli|server|store/(sqlite|postgres))", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "cli-uses-the-public-api-only",
      comment:
        "the CLI is a thin shell over the public API and runtime.ts. It imports the API's areas (src/public/*.ts), " +
        "not index.ts, their union: that would load every area (~275 modules) into every run, and the CLI's cold " +
        "start (vouch --version, vouch verify) matters (docs/benchmarks.md)",
      severity: "error",
      from: { path: "^src/cli/" },
      to: { path: "^src/", pathNot: "^src/(cli/|public/[^/]+\\.ts$|runtime\\.ts$)" },
    },
    {
      name: "cli-loads-verbs-lazily",
      comment:
        "cold start: a command module imports an API area other than public/base.ts only with `await import()` in " +
        "its action (or `import type`), so each run loads only the verb it runs (see src/cli/main.ts)",
      severity: "error",
      from: { path: "^src/cli/", pathNot: "\\.test\\.ts$" },
      to: { path: "^src/public/", pathNot: "^src/public/base\\.ts$", dependencyTypesNot: ["dynamic-import", "type-only"] },
    },
    {
      name: "store-drivers-import-only-the-port",
      comment:
        "drivers (store/fs, store/sqlite, store/postgres) and the store modules they share import only ports.ts, " +
        "schema.ts, lockfile.ts, log-common.ts, sql-log-store.ts, core/errors.ts and their own folder, plus kysely, pg, " +
        "better-sqlite3 and node builtins: services hold ports, and only runtime.ts picks a driver (ARCHITECTURE.md)",
      severity: "error",
      from: {
        path: "^src/store/((fs|sqlite|postgres)/|(schema|lockfile|log-common|sql-log-store|sql-advisory-store|sql-token-store|sql-index-store|sql-sbom-facts|sql-attestation-store|sql-scan-store|sql-decision-store|sql-common|record-cache)\\.ts$)",
        pathNot: "\\.test\\.ts$",
      },
      to: {
        dependencyTypesNot: ["core"],
        pathNot:
          "^(src/store/(ports|schema|lockfile|log-common|sql-log-store|sql-advisory-store|sql-token-store|sql-index-store|sql-sbom-facts|sql-attestation-store|sql-scan-store|sql-decision-store|sql-common|record-cache)\\.ts$|src/store/$2/|src/core/(errors|time)\\.ts$|" +
          "(node_modules/)?(kysely|pg|better-sqlite3|@types/(pg|better-sqlite3))(/|$))",
      },
    },
    {
      name: "web-imports-types-only",
      comment:
        "the dashboard talks to the HTTP API only and shares vouch's types (ARCHITECTURE.md): from src/ it imports " +
        "`import type` / `export type` only, so nothing of the server is bundled into the browser (its tests may " +
        "use src/core helpers to build real inputs, e.g. a Merkle tree)",
      severity: "error",
      from: { path: "^web/", pathNot: "\\.test\\.ts$" },
      to: { path: "^src/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "web-uses-no-node-modules",
      comment: "the dashboard runs in a browser: Node's builtins are not there (its config and tests run in node)",
      severity: "error",
      from: { path: "^web/src/", pathNot: "\\.test\\.ts$" },
      to: { dependencyTypes: ["core"] },
    },
    {
      name: "src-never-imports-web",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^web/" },
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
