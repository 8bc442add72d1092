import type { FastifyError, FastifyPluginAsync } from "fastify";
import { TsaRequestError, type TimestampAuthority } from "../../../tsa/index.js";
import { errorHandler } from "../../plugins/errors.js";
import { jsonTimestampRequest } from "./schemas.js";

export interface TsaRoutesOptions {
  authority: TimestampAuthority;
  /**
   * Status of a granted reply: 200 (timestamp-authority's default) or 201 (its --use-http-201, the status its
   * openapi.yaml documents). Clients check only for success.
   */
  grantedStatus?: 200 | 201;
  /** Largest request accepted. A TimeStampReq with a SHA-512 imprint, a nonce and a policy is about 120 bytes. */
  bodyLimit?: number;
}

const QUERY = "application/timestamp-query";
const REPLY = "application/timestamp-reply";
const JSON_TYPE = "application/json";

/**
 * The RFC 3161 timestamp authority over HTTP, as sigstore/timestamp-authority serves it:
 *   POST /api/v1/timestamp            `application/timestamp-query` (DER TimeStampReq) or `application/json`
 *                                     ({artifactHash, hashAlgorithm, …}) → `application/timestamp-reply` (DER)
 *   GET  /api/v1/timestamp/certchain  the PEM chain (`application/pem-certificate-chain`), signing certificate first
 * A refused request is answered 400 with timestamp-authority's JSON error {code, message} (pkg/api/error.go), which
 * sigstore clients print; `rejectionResponse` in src/tsa builds RFC 3161's own form for other uses.
 *
 * Encapsulated (no fastify-plugin): the DER and catch-all body parsers and the body-limit message stay in this
 * plugin's routes.
 *
 * @example
 *   await app.register(tsaRoutes, { authority: loadOrCreateTsa(join(dataDir, "tsa")) });
 */
export const tsaRoutes: FastifyPluginAsync<TsaRoutesOptions> = async (app, { authority, grantedStatus = 200, bodyLimit = 4096 }) => {
  app.addContentTypeParser(QUERY, { parseAs: "buffer", bodyLimit }, (_request, body, done) => done(null, body));
  // Any other type reaches the handler, which names what it accepts (Fastify alone would answer 415 without a reason).
  app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit }, (_request, body, done) => done(null, body));

  app.setErrorHandler(function tsaErrors(error: FastifyError, request, reply) {
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      // The shared handler's message speaks of log entries; a timestamp request has its own, much smaller, limit.
      error = new TsaRequestError("badRequest", `the timestamp request is larger than ${bodyLimit} bytes`, { cause: error }) as unknown as FastifyError;
    }
    errorHandler.call(this, error, request, reply);
  });

  app.post("/api/v1/timestamp", { bodyLimit, schema: { body: { content: { [JSON_TYPE]: { schema: jsonTimestampRequest } } } } }, async (request, reply) => {
    const type = mediaType(request.headers["content-type"]);
    let der: Uint8Array;
    if (type === QUERY) {
      der = await authority.timestamp(request.body as Buffer);
    } else if (type === JSON_TYPE) {
      der = await authority.timestampJson(request.body);
    } else {
      throw new TsaRequestError(
        "badRequest",
        `unsupported content type ${JSON.stringify((type ?? "none").slice(0, 100))}: send ${QUERY} (a DER TimeStampReq) or ${JSON_TYPE}`,
      );
    }
    return reply.code(grantedStatus).type(REPLY).send(Buffer.from(der.buffer, der.byteOffset, der.byteLength));
  });

  app.get("/api/v1/timestamp/certchain", async (_request, reply) => reply.type("application/pem-certificate-chain").send(authority.certChainPem()));
};

function mediaType(header: string | undefined): string | undefined {
  return header?.split(";")[0]!.trim().toLowerCase() || undefined;
}
