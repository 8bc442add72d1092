import { VouchError } from "../../core/errors.js";
import { parseDigest } from "../digest.js";
import { goJson, isRecord, parseJsonBytes, sortedMap, utf8 } from "./encode.js";

/**
 * cosign's simple-signing payload (cosign specs/SIGNATURE_SPEC.md "Simple Signing", after containers/image
 * docs/containers-signature.5.md): the bytes cosign v1/v2 signs for an image and stores as the layer of the
 * `sha256-<hex>.sig` image. The signature covers these bytes; the image is bound by `docker-manifest-digest`.
 */

/** The layer media type of a simple-signing payload. */
export const SIMPLE_SIGNING_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
/** `critical.type` of a cosign signature (sigstore/sigstore pkg/signature/payload CosignSignatureType). */
export const COSIGN_SIGNATURE_TYPE = "cosign container image signature";

export interface SimpleSigningPayload {
  /** `critical.identity.docker-reference`: the repository cosign signed under ("registry/repository"). */
  dockerReference: string;
  /** `critical.image.docker-manifest-digest`: the signed manifest's digest. */
  manifestDigest: string;
  /** `optional`: the signer's annotations (`cosign sign -a k=v`); absent when the payload has `null` or none. */
  annotations?: Record<string, unknown>;
}

/**
 * The payload bytes exactly as cosign writes them (sigstore/sigstore payload.Cosign.MarshalJSON: Go's encoding/json
 * of SimpleContainerImage): `{"critical":{"identity":{"docker-reference":…},"image":{"docker-manifest-digest":…},
 * "type":"cosign container image signature"},"optional":null}`, with `optional` the annotations (keys sorted) when
 * there are any. Same inputs, same bytes, same layer digest as cosign's.
 *
 * @example
 *   simpleSigningPayload({ dockerReference: "localhost:5000/app", manifestDigest: "sha256:9f86…0a08" });
 */
export function simpleSigningPayload(input: { dockerReference: string; manifestDigest: string; annotations?: Record<string, unknown> }): Uint8Array {
  try {
    parseDigest(input.manifestDigest);
  } catch (error) {
    throw new VouchError("INPUT_USAGE", `simple-signing payload: ${(error as Error).message}`, { cause: error });
  }
  const annotations = input.annotations !== undefined && Object.keys(input.annotations).length > 0 ? sortedMap(input.annotations) : null;
  const document = {
    critical: {
      identity: { "docker-reference": input.dockerReference },
      image: { "docker-manifest-digest": input.manifestDigest },
      type: COSIGN_SIGNATURE_TYPE,
    },
    optional: annotations,
  };
  return utf8(goJson(document));
}

/**
 * Parse a simple-signing payload, strictly: the payload is attacker-controlled until its signature is checked, and
 * the digest in it is what binds the signature to an image, so every field is type-checked.
 *   - `critical` must hold exactly identity, image and type (containers-signature.5.md: a consumer MUST reject
 *     unknown critical keys, since a critical claim it ignores is one it would silently not enforce);
 *   - `critical.type` must be cosign's (an atomic container signature is another format: INPUT_UNSUPPORTED_FORMAT);
 *   - `docker-manifest-digest` must be a sha256/sha512 digest;
 *   - `optional` may be null, absent or an object.
 * Key names match case-insensitively (cosign reads with Go's encoding/json, which does, and early cosign wrote
 * "Docker-manifest-digest"), but a field given twice under two spellings is refused: which one a reader picks
 * would otherwise decide what was signed.
 *
 * @throws VouchError INPUT_MALFORMED naming the field, INPUT_UNSUPPORTED_FORMAT for another payload type.
 */
export function parseSimpleSigningPayload(bytes: Uint8Array): SimpleSigningPayload {
  const root = object(parseJsonBytes(bytes, "simple-signing payload"), "(payload)");
  const critical = object(field(root, "critical", "(payload)"), "critical");
  for (const key of Object.keys(critical)) {
    if (!["identity", "image", "type"].includes(key.toLowerCase())) invalid(`critical.${key}`, "is not a critical field cosign defines (unknown critical claims are refused)");
  }
  const type = field(critical, "type", "critical");
  if (typeof type !== "string") invalid("critical.type", "must be a string");
  if (type !== COSIGN_SIGNATURE_TYPE) {
    throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `simple-signing payload: critical.type ${JSON.stringify(type.slice(0, 100))} is not "${COSIGN_SIGNATURE_TYPE}"`);
  }
  const identity = object(field(critical, "identity", "critical"), "critical.identity");
  const reference = field(identity, "docker-reference", "critical.identity");
  if (typeof reference !== "string") invalid("critical.identity.docker-reference", "must be a string");
  const image = object(field(critical, "image", "critical"), "critical.image");
  const digest = field(image, "docker-manifest-digest", "critical.image");
  if (typeof digest !== "string") invalid("critical.image.docker-manifest-digest", "must be a string");
  try {
    parseDigest(digest);
  } catch (error) {
    invalid("critical.image.docker-manifest-digest", (error as Error).message);
  }
  const out: SimpleSigningPayload = { dockerReference: reference, manifestDigest: digest };
  const optional = field(root, "optional", "(payload)", false);
  if (optional !== undefined && optional !== null) {
    const annotations = object(optional, "optional");
    if (Object.keys(annotations).length > 0) out.annotations = annotations;
  }
  return out;
}

/** The value under `name`, matched case-insensitively as Go does; refuses two spellings of one field. */
function field(o: Record<string, unknown>, name: string, where: string, required = true): unknown {
  const keys = Object.keys(o).filter((k) => k.toLowerCase() === name.toLowerCase());
  if (keys.length > 1) invalid(`${where}.${name}`, `is given ${keys.length} times (${keys.map((k) => JSON.stringify(k)).join(", ")})`);
  if (keys.length === 0) {
    if (required) invalid(`${where}.${name}`, "is missing");
    return undefined;
  }
  return o[keys[0]!];
}

function object(value: unknown, where: string): Record<string, unknown> {
  if (!isRecord(value)) invalid(where, "must be an object");
  return value;
}

function invalid(where: string, why: string): never {
  throw new VouchError("INPUT_MALFORMED", `simple-signing payload: ${where} ${why}`);
}
