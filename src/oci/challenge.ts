/**
 * WWW-Authenticate challenges (RFC 9110 §11.6.1), as registries send them (distribution `docs/spec/auth/token.md`):
 *
 *   Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"
 *   Basic realm="Registry Realm"
 *
 * A header may carry several challenges ("Basic realm=x, Bearer realm=y"); parameter names are case-insensitive.
 */
export interface Challenge {
  /** Lower-case scheme: "bearer", "basic". */
  scheme: string;
  /** Parameters, names lower-cased. */
  params: Record<string, string>;
}

export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && (header[i] === " " || header[i] === "\t")) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  let current: Challenge | undefined;
  while (i < n) {
    skipSpace();
    if (header[i] === ",") {
      i++;
      continue;
    }
    const token = readToken();
    if (token === "") {
      i++; // a character no grammar allows here: skip it rather than loop
      continue;
    }
    skipSpace();
    if (header[i] === "=" && current !== undefined) {
      i++;
      skipSpace();
      let value: string;
      if (header[i] === '"') {
        i++;
        value = "";
        while (i < n && header[i] !== '"') {
          if (header[i] === "\\" && i + 1 < n) i++;
          value += header[i];
          i++;
        }
        i++; // closing quote
      } else {
        // Unquoted: RFC 9110 allows only a token here, but an unquoted URL is read whole, up to "," or a space,
        // as docker/distribution's parser does (lenient on what registries send, strict on what we trust).
        const start = i;
        while (i < n && header[i] !== "," && header[i] !== " " && header[i] !== "\t") i++;
        value = header.slice(start, i);
      }
      current.params[token.toLowerCase()] = value;
    } else {
      current = { scheme: token.toLowerCase(), params: {} };
      out.push(current);
    }
  }
  return out;
}
