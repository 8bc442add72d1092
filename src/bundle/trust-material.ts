import { createPublicKey, type KeyObject } from "node:crypto";
import { parseCertificate, type Certificate } from "../core/x509/index.js";
import type { CertificateAuthority, TransparencyLogInstance, TrustedRoot } from "./types.js";

/** A transparency log (Rekor) or CT log of the trusted root with its key loaded. */
export interface TrustedLog {
  instance: TransparencyLogInstance;
  key: KeyObject;
}

/**
 * A certificate or timestamp authority of the trusted root with its chain parsed by core/x509 (the form the chain
 * verifier's verifyIssuedBy takes), in the root's order: leaf-most first, root last.
 */
export interface TrustedAuthority {
  authority: CertificateAuthority;
  certificates: Certificate[];
}

/**
 * A trusted root with everything a verifier looks up precomputed once: log keys loaded as KeyObjects and indexed by
 * log ID, CA and TSA chains parsed. Verifying many bundles against one root then parses no trust material per bundle.
 */
export interface TrustMaterial {
  root: TrustedRoot;
  /** Rekor logs by lowercase hex log ID; a key may appear more than once (one entry per validity window). */
  tlogs: ReadonlyMap<string, readonly TrustedLog[]>;
  /** CT logs by lowercase hex log ID (the SCT's log ID, RFC 6962 §3.2). */
  ctlogs: ReadonlyMap<string, readonly TrustedLog[]>;
  certificateAuthorities: readonly TrustedAuthority[];
  timestampAuthorities: readonly TrustedAuthority[];
  /** Anchors that could not be loaded (unknown key type, corrupt certificate): left out, as they verify nothing. */
  unusable: readonly string[];
}

const cache = new WeakMap<TrustedRoot, TrustMaterial>();

/**
 * The precomputed trust material of `root`, built on first use and cached for as long as the root object lives
 * (the same root object always gives the same TrustMaterial). Treat the root as immutable once passed here.
 *
 * @example
 *   const material = trustMaterial(publicGoodTrustedRoot());
 *   const logs = logsById(material.tlogs, entry.logId); // candidates for this entry's log
 */
export function trustMaterial(root: TrustedRoot): TrustMaterial {
  let material = cache.get(root);
  if (material === undefined) {
    material = buildTrustMaterial(root);
    cache.set(root, material);
  }
  return material;
}

/** The logs whose ID is `logId` (an empty list when the root has none: the entry's log is not trusted). */
export function logsById(logs: ReadonlyMap<string, readonly TrustedLog[]>, logId: Uint8Array): readonly TrustedLog[] {
  return logs.get(hex(logId)) ?? [];
}

function buildTrustMaterial(root: TrustedRoot): TrustMaterial {
  const unusable: string[] = [];
  return {
    root,
    tlogs: indexLogs(root.tlogs, "tlogs", unusable),
    ctlogs: indexLogs(root.ctlogs, "ctlogs", unusable),
    certificateAuthorities: parseAuthorities(root.certificateAuthorities, "certificateAuthorities", unusable),
    timestampAuthorities: parseAuthorities(root.timestampAuthorities, "timestampAuthorities", unusable),
    unusable,
  };
}

function indexLogs(logs: readonly TransparencyLogInstance[], what: string, unusable: string[]): Map<string, TrustedLog[]> {
  const index = new Map<string, TrustedLog[]>();
  logs.forEach((instance, i) => {
    const key = loadKey(instance);
    if (key === undefined) {
      unusable.push(`${what}[${i}] (${instance.baseUrl}): key of type ${instance.keyDetails} could not be loaded`);
      return;
    }
    const id = hex(instance.logId);
    const list = index.get(id);
    if (list) list.push({ instance, key });
    else index.set(id, [{ instance, key }]);
  });
  return index;
}

/**
 * Keys are SubjectPublicKeyInfo, except the PKCS1_* key details, whose raw bytes are a bare PKCS#1 RSAPublicKey
 * (sigstore_common.proto PublicKeyDetails; the staging CT log "ctfe.sigstage.dev/test" has one).
 */
function loadKey(instance: TransparencyLogInstance): KeyObject | undefined {
  const type = instance.keyDetails.startsWith("PKCS1_") ? "pkcs1" : "spki";
  try {
    return createPublicKey({ key: Buffer.from(instance.publicKeyDer), format: "der", type });
  } catch {
    return undefined;
  }
}

function parseAuthorities(authorities: readonly CertificateAuthority[], what: string, unusable: string[]): TrustedAuthority[] {
  const out: TrustedAuthority[] = [];
  authorities.forEach((authority, i) => {
    try {
      out.push({ authority, certificates: authority.certChain.map(parseCertificate) });
    } catch {
      unusable.push(`${what}[${i}] (${authority.uri || authority.subject.commonName || "unnamed"}): a certificate could not be parsed`);
    }
  });
  return out;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}
