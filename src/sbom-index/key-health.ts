import { isVouchError, VouchError } from "../core/errors.js";
import type { AttestationStore, IndexStore, SignerRow } from "../store/ports.js";
import type { KeyHealth, KeyHealthReport } from "./views.js";
import { servicesOfDigests } from "./digest-services.js";
import { byCodeUnits } from "./order.js";

/**
 * Key-management health (`GET /api/v1/keys`, the executive view's "keys near rotation, revoked keys still in use"):
 * every signer the attestation store holds verified signatures of, its age and usage, and the data directory's key
 * revocation list applied the way `vouch verify` applies it (src/verify/revocation.ts):
 *
 * - a signing KEY is due for rotation `rotateAfterDays` after it was first seen signing, flagged `warnBeforeDays`
 *   earlier. A keyless certificate lives minutes and is never rotated: its identity is always `ok` by age.
 * - a revoked key lists the current deployments whose digest carries a verified signature by it. Such a deployment is
 *   `afterCompromise` unless one of those signatures has a trusted time (signedAt) before the compromise: a signature
 *   without a trusted time proves nothing about when it was made, and the key's thief can make such signatures at
 *   will, so it counts as after (the verifier refuses it for the same reason).
 *
 * Keys are listed worst first (revoked, rotate-now, rotate-soon, ok), then by identity and issuer.
 */

/** One entry of the verified revocation list (src/verify/revocation.ts Revocation, the fields read here). */
export interface KeyRevocation {
  /** Lower-case hex SHA-256 of the key's SPKI DER: the signer identity is `sha256:<keyId>`. */
  keyId: string;
  compromisedAt: Date;
  reason: string;
}

export interface KeyHealthOptions {
  attestations: Pick<AttestationStore, "signers" | "signerIdentities" | "bySigner">;
  index: Pick<IndexStore, "listDeployments" | "listSboms" | "currentDeployments">;
  /**
   * The revocation list, verified against its key as `vouch verify` loads it (src/api/revocation.ts
   * revocationsForVerification), read on every report so a key revoked a moment ago shows at once. Throws when the
   * list does not verify. Absent: no list.
   */
  revocations?: () => readonly KeyRevocation[];
  /** index.keys.rotateAfterDays (default 90). */
  rotateAfterDays?: number;
  /** index.keys.warnBeforeDays (default 14). */
  warnBeforeDays?: number;
  clock?: () => Date;
}

export interface KeyHealthService {
  report(): Promise<KeyHealthReport>;
}

export const DEFAULT_ROTATE_AFTER_DAYS = 90;
export const DEFAULT_WARN_BEFORE_DAYS = 14;

const DAY_MS = 86_400_000;
const SEVERITY: Record<KeyHealth["status"], number> = { revoked: 0, "rotate-now": 1, "rotate-soon": 2, ok: 3 };

/**
 * @example
 *   const keys = createKeyHealth({ attestations, index, revocations: () => revocationsForVerification({ dataDir })?.list.revocations ?? [] });
 *   (await keys.report()).keys.filter((k) => k.status === "revoked" && k.inUse.length > 0);
 */
export function createKeyHealth(options: KeyHealthOptions): KeyHealthService {
  const rotateAfterDays = options.rotateAfterDays ?? DEFAULT_ROTATE_AFTER_DAYS;
  const warnBeforeDays = options.warnBeforeDays ?? DEFAULT_WARN_BEFORE_DAYS;
  if (!Number.isInteger(rotateAfterDays) || rotateAfterDays < 1) throw new VouchError("INPUT_USAGE", `index.keys.rotateAfterDays is a whole number of days, at least 1, not ${String(rotateAfterDays)}`);
  if (!Number.isInteger(warnBeforeDays) || warnBeforeDays < 0 || warnBeforeDays >= rotateAfterDays) {
    throw new VouchError("INPUT_USAGE", `index.keys.warnBeforeDays is a whole number of days below rotateAfterDays (${rotateAfterDays}), not ${String(warnBeforeDays)}`);
  }
  const clock = options.clock ?? (() => new Date());
  const { attestations, index } = options;

  function revocationsByIdentity(): Map<string, KeyRevocation> {
    let list: readonly KeyRevocation[];
    try {
      list = options.revocations?.() ?? [];
    } catch (err) {
      // A list that does not verify is damage, never "no revocations": answering without it would show revoked keys as healthy.
      const why = isVouchError(err) ? `${err.location.file === undefined ? "" : `${err.location.file}: `}${err.message}` : String(err);
      throw new VouchError("STORE_CORRUPT", `the revocation list cannot be used (${why}): key health is not reported without it`, { cause: err });
    }
    const out = new Map<string, KeyRevocation>();
    for (const r of list) {
      const identity = `sha256:${r.keyId.toLowerCase()}`;
      const known = out.get(identity);
      // A key revoked twice counts from its earliest compromise (as the verifier does).
      if (known === undefined || r.compromisedAt.getTime() < known.compromisedAt.getTime()) out.set(identity, r);
    }
    return out;
  }

  async function inUse(signer: SignerRow, compromisedAt: Date): Promise<KeyHealth["inUse"]> {
    const signed = await attestations.bySigner(signer.identity);
    // Per subject digest: the earliest trusted signing time, and whether any signature predates the compromise.
    const byDigest = new Map<string, { signedAt?: number; before: boolean }>();
    for (const a of signed) {
      if (a.signer?.kind !== "key") continue;
      const at = a.signedAt === undefined ? undefined : Date.parse(a.signedAt);
      for (const s of a.subjects) {
        const d = byDigest.get(s.digest) ?? { before: false };
        if (at !== undefined) {
          if (d.signedAt === undefined || at < d.signedAt) d.signedAt = at;
          if (at < compromisedAt.getTime()) d.before = true;
        }
        byDigest.set(s.digest, d);
      }
    }
    if (byDigest.size === 0) return [];
    const current = await index.currentDeployments([...byDigest.keys()]);
    return current
      .map((c) => {
        const d = byDigest.get(c.digest)!;
        return {
          service: c.service,
          environment: c.environment,
          digest: c.digest,
          ...(d.signedAt === undefined ? {} : { signedAt: new Date(d.signedAt).toISOString() }),
          afterCompromise: !d.before,
        };
      })
      .sort((a, b) => byCodeUnits(a.service, b.service) || byCodeUnits(a.environment, b.environment) || byCodeUnits(a.digest, b.digest));
  }

  async function report(): Promise<KeyHealthReport> {
    const now = clock();
    const revoked = revocationsByIdentity();
    const [signers, rows] = await Promise.all([attestations.signers(), attestations.signerIdentities()]);
    const digestsOf = new Map<string, Set<string>>();
    for (const r of rows) {
      const k = signerKey(r.identity, r.issuer);
      const set = digestsOf.get(k) ?? new Set<string>();
      set.add(r.digest);
      digestsOf.set(k, set);
    }
    const digests = [...new Set(rows.map((r) => r.digest))];
    // A digest belongs to the services that deployed it or pushed an SBOM for it (as the SLIs' key usage counts).
    const servicesOf = await servicesOfDigests(index, digests);
    const keys: KeyHealth[] = [];
    for (const signer of signers) {
      const signed = digestsOf.get(signerKey(signer.identity, signer.issuer)) ?? new Set<string>();
      const services = new Set<string>();
      for (const d of signed) for (const s of servicesOf.get(d) ?? []) services.add(s);
      const health: KeyHealth = {
        identity: signer.identity,
        ...(signer.issuer === undefined ? {} : { issuer: signer.issuer }),
        kind: signer.kind,
        firstSeen: signer.firstSeen,
        lastSeen: signer.lastSeen,
        signatures: signer.signatures,
        artifacts: signed.size,
        services: [...services].sort(byCodeUnits),
        status: "ok",
        inUse: [],
      };
      if (signer.kind === "key") {
        const ageDays = Math.max(0, Math.floor((now.getTime() - Date.parse(signer.firstSeen)) / DAY_MS));
        health.ageDays = ageDays;
        health.status = ageDays >= rotateAfterDays ? "rotate-now" : ageDays >= rotateAfterDays - warnBeforeDays ? "rotate-soon" : "ok";
        const revocation = signer.issuer === undefined ? revoked.get(signer.identity.toLowerCase()) : undefined;
        if (revocation !== undefined) {
          health.status = "revoked";
          health.revoked = { compromisedAt: revocation.compromisedAt.toISOString(), reason: revocation.reason };
          health.inUse = await inUse(signer, revocation.compromisedAt);
        }
      }
      keys.push(health);
    }
    keys.sort((a, b) => SEVERITY[a.status] - SEVERITY[b.status] || byCodeUnits(a.identity, b.identity) || byCodeUnits(a.issuer ?? "", b.issuer ?? "") || byCodeUnits(a.kind, b.kind));
    return { at: now.toISOString(), rotateAfterDays, warnBeforeDays, keys };
  }

  return { report };
}

function signerKey(identity: string, issuer: string | undefined): string {
  return `${identity}\u0000${issuer ?? ""}`;
}
