import { createHash } from "node:crypto";

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * A UUID (RFC 9562 layout, version 5 bits) derived from content, so that identical inputs give identical
 * serial numbers and document namespaces: the reproducibility half of SOURCE_DATE_EPOCH.
 */
export function contentUuid(content: string): string {
  const h = createHash("sha1").update(content).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
