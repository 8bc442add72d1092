import { createHash, type Hash } from "node:crypto";
import { Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import * as zlib from "node:zlib";
import { VouchError } from "../../../core/errors.js";
import { verifyBlob } from "./manifest.js";
import type { Descriptor, ImageLayout, LayerCompression } from "./types.js";

/**
 * Blobs read from an ImageLayout with their digests checked while they stream: a blob longer than its
 * descriptor says is cut off at once, a short one or one that hashes to something else is an error at its
 * end (INPUT_MALFORMED: never a warning). Layers are decompressed in memory, chunk by chunk, with a cap on
 * the decompressed bytes (INPUT_TOO_LARGE: decompression bombs).
 */

function algorithmOf(digest: string): "sha256" | "sha512" {
  const alg = digest.slice(0, digest.indexOf(":"));
  if (alg !== "sha256" && alg !== "sha512") throw new VouchError("INPUT_UNSUPPORTED_FORMAT", `digest algorithm ${alg} is not supported (sha256, sha512)`);
  return alg;
}

/** Read a small blob whole (config, a nested index), checked against its descriptor. */
export async function readBlob(layout: ImageLayout, descriptor: Descriptor, maxBytes: number, what: string): Promise<Uint8Array> {
  if (descriptor.size > maxBytes) throw new VouchError("INPUT_TOO_LARGE", `${what} is ${descriptor.size} bytes (limit ${maxBytes})`);
  const stream = await layout.openBlob(descriptor);
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.length;
    if (total > descriptor.size) {
      await stream.cancel().catch(() => undefined);
      throw new VouchError("INPUT_MALFORMED", `${what}: more bytes than the descriptor's ${descriptor.size} (digest ${descriptor.digest})`);
    }
    chunks.push(chunk);
  }
  const bytes = Buffer.concat(chunks);
  verifyBlob(bytes, descriptor, what);
  return bytes;
}

/** Hashes what passes through and stops a blob that runs past its declared size. */
class DigestCheck extends Transform {
  readonly hash: Hash;
  bytes = 0;
  constructor(
    private readonly limit: number,
    algorithm: "sha256" | "sha512",
    private readonly onOver: () => VouchError,
  ) {
    super();
    this.hash = createHash(algorithm);
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      done(this.onOver());
      return;
    }
    this.hash.update(chunk);
    done(null, chunk);
  }
}

function decompressor(compression: LayerCompression): Transform | undefined {
  switch (compression) {
    case "none":
      return undefined;
    case "gzip":
      return zlib.createGunzip({ chunkSize: 256 * 1024 });
    case "zstd": {
      const create = (zlib as { createZstdDecompress?: () => Transform }).createZstdDecompress;
      if (typeof create !== "function") throw new VouchError("INPUT_UNSUPPORTED_FORMAT", "zstd layers need Node.js 22.15 or later (zlib.createZstdDecompress)");
      return create();
    }
  }
}

export interface LayerStreamResult {
  /** Bytes of the blob as stored. */
  compressedBytes: number;
  /** Bytes after decompression (the tar stream). */
  uncompressedBytes: number;
  /** sha256 of the tar stream: the layer's diffID. */
  diffId: string;
}

/**
 * Stream one layer: check its digest and size, decompress, check the diffID, and hand the tar bytes to
 * `sink` chunk by chunk. `sink` may throw (a malformed tar): the blob stream is then cancelled.
 */
export async function streamLayer(
  layout: ImageLayout,
  descriptor: Descriptor,
  compression: LayerCompression,
  expectedDiffId: string,
  maxLayerBytes: number,
  sink: (chunk: Uint8Array) => void,
  what: string,
): Promise<LayerStreamResult> {
  const check = new DigestCheck(descriptor.size, algorithmOf(descriptor.digest), () => new VouchError("INPUT_MALFORMED", `${what}: more bytes than the descriptor's ${descriptor.size} (digest ${descriptor.digest})`));
  const diffHash = createHash(algorithmOf(expectedDiffId));
  let uncompressed = 0;
  const inflate = decompressor(compression);
  const web = await layout.openBlob(descriptor);
  const source = Readable.fromWeb(web as NodeReadableStream<Uint8Array>);
  const consume = async (tar: AsyncIterable<Uint8Array>) => {
    for await (const chunk of tar) {
      uncompressed += chunk.length;
      if (uncompressed > maxLayerBytes) {
        throw new VouchError("INPUT_TOO_LARGE", `${what} decompresses to more than ${maxLayerBytes} bytes (a decompression bomb, or raise the per-layer limit)`);
      }
      diffHash.update(chunk);
      sink(chunk);
    }
  };
  try {
    if (inflate) await pipeline(source, check, inflate, consume);
    else await pipeline(source, check, consume);
  } catch (err) {
    if (err instanceof VouchError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? "";
    if (code.startsWith("Z_") || code.startsWith("ERR_ZSTD") || /zstd|incorrect header|unexpected end/i.test((err as Error).message)) {
      throw new VouchError("INPUT_MALFORMED", `${what}: ${compression} stream is corrupt or truncated (${(err as Error).message})`, { cause: err });
    }
    throw new VouchError("INPUT_UNREADABLE", `${what}: ${(err as Error).message}`, { cause: err });
  }
  if (check.bytes !== descriptor.size) {
    throw new VouchError("INPUT_MALFORMED", `${what}: truncated (${check.bytes} of ${descriptor.size} bytes; digest ${descriptor.digest})`);
  }
  const actual = `${algorithmOf(descriptor.digest)}:${check.hash.digest("hex")}`;
  if (actual !== descriptor.digest) throw new VouchError("INPUT_MALFORMED", `${what}: digest mismatch (expected ${descriptor.digest}, got ${actual})`);
  const diffId = `${algorithmOf(expectedDiffId)}:${diffHash.digest("hex")}`;
  if (diffId !== expectedDiffId) throw new VouchError("INPUT_MALFORMED", `${what}: diffID mismatch (the config says ${expectedDiffId}, the layer's tar is ${diffId})`);
  return { compressedBytes: check.bytes, uncompressedBytes: uncompressed, diffId };
}
