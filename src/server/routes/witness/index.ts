import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { isVouchError } from "../../../core/errors.js";
import { formatSignatureLine, parseAddCheckpointRequest, type AddCheckpointRequest, type Witness, type WitnessRefusal } from "../../../tlog/witness/index.js";

export interface WitnessRoutesOptions {
  witness: Witness;
  /** Largest request body accepted (default 64 KiB: a checkpoint, 63 proof hashes and many signature lines). */
  bodyLimit?: number;
}

/** c2sp.org/tlog-witness status codes, one per refusal. */
const STATUS: Record<WitnessRefusal, number> = {
  malformed: 400,
  "old-size-too-large": 400,
  "bad-signature": 403,
  "unknown-log": 404,
  conflict: 409,
  "root-mismatch": 409,
  "bad-proof": 422,
};

/**
 * The witness over HTTP, c2sp.org/tlog-witness: `POST /add-checkpoint` with the text body "old <size>\n", the
 * consistency proof lines, an empty line and the signed checkpoint; 200 answers with the cosignature line(s),
 * 409 for a stale old size with the witness's size as `text/x.tlog.size`. Mount it under the witness's
 * submission prefix.
 *
 * The body is taken as text whatever its Content-Type (the spec names none); this plugin's parsers do not leak to
 * other routes (fastify encapsulation).
 *
 * @example
 *   await app.register(witnessRoutes, { prefix: "/witness", witness });
 */
export const witnessRoutes: FastifyPluginAsync<WitnessRoutesOptions> = async (app, { witness, bodyLimit = 64 * 1024 }) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "string", bodyLimit }, (_request, body, done) => done(null, body));

  app.post("/add-checkpoint", { bodyLimit }, async (request, reply) => {
    let parsed: AddCheckpointRequest;
    try {
      if (typeof request.body !== "string") return text(reply, 400, "add-checkpoint: the request has no body\n");
      parsed = parseAddCheckpointRequest(request.body);
    } catch (error) {
      if (isVouchError(error) && error.code === "INPUT_MALFORMED") return text(reply, 400, `${error.message}\n`);
      throw error;
    }
    const outcome = await witness.addCheckpoint(parsed);
    if (outcome.ok) return text(reply, 200, outcome.cosignatures.map(formatSignatureLine).join(""));
    if (outcome.refusal === "bad-proof" || outcome.refusal === "root-mismatch") {
      // A validly signed checkpoint that does not extend what the witness cosigned may be evidence of a split view
      // (tlog-witness: "the witness MAY log the request"): keep it in the server log.
      request.log.warn({ refusal: outcome.refusal, checkpoint: parsed.checkpoint, oldSize: parsed.oldSize }, outcome.message);
    }
    if (outcome.refusal === "conflict") {
      // Exactly this media type, no charset: clients compare it to learn the size to retry from.
      return reply.code(409).header("content-type", "text/x.tlog.size").send(`${outcome.size}\n`);
    }
    return text(reply, STATUS[outcome.refusal], `${outcome.message}\n`);
  });
};

function text(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).header("content-type", "text/plain; charset=utf-8").send(body);
}
