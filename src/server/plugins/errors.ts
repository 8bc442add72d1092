import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { isVouchError, type VouchErrorCode } from "../../core/errors.js";

/**
 * One error handler for every route: VouchError codes become HTTP statuses, and the body is Rekor's error shape
 * ({code, message}) so Rekor clients print the reason. Client errors say what was wrong in one line; internal
 * errors are logged with their stack and answered without it.
 */

const STATUS: Partial<Record<VouchErrorCode, number>> = {
  INPUT_USAGE: 400,
  INPUT_MALFORMED: 400,
  INPUT_UNSUPPORTED_FORMAT: 400,
  INPUT_TOO_LARGE: 400,
  // A query about something the server does not hold (an advisory id, a release) is a 404, not an internal error.
  INPUT_NOT_FOUND: 404,
  LOG_INVALID_ENTRY: 400,
  // Issue 4: an oversized submission gets 400 with a reason, like any other refused entry.
  LOG_ENTRY_TOO_LARGE: 400,
  LOG_NOT_FOUND: 404,
  LOG_UNAVAILABLE: 503,
  STORE_CONFLICT: 503,
  STORE_UNAVAILABLE: 503,
  // Fulcio answers an unusable identity token with 401 (Unauthenticated) and a bad request with 400.
  CA_TOKEN_INVALID: 401,
  CA_REQUEST_INVALID: 400,
  CA_ISSUER_UNAVAILABLE: 503,
  TSA_REQUEST_INVALID: 400,
  CT_CHAIN_INVALID: 400,
  SERVICE_UNAVAILABLE: 503,
};

export function statusOf(error: unknown): number {
  if (isVouchError(error)) return STATUS[error.code] ?? 500;
  const fastifyError = error as Partial<FastifyError>;
  // Fastify's own client errors (bad JSON, schema validation, body over the limit) carry a 4xx statusCode.
  if (typeof fastifyError.statusCode === "number" && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return fastifyError.code === "FST_ERR_CTP_BODY_TOO_LARGE" ? 400 : fastifyError.statusCode;
  }
  return 500;
}

export function errorHandler(this: FastifyInstance, error: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const status = statusOf(error);
  const corrupt = isVouchError(error) && error.code === "STORE_CORRUPT";
  if (corrupt) request.log.fatal({ err: error }, "log storage is damaged");
  else if (status >= 500 && status !== 503) request.log.error({ err: error }, "request failed");
  // Damage is reported as such (an operator must see it; nothing damaged is ever served); other internal errors
  // are not described to the client.
  const explain = status < 500 || status === 503 || corrupt;
  let message = explain && error instanceof Error ? error.message : "internal error";
  if ((error as Partial<FastifyError>).code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    // Only the log's submission routes take their limit from log.maxEntryBytes: naming it elsewhere (CA, TSA) misleads.
    message = /^\/api\/v[12]\/log\//.test(request.url)
      ? "request body is too large (the limit for log entries is log.maxEntryBytes in vouch.yaml, default 128 KiB)"
      : "request body is too large for this route";
  }
  void reply.code(status).send({ code: status, message });
}
