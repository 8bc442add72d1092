import type { FastifyPluginAsync } from "fastify";
import { VouchError } from "../../../core/errors.js";
import { decodeBase64Strict } from "../../../core/note/index.js";
import type { AddedSct, CtLog } from "../../../ct/ct-log.js";
import { encodeDigitallySigned } from "../../../ct/structures.js";
import {
  addChainBody,
  addChainResponse,
  consistencyQuery,
  consistencyResponse,
  entriesQuery,
  entriesResponse,
  proofByHashQuery,
  proofByHashResponse,
  rootsResponse,
  sthResponse,
} from "./schemas.js";

export interface CtRoutesOptions {
  log: CtLog;
  /** Most entries one get-entries answers (RFC 6962 §4.6: a log MAY return fewer than asked). */
  maxEntries?: number;
}

/** Largest add-(pre-)chain body: 16 base64 certificates of up to ~12 KiB each. */
const CHAIN_BODY_LIMIT = 256 * 1024;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/**
 * The certificate transparency log over HTTP: RFC 6962 §4 under /ct/v1/ (what Fulcio's CT client, certificate-
 * transparency-go and monitors speak). Register it at the prefix the trusted root's baseUrl names.
 */
export const ctRoutes: FastifyPluginAsync<CtRoutesOptions> = async (app, { log, maxEntries = 256 }) => {
  const sctAnswer = ({ sct }: AddedSct) => ({
    sct_version: sct.version,
    id: b64(sct.logId),
    timestamp: Number(sct.timestamp),
    extensions: b64(sct.extensions),
    signature: b64(encodeDigitallySigned(sct)),
  });

  app.post<{ Body: { chain: string[] } }>(
    "/ct/v1/add-chain",
    { bodyLimit: CHAIN_BODY_LIMIT, schema: { body: addChainBody, response: { 200: addChainResponse } } },
    async (request) => sctAnswer(await log.addChain(decodeChain(request.body.chain))),
  );

  app.post<{ Body: { chain: string[] } }>(
    "/ct/v1/add-pre-chain",
    { bodyLimit: CHAIN_BODY_LIMIT, schema: { body: addChainBody, response: { 200: addChainResponse } } },
    async (request) => sctAnswer(await log.addPreChain(decodeChain(request.body.chain))),
  );

  app.get("/ct/v1/get-sth", { schema: { response: { 200: sthResponse } } }, async (_request, reply) => {
    const sth = await log.signedTreeHead();
    // A tree head changes with every batch: caches must revalidate.
    void reply.header("cache-control", "no-cache");
    return {
      tree_size: sth.treeSize,
      timestamp: Number(sth.timestamp),
      sha256_root_hash: b64(sth.rootHash),
      tree_head_signature: b64(sth.treeHeadSignature),
    };
  });

  app.get<{ Querystring: { first: number; second: number } }>(
    "/ct/v1/get-sth-consistency",
    { schema: { querystring: consistencyQuery, response: { 200: consistencyResponse } } },
    async (request) => ({ consistency: (await log.consistency(request.query.first, request.query.second)).map(b64) }),
  );

  app.get<{ Querystring: { hash: string; tree_size: number } }>(
    "/ct/v1/get-proof-by-hash",
    { schema: { querystring: proofByHashQuery, response: { 200: proofByHashResponse } } },
    async (request) => {
      // A "+" a client forgot to percent-encode arrives as a space.
      const hash = decodeBase64Strict(request.query.hash.replaceAll(" ", "+"));
      if (hash === undefined || hash.length !== 32) throw new VouchError("INPUT_USAGE", "hash must be a base64 SHA-256 leaf hash (32 bytes)");
      const { leafIndex, auditPath } = await log.proofByHash(hash, request.query.tree_size);
      return { leaf_index: leafIndex, audit_path: auditPath.map(b64) };
    },
  );

  app.get<{ Querystring: { start: number; end: number } }>(
    "/ct/v1/get-entries",
    { schema: { querystring: entriesQuery, response: { 200: entriesResponse } } },
    async (request) => {
      const entries = await log.entries(request.query.start, request.query.end, maxEntries);
      return { entries: entries.map((e) => ({ leaf_input: b64(e.leafInput), extra_data: b64(e.extraData) })) };
    },
  );

  app.get("/ct/v1/get-roots", { schema: { response: { 200: rootsResponse } } }, async () => ({ certificates: log.roots.map(b64) }));
};

/** The submitted chain's certificates; anything that is not canonical base64 is refused, naming the element. */
function decodeChain(chain: readonly string[]): Uint8Array[] {
  return chain.map((text, i) => {
    const der = decodeBase64Strict(text);
    if (der === undefined || der.length === 0) throw new VouchError("CT_CHAIN_INVALID", `chain[${i}] is not base64 DER`);
    return der;
  });
}
