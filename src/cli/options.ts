/** Options every command accepts (given before or after the verb). */
export interface GlobalOptions {
  dataDir?: string;
  config?: string;
}

import { VouchError } from "../public/base.js";

/** A flag's value as a whole number (decimal digits only), else a usage error naming the flag. */
export function wholeNumber(text: string | undefined, flag: string): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new VouchError("INPUT_USAGE", `${flag} takes a whole number, not "${text}"`);
  return Number(text);
}

/** --port: a TCP port, 0 for any free one. */
export function tcpPort(text: string, flag = "--port"): number {
  const port = wholeNumber(text, flag);
  if (port > 65535) throw new VouchError("INPUT_USAGE", `${flag} ${text}: not a TCP port`);
  return port;
}

/** Commander reducer for repeatable options. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
