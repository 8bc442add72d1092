/** A file's bytes as the text catalogers parse: UTF-8, without a leading byte order mark (editors on Windows add one). */
export function fileText(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
