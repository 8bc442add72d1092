/** Base64 (standard or URL alphabet, padding optional) to lowercase hex; undefined when it is not base64. */
export function base64ToHex(b64: string): string | undefined {
  const normal = b64.trim().replace(/-/g, "+").replace(/_/g, "/");
  if (normal.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(normal)) return undefined;
  return Buffer.from(normal, "base64").toString("hex");
}

export function hexToBase64(hex: string): string {
  return Buffer.from(hex, "hex").toString("base64");
}

export function isHex(value: string): boolean {
  return value.length > 0 && value.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(value);
}
