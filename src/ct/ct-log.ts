import { createHash, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { statSync } from "node:fs";
import { join } from "node:path";
import { loadOrCreateLogKey } from "../api/log-key.js";
import { VouchError } from "../core/errors.js";
import { bytesEqual, leafHash } from "../core/merkle/index.js";
import { formatCheckpoint, formatSignedNote, parseCheckpoint, parseSignedNote, type NoteSignature } from "../core/note/index.js";
import { encodeTlv, expectSeq, isContext, parseDer, raw } from "../core/x509/der.js";
import { parseCertificate, verifyIssuedBy, type Certificate } from "../core/x509/index.js";
import type { LogHead, LogStore } from "../store/ports.js";
import { LeasedSequencing } from "../tlog/leased-sequencing.js";
import { createLogSigner, type LogSigner } from "../tlog/log-signer.js";
import { submitThroughQueue } from "../tlog/queue-relay.js";
import type { Sequenced } from "../tlog/sequencer.js";
import { TILE_WIDTH } from "../tlog/tiles/path.js";
import { FullTileCache, LogReader } from "../tlog/tiles/reader.js";
import type { ExtraDataStore } from "./extra-data.js";
import {
  CT_OIDS,
  decodeDigitallySigned,
  encodeDigitallySigned,
  encodeExtraData,
  encodeMerkleTreeLeaf,
  encodeSct,
  issuerKeyHash,
  SIGNATURE_ALGORITHM,
  sctSignatureInput,
  treeHeadSignatureInput,
  type DigitallySigned,
  type Sct,
  type SignedEntry,
  type TimestampedEntry,
} from "./structures.js";

/**
 * vouch's certificate transparency log (RFC 6962): the keyless CA logs each precertificate here and embeds the SCT
 * it gets back in the final certificate, so that verifiers requiring SCTs (cosign, @sigstore/verify) accept it.
 *
 * The tree is the transparency log's storage (any LogStore, the same Sequencer and tiles): each Merkle leaf is an RFC
 * 6962 §3.4 MerkleTreeLeaf, so leaf hashes, roots and proofs are RFC 6962's. A submission is answered only once its
 * leaf is committed (a merge delay of zero), so an SCT is never a promise the log might fail to keep.
 *
 * Tree heads: every checkpoint the Sequencer commits is a C2SP signed note carrying two signatures by the log key: an
 * ECDSA note signature (like vouch's transparency log), and the RFC 6962 signed tree head encoded as a c2sp.org/
 * static-ct-api RFC6962NoteSignature (timestamp || TreeHeadSignature). get-sth is read back from that note, so every
 * replica serves the same STH for a head, and its timestamp is the one signed when the head was committed.
 */

export interface CtLogOptions {
  store: LogStore;
  /** The log key: ECDSA P-256 (RFC 6962 §2.1.4 allows ECDSA P-256 or RSA; Sigstore's CT logs use P-256). */
  privateKey: KeyObject;
  /**
   * The checkpoint origin and note key name: the log's URL without scheme or trailing slash (static-ct-api), e.g.
   * "ct.example.com" or "127.0.0.1:3000/ct". Keep it different from the transparency log's origin: monitors and
   * witnesses tell logs apart by it.
   */
  origin: string;
  /** DER certificates a submitted chain must end in (or be issued by): the CA passes its root. */
  acceptedRoots: readonly Uint8Array[];
  /** Submitted chains, served as get-entries extra_data; without it extra_data is empty. */
  extraData?: ExtraDataStore;
  /** The clock (SCT and STH timestamps are its milliseconds). */
  now?: () => Date;
  maxBatch?: number;
  /**
   * Longest a submission waits for others to share its batch (default 0: commit at once, and let whatever arrives
   * during a commit form the next batch). Unlike a Rekor submitter, the CA waits for the SCT in the middle of every
   * certificate request, so a batching window is added to every keyless signing (bench/keyless.ts: 10 ms of a
   * sequential signing); under load, batches form anyway while the previous one commits.
   */
  maxDelayMs?: number;
  /** How often a process without the sequencer lease tries to take it, in milliseconds. */
  leaseRetryMs?: number;
  /** Most certificates in one submitted chain. */
  maxChainLength?: number;
}

/** An SCT the log issued, as a structure and in its RFC 6962 §3.3 SerializedSCT encoding. */
export interface AddedSct {
  sct: Sct;
  /** SerializedSCT: one element of the list `encodeSctList` builds. */
  encoded: Uint8Array;
  leafIndex: number;
  /** RFC 6962 §2.1 leaf hash of the MerkleTreeLeaf (what get-proof-by-hash takes). */
  leafHash: Uint8Array;
  /** The same submission was seen before (by this process) and its SCT is returned again. */
  duplicate: boolean;
}

/** RFC 6962 §3.5 / §4.3 signed tree head. */
export interface SignedTreeHead {
  treeSize: number;
  /** Milliseconds since the epoch. */
  timestamp: bigint;
  rootHash: Uint8Array;
  /** The TLS-encoded digitally-signed TreeHeadSignature (get-sth's tree_head_signature). */
  treeHeadSignature: Uint8Array;
}

export interface LogEntryWithExtra {
  /** The MerkleTreeLeaf. */
  leafInput: Uint8Array;
  /** RFC 6962 §4.6 extra_data (empty when the log keeps no chains). */
  extraData: Uint8Array;
}

/** The RFC 6962 §3.1 poison's extnValue: ASN.1 NULL. */
const POISON_VALUE = Uint8Array.of(0x05, 0x00);
/** static-ct-api: the note signature type byte of an RFC6962NoteSignature. */
const RFC6962_NOTE_SIGNATURE_TYPE = 0x05;
/** How many recent submissions are remembered for de-duplication. */
const RECENT_SUBMISSIONS = 10_000;

export class CtLog {
  readonly #options: CtLogOptions;
  readonly #store: LogStore;
  readonly #privateKey: KeyObject;
  readonly #signer: LogSigner;
  readonly #now: () => Date;
  readonly #roots: Certificate[];
  readonly #rfc6962KeyId: Uint8Array;
  readonly #publicKey: KeyObject;
  readonly #tiles = new FullTileCache();
  readonly #recent = new Map<string, Promise<AddedSct>>();
  #sequencing!: LeasedSequencing;
  /** The newest SCT timestamp this process issued: a tree head it signs is never older (RFC 6962 §3.5). */
  #latestTimestamp = 0n;
  #reader: { head: LogHead; reader: LogReader; sth: SignedTreeHead } | undefined;

  /** SHA-256 of the log key's SubjectPublicKeyInfo DER (RFC 6962 §3.2 LogID). */
  readonly logId: Uint8Array;
  /** The log key's SubjectPublicKeyInfo DER. */
  readonly publicKeyDer: Uint8Array;
  readonly origin: string;

  private constructor(options: CtLogOptions) {
    const key = options.privateKey;
    if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
      throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "a CT log key must be ECDSA P-256 (RFC 6962 §2.1.4)");
    }
    this.#options = options;
    this.#store = options.store;
    this.#privateKey = key;
    this.#now = options.now ?? (() => new Date());
    this.#signer = createLogSigner(key, options.origin);
    this.origin = options.origin;
    this.logId = this.#signer.logId;
    this.publicKeyDer = this.#signer.note.publicKeyDer;
    this.#publicKey = createPublicKey(key);
    this.#rfc6962KeyId = new Uint8Array(
      createHash("sha256").update(options.origin).update("\n").update(Uint8Array.of(RFC6962_NOTE_SIGNATURE_TYPE)).update(this.logId).digest().subarray(0, 4),
    );
    this.#roots = options.acceptedRoots.map((der, i) => {
      try {
        return parseCertificate(der);
      } catch (error) {
        throw new VouchError("INPUT_MALFORMED", `CT log: accepted root ${i} is not a certificate`, { cause: error });
      }
    });
  }

  /**
   * Starts the log: tries for the store's sequencer lease once (a process that does not get it keeps trying in the
   * background and meanwhile hands submissions to the holder through the store's queue, as LogService does).
   */
  static async start(options: CtLogOptions): Promise<CtLog> {
    const log = new CtLog(options);
    log.#sequencing = await LeasedSequencing.start({
      store: options.store,
      sequencer: {
        signCheckpoint: ({ size, rootHash }) => log.#signCheckpoint(size, rootHash),
        maxBatch: options.maxBatch,
        // The CA waits for its SCT inside every certificate request: commit at once (batches still form under load).
        maxDelayMs: options.maxDelayMs ?? 0,
        now: () => Math.floor(log.#now().getTime() / 1000),
      },
      leaseRetryMs: options.leaseRetryMs,
      stopReason: "the CT log is shutting down",
    });
    return log;
  }

  /** The accepted roots (get-roots), DER. */
  get roots(): Uint8Array[] {
    return this.#roots.map((root) => root.der);
  }

  get sequencing(): boolean {
    return this.#sequencing.sequencer !== undefined;
  }

  /**
   * RFC 6962 §4.1 add-chain: logs an end-entity certificate (chain[0]) with its issuers, and returns the SCT.
   * @throws VouchError CT_CHAIN_INVALID naming what is wrong with the chain; LOG_UNAVAILABLE when no process sequences.
   */
  addChain(chain: readonly Uint8Array[]): Promise<AddedSct> {
    return this.#add(chain, false);
  }

  /**
   * RFC 6962 §4.2 add-pre-chain: chain[0] is a precertificate (critical poison extension), chain[1] its issuer (the
   * CA that will issue the final certificate), then up to a root this log accepts. Resolves once the entry is
   * committed, with the SCT the final certificate embeds.
   * @throws VouchError CT_CHAIN_INVALID naming what is wrong with the chain; LOG_UNAVAILABLE when no process sequences.
   * @example
   *   const { encoded } = await ct.addPreChain([precertDer, intermediateDer]);
   *   const extnValue = encodeSctList([encoded]);
   */
  addPreChain(chain: readonly Uint8Array[]): Promise<AddedSct> {
    return this.#add(chain, true);
  }

  async #add(chain: readonly Uint8Array[], precert: boolean): Promise<AddedSct> {
    const { chain: full, leaf } = this.#validate(chain, precert);
    let entry: SignedEntry;
    if (precert) {
      // The issuer is chain[1] (this log takes no Precertificate Signing Certificates: see #validate).
      entry = { type: "precert", issuerKeyHash: issuerKeyHash(full[1]!), tbsCertificate: tbsWithoutPoison(leaf) };
    } else {
      entry = { type: "x509", certificate: full[0]! };
    }
    // RFC 6962 §4.1: a log seeing a submission again MAY return the same SCT. The identity is the entry without its
    // timestamp; remembered in memory only (after a restart a resubmission gets a new leaf and SCT, which is valid).
    const identity = Buffer.from(createHash("sha256").update(encodeMerkleTreeLeaf({ timestamp: 0n, entry, extensions: new Uint8Array() })).digest()).toString("hex");
    const seen = this.#recent.get(identity);
    if (seen) return seen.then((added) => ({ ...added, duplicate: true }));
    const adding = this.#log(entry, full);
    this.#recent.set(identity, adding);
    if (this.#recent.size > RECENT_SUBMISSIONS) this.#recent.delete(this.#recent.keys().next().value!);
    adding.catch(() => this.#recent.delete(identity));
    return adding;
  }

  async #log(entry: SignedEntry, chain: readonly Uint8Array[]): Promise<AddedSct> {
    const timestamp = BigInt(this.#now().getTime());
    if (timestamp > this.#latestTimestamp) this.#latestTimestamp = timestamp;
    const leaf: TimestampedEntry = { timestamp, entry, extensions: new Uint8Array() };
    const leafBytes = encodeMerkleTreeLeaf(leaf);
    const hash = leafHash(leafBytes);
    await this.#options.extraData?.put(hash, encodeExtraData(entry.type, chain));
    const { record } = await this.#sequence(leafBytes, hash);
    const sct: Sct = { version: 0, logId: this.logId, timestamp, extensions: leaf.extensions, ...this.#sign(sctSignatureInput(leaf)) };
    return { sct, encoded: encodeSct(sct), leafIndex: record.index, leafHash: hash, duplicate: false };
  }

  async #sequence(leaf: Uint8Array, hash: Uint8Array): Promise<Sequenced> {
    const sequencer = this.#sequencing.sequencer;
    if (sequencer) return sequencer.submit(leaf, Buffer.from(hash).toString("hex"));
    // Another process holds the lease: hand the checked leaf over through the store's shared queue.
    return submitThroughQueue(this.#store, leaf);
  }

  /**
   * Checks a submitted chain and returns it ending in an accepted root (appended when the chain stops below it), and
   * its first certificate as parsed.
   */
  #validate(chain: readonly Uint8Array[], precert: boolean): { chain: Uint8Array[]; leaf: Certificate } {
    const max = this.#options.maxChainLength ?? 10;
    if (chain.length === 0) throw invalid("the chain is empty");
    if (chain.length > max) throw invalid(`the chain has ${chain.length} certificates; at most ${max} are accepted`);
    const certs = chain.map((der, i) => {
      try {
        return parseCertificate(der);
      } catch (error) {
        throw invalid(`chain[${i}] is not a DER certificate: ${error instanceof Error ? error.message : String(error)}`, error);
      }
    });
    const leaf = certs[0]!;
    const poison = leaf.extensions.find((e) => e.oid === CT_OIDS.poison);
    if (precert) {
      if (poison === undefined) throw invalid("chain[0] is not a precertificate: it has no poison extension (RFC 6962 §3.1); submit it with add-chain");
      if (!poison.critical) throw invalid("chain[0]'s poison extension is not critical (RFC 6962 §3.1)");
      if (!bytesEqual(poison.value, POISON_VALUE)) throw invalid("chain[0]'s poison extension value is not ASN.1 NULL (RFC 6962 §3.1)");
    } else if (poison !== undefined) {
      throw invalid("chain[0] is a precertificate (it carries the poison extension); submit it with add-pre-chain");
    }
    for (let i = 0; i + 1 < certs.length; i++) {
      const issuer = certs[i + 1]!;
      if (!issuer.isCA) throw invalid(`chain[${i + 1}] is not a CA certificate (basicConstraints cA), so it cannot issue chain[${i}]`);
      if (!verifyIssuedBy(certs[i]!, issuer)) throw invalid(`chain[${i}] is not signed by chain[${i + 1}] (issuer name or signature does not match)`);
    }
    // RFC 6962 §3.1 lets a dedicated Precertificate Signing Certificate sign the precertificate; then issuer_key_hash
    // and the TBS issuer must be rewritten to the real CA's. vouch's CA signs precertificates itself: refuse it rather
    // than log a TBS no final certificate will match.
    if (precert && certs.length > 1 && certs[1]!.extKeyUsage?.includes(CT_OIDS.precertSigning)) {
      throw invalid("precertificates signed by a Precertificate Signing Certificate are not supported by this log");
    }
    const last = certs[certs.length - 1]!;
    const out = [...chain];
    if (!this.#roots.some((root) => bytesEqual(root.der, last.der))) {
      const root = this.#roots.find((r) => verifyIssuedBy(last, r));
      if (root === undefined) throw invalid("the chain does not end in, or chain to, a root this log accepts (see get-roots)");
      out.push(root.der);
    }
    if (precert && out.length < 2) throw invalid("a precertificate cannot be a root: the chain needs its issuer");
    return { chain: out, leaf };
  }

  #sign(data: Uint8Array): DigitallySigned {
    return {
      hashAlgorithm: SIGNATURE_ALGORITHM.hash,
      signatureAlgorithm: SIGNATURE_ALGORITHM.signature,
      signature: new Uint8Array(sign("sha256", data, { key: this.#privateKey, dsaEncoding: "der" })),
    };
  }

  /** The checkpoint of a new head: the ECDSA note signature and the RFC 6962 tree head signature (see the top). */
  #signCheckpoint(size: number, rootHash: Uint8Array): string {
    const now = BigInt(this.#now().getTime());
    const timestamp = now > this.#latestTimestamp ? now : this.#latestTimestamp;
    const text = formatCheckpoint({ origin: this.origin, size, rootHash });
    const sth = encodeDigitallySigned(this.#sign(treeHeadSignatureInput({ timestamp, treeSize: size, rootHash })));
    const body = new Uint8Array(8 + sth.length);
    new DataView(body.buffer).setBigUint64(0, timestamp);
    body.set(sth, 8);
    const rfc6962: NoteSignature = { name: this.origin, keyId: this.#rfc6962KeyId, signature: body };
    return formatSignedNote({ text, signatures: [this.#signer.note.sign(text), rfc6962] });
  }

  // --- Read side ------------------------------------------------------------------------------------------------------

  /** RFC 6962 §4.3 get-sth: the committed head's tree head, read back from its checkpoint and checked. */
  async signedTreeHead(): Promise<SignedTreeHead> {
    return (await this.#current()).sth;
  }

  /** The committed checkpoint (C2SP signed note, with the RFC6962NoteSignature). */
  async checkpoint(): Promise<string> {
    return (await this.#current()).head.checkpoint;
  }

  /**
   * RFC 6962 §4.4 get-sth-consistency between two tree sizes.
   * @throws VouchError INPUT_USAGE for sizes out of order; LOG_NOT_FOUND for a size beyond the tree.
   */
  async consistency(first: number, second: number): Promise<Uint8Array[]> {
    if (first > second) throw new VouchError("INPUT_USAGE", `first (${first}) is larger than second (${second})`);
    const { reader } = await this.#current();
    return reader.consistencyProof(first, second);
  }

  /**
   * RFC 6962 §4.5 get-proof-by-hash: the audit path of the leaf with this hash in the tree of `treeSize`.
   * @throws VouchError LOG_NOT_FOUND when no such leaf is in that tree.
   */
  async proofByHash(hash: Uint8Array, treeSize: number): Promise<{ leafIndex: number; auditPath: Uint8Array[] }> {
    const { reader } = await this.#current();
    if (treeSize > reader.head.size) throw new VouchError("LOG_NOT_FOUND", `tree size ${treeSize} is beyond the log's size ${reader.head.size}`);
    const record = await this.#store.findEntry(hash);
    if (record === undefined || record.index >= treeSize) throw new VouchError("LOG_NOT_FOUND", `no leaf with hash ${Buffer.from(hash).toString("base64")} in the tree of size ${treeSize}`);
    return { leafIndex: record.index, auditPath: await reader.inclusionProof(record.index, treeSize) };
  }

  /**
   * RFC 6962 §4.6 get-entries from `start` to `end` inclusive, at most `max` of them (a log MAY return fewer), each
   * checked against the signed head before it is served.
   * @throws VouchError INPUT_USAGE for an empty or inverted range; LOG_NOT_FOUND when `start` is beyond the tree.
   */
  async entries(start: number, end: number, max = TILE_WIDTH): Promise<LogEntryWithExtra[]> {
    if (start < 0 || end < start) throw new VouchError("INPUT_USAGE", `start (${start}) and end (${end}) are not a range`);
    const { reader } = await this.#current();
    if (start >= reader.head.size) throw new VouchError("LOG_NOT_FOUND", `start ${start} is beyond the log's size ${reader.head.size}`);
    const last = Math.min(end, reader.head.size - 1, start + max - 1);
    const out: LogEntryWithExtra[] = [];
    for (let bundle = Math.floor(start / TILE_WIDTH); bundle * TILE_WIDTH <= last; bundle++) {
      const width = Math.min(TILE_WIDTH, reader.head.size - bundle * TILE_WIDTH);
      const leaves = await reader.entries(bundle, width);
      for (let i = Math.max(start - bundle * TILE_WIDTH, 0); i < width && bundle * TILE_WIDTH + i <= last; i++) {
        const leafInput = leaves[i]!;
        const extraData = (await this.#options.extraData?.get(leafHash(leafInput))) ?? new Uint8Array();
        out.push({ leafInput, extraData });
      }
    }
    return out;
  }

  /** A reader of the newest committed head, and its STH (checked once per head). */
  async #current(): Promise<{ head: LogHead; reader: LogReader; sth: SignedTreeHead }> {
    const head = this.#sequencing.sequencer?.head ?? (await this.#store.readHead());
    if (head === undefined) throw new VouchError("LOG_UNAVAILABLE", "the CT log has no tree head yet");
    const cached = this.#reader;
    if (cached && cached.head.size === head.size && bytesEqual(cached.head.rootHash, head.rootHash)) return cached;
    const current = { head, reader: new LogReader(this.#store, head, this.#tiles), sth: this.#readSth(head) };
    this.#reader = current;
    return current;
  }

  /** The STH inside a stored checkpoint, verified: a damaged or foreign checkpoint is never served as the log's. */
  #readSth(head: LogHead): SignedTreeHead {
    const damaged = (why: string, cause?: unknown) => new VouchError("STORE_CORRUPT", `CT log storage is damaged: the checkpoint of size ${head.size} ${why}`, { cause });
    let signature: NoteSignature | undefined;
    try {
      const note = parseSignedNote(head.checkpoint);
      const body = parseCheckpoint(note.text);
      if (body.origin !== this.origin || body.size !== BigInt(head.size) || !bytesEqual(body.rootHash, head.rootHash)) throw damaged("does not match the head");
      signature = note.signatures.find((s) => s.name === this.origin && bytesEqual(s.keyId, this.#rfc6962KeyId));
    } catch (error) {
      throw error instanceof VouchError && error.code === "STORE_CORRUPT" ? error : damaged("is not a checkpoint", error);
    }
    if (signature === undefined || signature.signature.length < 8) throw damaged("has no RFC 6962 tree head signature by this log's key");
    const timestamp = new DataView(signature.signature.slice(0, 8).buffer).getBigUint64(0);
    const treeHeadSignature = signature.signature.subarray(8);
    let signed: DigitallySigned;
    try {
      signed = decodeDigitallySigned(treeHeadSignature);
    } catch (error) {
      throw damaged("has a malformed tree head signature", error);
    }
    const input = treeHeadSignatureInput({ timestamp, treeSize: head.size, rootHash: head.rootHash });
    if (!verify("sha256", input, { key: this.#publicKey, dsaEncoding: "der" }, signed.signature)) throw damaged("has a tree head signature that does not verify");
    return { treeSize: head.size, timestamp, rootHash: new Uint8Array(head.rootHash), treeHeadSignature };
  }

  /** Stops sequencing (the batch in flight commits), releases the lease and closes the store. */
  async close(): Promise<void> {
    await this.#sequencing.close();
    await this.#store.close();
  }
}

/**
 * The CT log key in `<dir>/ct-key.pem` (ECDSA P-256, created on first start like the transparency log's key), and
 * when it was created: the start of the log's validity in the trusted root (no SCT can be older than its key).
 *
 * @throws VouchError INPUT_MALFORMED / INPUT_UNSUPPORTED_FORMAT when the file holds something else.
 */
export function loadOrCreateCtLogKey(dir: string): { privateKey: KeyObject; file: string; createdAt: Date } {
  const file = join(dir, "ct-key.pem");
  const privateKey = loadOrCreateLogKey(file, "ecdsa-p256");
  if (privateKey.asymmetricKeyType !== "ec") {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "a CT log key must be ECDSA P-256 (RFC 6962 §2.1.4), not Ed25519", { file });
  }
  const stat = statSync(file);
  // birthtime is 0 on filesystems that do not record it; the key file is never rewritten, so mtime is its creation.
  const createdAt = stat.birthtimeMs > 0 && stat.birthtimeMs < stat.mtimeMs ? stat.birthtime : stat.mtime;
  return { privateKey, file, createdAt };
}

/** A trusted_root.json `ctlogs` entry (protobuf-specs TransparencyLogInstance, JSON mapping). */
export interface CtLogTrustedRootEntry {
  baseUrl: string;
  hashAlgorithm: "SHA2_256";
  publicKey: { rawBytes: string; keyDetails: "PKIX_ECDSA_P256_SHA_256"; validFor: { start: string; end?: string } };
  logId: { keyId: string };
}

/**
 * This log as verifiers find it in trusted_root.json `ctlogs`: they select it by `logId` (SHA-256 of the key) and
 * accept an SCT whose timestamp falls in `validFor`.
 *
 * @example
 *   const { privateKey, createdAt } = loadOrCreateCtLogKey(join(dataDir, "ct"));
 *   root.ctlogs.push(ctLogTrustedRootEntry({ publicKeyDer: ct.publicKeyDer }, "https://vouch.example.com", createdAt));
 */
export function ctLogTrustedRootEntry(log: { publicKeyDer: Uint8Array }, baseUrl: string, validFrom: Date, validUntil?: Date): CtLogTrustedRootEntry {
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");
  return {
    baseUrl,
    hashAlgorithm: "SHA2_256",
    publicKey: {
      rawBytes: b64(log.publicKeyDer),
      keyDetails: "PKIX_ECDSA_P256_SHA_256",
      validFor: { start: validFrom.toISOString(), ...(validUntil ? { end: validUntil.toISOString() } : {}) },
    },
    logId: { keyId: b64(createHash("sha256").update(log.publicKeyDer).digest()) },
  };
}

/**
 * The checkpoint origin for a log reached at `baseUrl`: the URL without its scheme and trailing slashes
 * (c2sp.org/static-ct-api), e.g. "https://vouch.example.com/ct/" → "vouch.example.com/ct".
 */
export function ctLogOrigin(baseUrl: string): string {
  const url = new URL(baseUrl);
  return `${url.host}${url.pathname}`.replace(/\/+$/, "");
}

/**
 * RFC 6962 §3.2: the precertificate's TBSCertificate without the poison extension, every other byte as encoded, and
 * without the extensions field when the poison was the only extension: the tbs_certificate the log signs, which a
 * verifier rebuilds from the final certificate by removing the SCT list (core/x509/sct.ts `precertificateTbs`; the
 * same splice as ct/structures.ts `precertificateParts`). Read with vouch's DER reader from the certificate #validate
 * already parsed (poison checked there, duplicate extensions refused by the parser): parsing the whole
 * precertificate again with @peculiar/asn1js cost about 3 ms of the log's CPU per certificate (bench/keyless.ts).
 */
function tbsWithoutPoison(cert: Certificate): Uint8Array {
  const W = "precertificate tbsCertificate";
  const parts: Uint8Array[] = [];
  for (const field of expectSeq(parseDer(cert.tbs, W), W).subs) {
    if (!isContext(field, 3)) {
      parts.push(raw(field));
      continue;
    }
    const kept = cert.extensions.filter((e) => e.oid !== CT_OIDS.poison).map((e) => e.der);
    if (kept.length > 0) parts.push(encodeTlv(0xa3, [encodeTlv(0x30, kept)]));
  }
  return encodeTlv(0x30, parts);
}

function invalid(message: string, cause?: unknown): VouchError {
  return new VouchError("CT_CHAIN_INVALID", message, cause === undefined ? undefined : { cause });
}
