/**
 * Child process of bench/verify-vs-sigstore-js.ts: one verifier, alone in its process (its own heap, so neither
 * verifier pays for the other's garbage), timing verifications of the accepted bundles.
 *
 *   node --import tsx bench/lib/verify-child.ts --contender vouch|sigstore-js --accepted FILE --mode warm --warmup W --passes N
 *   node --import tsx bench/lib/verify-child.ts --contender vouch|sigstore-js --accepted FILE --mode first-sight --bundle ID --warmup W
 *
 * warm: W untimed passes over every accepted bundle, then N timed passes. Each timed call is handed the bundle's
 *   JSON text and parses it. Prints {"callMs": {"<bundle id>": [ms, ...]}}.
 * first-sight: W untimed passes over the accepted bundles NOT signed with the same certificate as ID (the code is
 *   warm, the trust material built), then ID verified once. Prints {"ms": <milliseconds>}. This is what a stream of
 *   new bundles costs; the repeated set of `warm` flatters a verifier that remembers what it has checked (vouch
 *   caches parsed certificates and successful issuer-signature checks by fingerprint).
 *
 * FILE is a JSON array of the bundle ids (bench/lib/verify-bundle-set.ts) both verifiers accepted.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { collectBundleSet } from "./verify-bundle-set.js";
import { sigstoreJsContender, vouchContender } from "./verify-contenders.js";

const REPO = resolve(import.meta.dirname, "../..");

const { values } = parseArgs({
  options: {
    contender: { type: "string" },
    accepted: { type: "string" },
    mode: { type: "string" },
    bundle: { type: "string" },
    warmup: { type: "string", default: "5" },
    passes: { type: "string", default: "1" },
  },
});
const usage = "usage: verify-child.ts --contender vouch|sigstore-js --accepted FILE (--mode warm --warmup W --passes N | --mode first-sight --bundle ID --warmup W)";
if ((values.contender !== "vouch" && values.contender !== "sigstore-js") || !values.accepted || (values.mode !== "warm" && values.mode !== "first-sight")) throw new Error(usage);

const acceptedIds = new Set(JSON.parse(readFileSync(values.accepted, "utf8")) as string[]);
const set = collectBundleSet(REPO).filter((b) => acceptedIds.has(b.id));
const contender = values.contender === "vouch" ? await vouchContender(join(REPO, "dist"), "") : sigstoreJsContender("");
const warmup = Number(values.warmup);

if (values.mode === "warm") {
  const calls = set.map((b) => ({ id: b.id, verify: contender.prepare(b), json: readFileSync(b.bundlePath, "utf8") }));
  for (let p = 0; p < warmup; p++) for (const c of calls) c.verify(c.json);
  const callMs: Record<string, number[]> = Object.fromEntries(calls.map((c) => [c.id, []]));
  for (let p = 0; p < Number(values.passes); p++) {
    for (const c of calls) {
      const start = performance.now();
      c.verify(c.json);
      callMs[c.id]!.push(performance.now() - start);
    }
  }
  console.log(JSON.stringify({ callMs }));
} else {
  const target = set.find((b) => b.id === values.bundle);
  if (!target) throw new Error(`${values.bundle} is not an accepted bundle\n${usage}`);
  const others = set.filter((b) => b.signerFingerprint !== target.signerFingerprint).map((b) => ({ verify: contender.prepare(b), json: readFileSync(b.bundlePath, "utf8") }));
  const verify = contender.prepare(target);
  const json = readFileSync(target.bundlePath, "utf8");
  for (let p = 0; p < warmup; p++) for (const o of others) o.verify(o.json);
  const start = performance.now();
  verify(json);
  console.log(JSON.stringify({ ms: performance.now() - start }));
}
