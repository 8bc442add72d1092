import { VouchError } from "../errors.js";

/** One PEM block (RFC 7468): its label and the DER between the boundaries. */
export interface PemBlock {
  label: string;
  der: Uint8Array;
}

// RFC 7468 §3: the label after BEGIN and END must match; base64 lines may wrap anywhere.
// A block whose body is not base64 is matched too, so that it is reported as corrupt rather than silently skipped.
const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * Every PEM block in `text`, in order (RFC 7468, the lax form: any line length, whitespace between blocks).
 *
 * @throws VouchError INPUT_MALFORMED when a block's body is not base64.
 */
export function decodePemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const body = match[2]!.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) {
      throw new VouchError("INPUT_MALFORMED", `PEM ${match[1]} block is not base64`);
    }
    blocks.push({ label: match[1]!, der: new Uint8Array(Buffer.from(body, "base64")) });
  }
  return blocks;
}
