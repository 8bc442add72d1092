import type { FastifyPluginAsync } from "fastify";
import { encodePem } from "../../../core/crypto/keys.js";
import { VouchError } from "../../../core/errors.js";
import { TransparencyLog } from "../../../tlog/log.js";
import { parseTilePath } from "../../../tlog/tiles/path.js";
import {
  consistencyProof,
  errorBody,
  logEntryMap,
  logIndexQuery,
  logInfo,
  proofQuery,
  proposedEntry,
  searchLogQuery,
  uuidParams,
} from "./schemas.js";

export interface TlogRoutesOptions {
  log: TransparencyLog;
}

/**
 * The transparency log over HTTP: Rekor v1's REST API (enough that unmodified Rekor clients work: cosign,
 * sigstore-js, rekor-cli) and the c2sp.org/tlog-tiles read paths, which are static-file shaped so a CDN or any
 * HTTP cache can serve them.
 */
export const tlogRoutes: FastifyPluginAsync<TlogRoutesOptions> = async (app, { log }) => {
  const entryPath = (uuid: string) => `/api/v1/log/entries/${uuid}`;

  app.post(
    "/api/v1/log/entries",
    {
      bodyLimit: log.maxEntryBytes,
      schema: { body: proposedEntry, response: { 201: logEntryMap, 409: errorBody } },
    },
    async (request, reply) => {
      const { uuid, entry, duplicate } = await log.submit(request.body);
      if (duplicate) {
        // Rekor answers a resubmission with 409 and the existing entry's location; Rekor clients then fetch it.
        return reply
          .code(409)
          .header("location", entryPath(uuid))
          .send({ code: 409, message: `an equivalent entry already exists in the transparency log with UUID ${uuid}` });
      }
      return reply.code(201).header("location", entryPath(uuid)).header("etag", uuid).send({ [uuid]: entry });
    },
  );

  // Rekor v2 (rekor-tiles) write path: hashedrekord and dsse 0.0.2, answered with a TransparencyLogEntry.
  app.post(
    "/api/v2/log/entries",
    { bodyLimit: log.maxEntryBytes, schema: { body: { type: "object" } } },
    async (request, reply) => {
      const { entry } = await log.submitV2(request.body);
      return reply.code(201).send(entry);
    },
  );

  app.get<{ Querystring: { logIndex: number } }>(
    "/api/v1/log/entries",
    { schema: { querystring: logIndexQuery, response: { 200: logEntryMap } } },
    async (request) => {
      const { uuid, entry } = await log.entryByIndex(request.query.logIndex);
      return { [uuid]: entry };
    },
  );

  app.get<{ Params: { uuid: string } }>(
    "/api/v1/log/entries/:uuid",
    { schema: { params: uuidParams, response: { 200: logEntryMap } } },
    async (request) => {
      const { uuid, entry } = await log.entryByUuid(request.params.uuid);
      return { [uuid]: entry };
    },
  );

  app.post<{ Body: { entryUUIDs?: string[]; logIndexes?: number[]; entries?: unknown[] } }>(
    "/api/v1/log/entries/retrieve",
    { bodyLimit: log.maxEntryBytes * 10, schema: { body: searchLogQuery, response: { 200: { type: "array", items: logEntryMap } } } },
    async (request) => log.retrieve(request.body),
  );

  app.get("/api/v1/log", { schema: { response: { 200: logInfo } } }, async () => log.info());

  app.get<{ Querystring: { firstSize: number; lastSize: number } }>(
    "/api/v1/log/proof",
    { schema: { querystring: proofQuery, response: { 200: consistencyProof } } },
    async (request) => {
      const { firstSize, lastSize } = request.query;
      if (firstSize > lastSize) throw new VouchError("INPUT_USAGE", `firstSize ${firstSize} is larger than lastSize ${lastSize}`);
      return log.consistency(firstSize, lastSize);
    },
  );

  app.get("/api/v1/log/publicKey", async (_request, reply) => {
    return reply.type("application/x-pem-file").send(encodePem("PUBLIC KEY", log.signer.note.publicKeyDer));
  });

  app.get("/checkpoint", async (_request, reply) =>
    // A checkpoint changes with every batch: caches must revalidate (tlog-tiles leaves freshness to the log).
    reply.type("text/plain; charset=utf-8").header("cache-control", "no-cache").send(await log.checkpoint()),
  );

  app.get<{ Params: { "*": string } }>("/tile/*", async (request, reply) => {
    const ref = parseTilePath(`tile/${request.params["*"]}`);
    if (ref === undefined) throw new VouchError("LOG_NOT_FOUND", `not a tile path: /tile/${request.params["*"].slice(0, 100)}`);
    const bytes = await log.tile(ref);
    // tlog-tiles: a full tile never changes, so it may be cached forever; a partial one is replaced by a wider one.
    const cache = TransparencyLog.isImmutable(ref) ? "public, max-age=31536000, immutable" : "public, max-age=60";
    return reply.type("application/octet-stream").header("cache-control", cache).send(Buffer.from(bytes));
  });
};
