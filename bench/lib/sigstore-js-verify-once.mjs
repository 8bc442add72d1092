/**
 * One verification with @sigstore/verify in a fresh process: the peer's side of the bench's cold runs
 * (bench/verify-vs-sigstore-js.ts). It does what the `sigstore` package's verify does with the same inputs vouch's
 * CLI gets: read the trusted root and build the trust material, read the bundle, verify it against the identity
 * (or the key), exit 0 when it verifies and 1 when it does not.
 *
 *   node bench/lib/sigstore-js-verify-once.mjs --bundle B --trusted-root R [--artifact FILE]
 *        (--identity SAN --issuer URL | --key PEM)
 *
 * --artifact is for message signatures; a DSSE bundle is verified without it (the library's rule).
 * Plain JavaScript so that no TypeScript loader adds to the time being measured.
 */
import { createPublicKey } from "node:crypto";
import { readFileSync } from "node:fs";
import process from "node:process";
import { parseArgs } from "node:util";
import { bundleFromJSON } from "@sigstore/bundle";
import { TrustedRoot } from "@sigstore/protobuf-specs";
import { toSignedEntity, toTrustMaterial, Verifier } from "@sigstore/verify";

const { values } = parseArgs({
  options: {
    bundle: { type: "string" },
    "trusted-root": { type: "string" },
    artifact: { type: "string" },
    identity: { type: "string" },
    issuer: { type: "string" },
    key: { type: "string" },
  },
});
if (!values.bundle || !values["trusted-root"] || (!values.key && (!values.identity || !values.issuer))) {
  process.stderr.write("usage: sigstore-js-verify-once.mjs --bundle B --trusted-root R [--artifact F] (--identity X --issuer Y | --key PEM)\n");
  process.exit(2);
}

try {
  const root = TrustedRoot.fromJSON(JSON.parse(readFileSync(values["trusted-root"], "utf8")));
  const key = values.key ? createPublicKey(readFileSync(values.key, "utf8")) : undefined;
  const verifier = new Verifier(key ? toTrustMaterial(root, () => ({ publicKey: key, validFor: () => true })) : toTrustMaterial(root));
  const bundle = bundleFromJSON(JSON.parse(readFileSync(values.bundle, "utf8")));
  const artifact = values.artifact ? readFileSync(values.artifact) : undefined;
  const policy = key ? undefined : { subjectAlternativeName: values.identity, extensions: { issuer: values.issuer } };
  verifier.verify(toSignedEntity(bundle, artifact), policy);
  process.stdout.write("Verified OK\n");
} catch (err) {
  process.stderr.write(`verification failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
