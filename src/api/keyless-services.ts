import { createPublicKey } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { CertificateAuthority } from "../ca/authority.js";
import { IdentityVerifier, resolveIssuers, fulcioConfiguration, type IssuerConfig } from "../ca/identity/index.js";
import { readCaChain } from "../ca/ca-files.js";
import { CtLog, ctLogTrustedRootEntry, loadOrCreateCtLogKey } from "../ct/ct-log.js";
import { fileExtraDataStore } from "../ct/extra-data.js";
import { encodeSctList } from "../ct/structures.js";
import type { PasswordSource } from "../sign/password.js";
import type { LogStore } from "../store/ports.js";
import { loadOrCreateTsa, readTsaChain, timestampAuthorityEntry } from "../tsa/index.js";
import type { TimestampAuthority } from "../tsa/index.js";
import type { AppDeps } from "../server/app.js";
import { caDir, openCertificateAuthority } from "./ca.js";
import type { TrustExportOptions } from "./trust-export.js";

/**
 * The keyless half of `vouch serve`: the RFC 3161 TSA and the CT log (keys created in the data directory on first
 * start, like the transparency log's), and the keyless CA when `vouch ca init` has created one. The CA logs every
 * precertificate in this CT log and embeds the SCT.
 */

export interface KeylessOptions {
  dataDir: string;
  /** The deployment's URL as clients reach it (the CT log's checkpoint origin is derived from it). */
  publicUrl: string;
  /** The CT log's tree. */
  ctStore: LogStore;
  /** ca.issuers from vouch.yaml. */
  issuers: readonly IssuerConfig[];
  /** Opens the CA's key: VOUCH_CA_PASSWORD, VOUCH_PASSWORD, or a PKCS #11 PIN. */
  password: PasswordSource;
  now?: () => Date;
}

export interface KeylessServices {
  tsa: TimestampAuthority;
  ct: CtLog;
  ca?: CertificateAuthority;
  /** What buildApp takes. */
  deps: Pick<AppDeps, "ca" | "ct" | "tsa">;
  close(): Promise<void>;
}

export function ctDir(dataDir: string): string {
  return join(dataDir, "ct");
}

export function tsaDir(dataDir: string): string {
  return join(dataDir, "tsa");
}

/** Starts the services; the CT store is theirs from here on (closed by `close`, or at once if starting fails). */
export async function startKeylessServices(options: KeylessOptions): Promise<KeylessServices> {
  let ct: CtLog | undefined;
  try {
    return await start(options, (started) => (ct = started));
  } catch (error) {
    await (ct ? ct.close() : options.ctStore.close()).catch(() => {});
    throw error;
  }
}

async function start(options: KeylessOptions, started: (ct: CtLog) => void): Promise<KeylessServices> {
  const tsa = loadOrCreateTsa(tsaDir(options.dataDir), { now: options.now });
  const opened = await openCertificateAuthority(options.dataDir, options.password);
  const { privateKey } = loadOrCreateCtLogKey(ctDir(options.dataDir));
  const ct = await CtLog.start({
    store: options.ctStore,
    privateKey,
    // The log's host, like the transparency log's note name (the port may not be known before listening).
    origin: `${new URL(options.publicUrl).hostname.replace(/^\[|\]$/g, "")}/ct`,
    // The CT log takes the chains of this deployment's CA only: it is that CA's log, not a public one.
    acceptedRoots: opened ? [opened.chain[opened.chain.length - 1]!] : [],
    extraData: fileExtraDataStore(join(ctDir(options.dataDir), "chains")),
    now: options.now,
  });
  started(ct);
  let ca: CertificateAuthority | undefined;
  let issuers: ReturnType<typeof fulcioConfiguration>["issuers"] = [];
  if (opened) {
    // A bad issuer list fails here, at start-up, as an input error naming the field.
    const resolved = resolveIssuers(options.issuers);
    issuers = fulcioConfiguration(resolved).issuers;
    const identity = new IdentityVerifier({ issuers: options.issuers, now: options.now });
    ca = new CertificateAuthority({
      signer: opened.signer,
      chain: opened.chain,
      identity,
      logPrecertificate: async (chain) => encodeSctList([(await ct.addPreChain(chain)).encoded]),
      now: options.now,
    });
  }
  return {
    tsa,
    ct,
    ca,
    deps: { tsa, ct, ca: ca ? { authority: ca, issuers } : undefined },
    close: () => ct.close(),
  };
}

/**
 * The keyless services' part of `vouch trust export`, from the data directory alone (the server need not run): the CA
 * chain when a CA exists, the CT log's key once the server created it, the TSA's chain likewise.
 */
export function keylessTrust(dataDir: string, baseUrl: string): Pick<TrustExportOptions, "ca" | "ctlogs" | "timestampAuthorities"> {
  const chain = readCaChain(caDir(dataDir));
  const ctKeyFile = join(ctDir(dataDir), "ct-key.pem");
  const ctlogs = existsSync(ctKeyFile)
    ? [(() => {
        const { privateKey, createdAt } = loadOrCreateCtLogKey(ctDir(dataDir));
        const publicKeyDer = new Uint8Array(createPublicKey(privateKey).export({ type: "spki", format: "der" }));
        // Whole seconds, rounded down, like the log key's: an SCT made in the key's first second must fall inside.
        return ctLogTrustedRootEntry({ publicKeyDer }, baseUrl, new Date(Math.floor(createdAt.getTime() / 1000) * 1000));
      })()]
    : [];
  const tsaChain = readTsaChain(tsaDir(dataDir));
  return {
    ca: chain ? { chain } : undefined,
    ctlogs,
    timestampAuthorities: tsaChain ? [timestampAuthorityEntry(tsaChain, { baseUrl })] : [],
  };
}
