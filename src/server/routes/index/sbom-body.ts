import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { errorCodes, type FastifyRequest } from "fastify";
import { VouchError } from "../../../core/errors.js";
import type { Digest, ReceivedSbom } from "../../../sbom-index/types.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The SBOM route's body as received: its bytes, their sha256 (taken as they arrived), the text and its JSON. */
    sbom?: ReceivedSbom;
  }
}

/**
 * The SBOM route's body parser. A large SBOM (100,000 components is ~25 MB of JSON) is handled once: the sha256 the
 * index keys it by is taken chunk by chunk as the body arrives, the bytes are decoded as UTF-8 once and parsed once,
 * and the service reads that parse instead of parsing the text again. The limit is the configured one, enforced from
 * the announced length before reading and on the bytes received (chunked bodies), with fastify's own 413 error, as
 * its buffering parser does.
 */
export function sbomBodyParser(limit: number): (request: FastifyRequest, payload: Readable, done: (err: Error | null, body?: unknown) => void) => void {
  return (request, payload, done) => {
    if (Number(request.headers["content-length"]) > limit) {
      done(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      return;
    }
    const hash = createHash("sha256");
    const chunks: Buffer[] = [];
    let received = 0;
    let finished = false;
    const finish = (err: Error | null, body?: unknown) => {
      if (finished) return;
      finished = true;
      payload.removeListener("data", onData);
      payload.removeListener("end", onEnd);
      payload.removeListener("error", onError);
      done(err, body);
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      received += bytes.length;
      if (received > limit) {
        chunks.length = 0;
        finish(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
        return;
      }
      hash.update(bytes);
      chunks.push(bytes);
    };
    const onError = (err: Error) => finish(err);
    const onEnd = () => {
      const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, received);
      chunks.length = 0;
      let text: string;
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      } catch (err) {
        finish(new VouchError("INPUT_MALFORMED", "the SBOM is not UTF-8 text", { cause: err }));
        return;
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        finish(new VouchError("INPUT_MALFORMED", `the body is not JSON: ${(err as Error).message.split("\n")[0]}`));
        return;
      }
      request.sbom = { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), sha256: `sha256:${hash.digest("hex")}` as Digest, text, json };
      finish(null, json);
    };
    payload.on("data", onData);
    payload.on("end", onEnd);
    payload.on("error", onError);
    payload.resume();
  };
}
