/** Options every command accepts (given before or after the verb). */
export interface GlobalOptions {
  dataDir?: string;
  config?: string;
}

/** Commander reducer for repeatable options. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
