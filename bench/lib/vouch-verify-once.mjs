/**
 * One verification with vouch's library (the built dist/) in a fresh process: a diagnostic row of the bench's
 * cold runs (bench/verify-vs-sigstore-js.ts), the same few steps as bench/lib/sigstore-js-verify-once.mjs, so
 * that the difference between it and `vouch verify` is what the CLI adds (argument parsing, the modules the CLI
 * loads, output).
 *
 *   node bench/lib/vouch-verify-once.mjs --bundle B --trusted-root R (--artifact FILE | --digest ALG:HEX)
 *        (--identity SAN --issuer URL | --key PEM)
 */
import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { parseBundle } from "../../dist/bundle/parse.js";
import { parseTrustedRoot } from "../../dist/bundle/trusted-root.js";
import { verifyBundle } from "../../dist/verify/verifier.js";

const { values } = parseArgs({
  options: {
    bundle: { type: "string" },
    "trusted-root": { type: "string" },
    artifact: { type: "string" },
    digest: { type: "string" },
    identity: { type: "string" },
    issuer: { type: "string" },
    key: { type: "string" },
  },
});
const digest = values.digest ? /^(sha256|sha384|sha512):([0-9a-f]+)$/.exec(values.digest) : undefined;
if (!values.bundle || !values["trusted-root"] || (!values.artifact && !digest) || (!values.key && (!values.identity || !values.issuer))) {
  process.stderr.write("usage: vouch-verify-once.mjs --bundle B --trusted-root R (--artifact F | --digest ALG:HEX) (--identity X --issuer Y | --key PEM)\n");
  process.exit(2);
}

try {
  const trustedRoot = parseTrustedRoot(readFileSync(values["trusted-root"], "utf8"), values["trusted-root"]);
  const bundle = parseBundle(readFileSync(values.bundle, "utf8"), values.bundle);
  const artifact = digest ? { kind: "digest", algorithm: digest[1], hex: digest[2] } : { kind: "bytes", data: readFileSync(values.artifact) };
  const signer = values.key ? { publicKey: createPublicKey(readFileSync(values.key, "utf8")) } : { identity: { subject: values.identity, issuer: values.issuer } };
  verifyBundle(bundle, { artifact, trustedRoot, ...signer });
  process.stdout.write("Verified OK\n");
} catch (err) {
  process.stderr.write(`verification failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
