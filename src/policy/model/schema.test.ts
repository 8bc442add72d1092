import { readFileSync, writeFileSync } from "node:fs";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { POLICY_SCHEMA } from "./schema.js";

/** docs/policy.schema.json is POLICY_SCHEMA written out; `VOUCH_WRITE_SCHEMA=1 npx vitest run src/policy/model` rewrites it. */
const published = new URL("../../../docs/policy.schema.json", import.meta.url);
const text = `${JSON.stringify(POLICY_SCHEMA, null, 2)}\n`;

describe("the published policy schema", () => {
  it("docs/policy.schema.json is identical to POLICY_SCHEMA", () => {
    if (process.env.VOUCH_WRITE_SCHEMA === "1") writeFileSync(published, text);
    expect(readFileSync(published, "utf8")).toBe(text);
  });

  it("compiles in strict mode and accepts the fixtures", () => {
    const validate = new Ajv({ strict: true, strictRequired: false }).compile(JSON.parse(readFileSync(published, "utf8")) as object);
    for (const name of ["issue-10.yaml", "full.yaml"]) {
      const docs = readFileSync(new URL(`../fixtures/policies/${name}`, import.meta.url), "utf8").split(/^---$/m);
      for (const doc of docs) expect(validate(parse(doc)), `${name}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });
});
