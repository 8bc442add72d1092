import { VouchError } from "../core/errors.js";
import { parseDigest } from "./digest.js";

/**
 * An image reference, normalized the way docker/distribution's `ParseNormalizedNamed` does it
 * (distribution/reference `normalize.go` and `regexp.go`):
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [ domain "/" ] path-component [ "/" path-component ]*
 *   domain    := host [ ":" port ]          host: DNS labels joined by ".", or an IPv6 address in brackets
 *
 * The first component is a registry host only when it contains "." or ":", is "localhost", or has upper-case letters
 * (repository paths are lower case, so "Foo/bar" cannot be a repository); otherwise the reference is on Docker Hub:
 * `alpine` is `docker.io/library/alpine:latest`. With neither a tag nor a digest the tag is "latest".
 */
export interface ImageReference {
  /** Registry as named in references: "docker.io", "ghcr.io", "localhost:5000", "[::1]:5000". */
  registry: string;
  /** Repository path inside the registry: "library/alpine", "org/team/app". */
  repository: string;
  /** Tag, when the reference has one ("latest" when it has neither tag nor digest). */
  tag?: string;
  /** "sha256:<64 hex>" (or sha512), when the reference pins one. A digest wins over the tag when pulling. */
  digest?: string;
}

export const DOCKER_HUB = "docker.io";
/** The host Docker Hub's distribution API answers on (docker.io itself only redirects to the website). */
export const DOCKER_HUB_API_HOST = "registry-1.docker.io";

const MAX_NAME_LENGTH = 255;
// distribution/reference regexp.go
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_LABEL = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6 = /^\[[a-fA-F0-9:]+\]$/;
const PORT = /^[0-9]+$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const ANCHORED_ID = /^[a-f0-9]{64}$/;

/**
 * Parses an image reference ("alpine", "alpine:3.20", "ghcr.io/org/app@sha256:…", "localhost:5000/x:tag@sha256:…").
 * Throws INPUT_USAGE naming what is wrong: a user typed it.
 *
 * @example parseReference("localhost:5000/app:1.0") // { registry: "localhost:5000", repository: "app", tag: "1.0" }
 */
export function parseReference(input: string): ImageReference {
  const bad = (why: string): never => {
    throw new VouchError("INPUT_USAGE", `invalid image reference ${JSON.stringify(input.length > 300 ? `${input.slice(0, 300)}…` : input)}: ${why}`);
  };
  if (input === "") bad("empty");
  if (/\s/.test(input)) bad("contains whitespace");

  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    const candidate = rest.slice(at + 1);
    try {
      digest = parseDigest(candidate).digest;
    } catch (error) {
      bad(`bad digest after "@" (${(error as Error).message})`);
    }
    rest = rest.slice(0, at);
  }

  // A tag is after the last ":" that comes after the last "/" (a ":" before it is a registry port).
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) bad(`bad tag ${JSON.stringify(tag)} (letters, digits, "_", "." and "-", at most 128, not starting with "." or "-")`);
  }
  if (rest === "") bad("no repository name");
  if (rest.length > MAX_NAME_LENGTH) bad(`name longer than ${MAX_NAME_LENGTH} characters`);

  let registry = DOCKER_HUB;
  let path = rest;
  const slash = rest.indexOf("/");
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (first.includes(".") || first.includes(":") || first === "localhost" || first.toLowerCase() !== first) {
      registry = parseDomain(first, bad);
      path = rest.slice(slash + 1);
    }
  }
  if (registry === "index.docker.io") registry = DOCKER_HUB;

  const components = path.split("/");
  for (const component of components) {
    if (component === "") bad("empty path component (a doubled or trailing \"/\")");
    if (!PATH_COMPONENT.test(component)) {
      if (component.toLowerCase() !== component && PATH_COMPONENT.test(component.toLowerCase())) bad("repository name must be lowercase");
      bad(`bad repository path component ${JSON.stringify(component)} (lower-case letters and digits, separated by ".", "_", "__" or "-")`);
    }
  }
  if (registry === DOCKER_HUB && components.length === 1) {
    // distribution refuses a bare 64-hex name: it could be an image ID, and pulling it by name would surprise.
    if (ANCHORED_ID.test(path)) bad("a 64-character hex string is an image ID, not a repository name");
    path = `library/${path}`;
  }

  const ref: ImageReference = { registry, repository: path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  if (tag === undefined && digest === undefined) ref.tag = "latest";
  return ref;
}

function parseDomain(domain: string, bad: (why: string) => never): string {
  let host = domain;
  let port: string | undefined;
  if (domain.startsWith("[")) {
    const close = domain.indexOf("]");
    if (close === -1) bad(`bad registry host ${JSON.stringify(domain)} (unclosed "[")`);
    host = domain.slice(0, close + 1);
    const after = domain.slice(close + 1);
    if (after !== "") {
      if (!after.startsWith(":")) bad(`bad registry host ${JSON.stringify(domain)}`);
      port = after.slice(1);
    }
    if (!IPV6.test(host)) bad(`bad registry host ${JSON.stringify(domain)} (not an IPv6 address)`);
  } else {
    const colon = domain.indexOf(":");
    if (colon !== -1) {
      host = domain.slice(0, colon);
      port = domain.slice(colon + 1);
    }
    if (host === "") bad(`bad registry host ${JSON.stringify(domain)} (no host before the port)`);
    for (const label of host.split(".")) {
      if (!DOMAIN_LABEL.test(label)) bad(`bad registry host ${JSON.stringify(domain)} (label ${JSON.stringify(label)})`);
    }
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) > 65535 || Number(port) === 0)) bad(`bad registry port ${JSON.stringify(port)}`);
  return domain;
}

/** The host[:port] the distribution API is reached on: Docker Hub's API host for docker.io, else the registry. */
export function apiHost(ref: Pick<ImageReference, "registry">): string {
  return ref.registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : ref.registry;
}

/**
 * The full, canonical form: "docker.io/library/alpine:3.20", "localhost:5000/app@sha256:…" (tag and digest both
 * when both were given). Parsing it again gives the same reference.
 */
export function formatReference(ref: ImageReference): string {
  let out = `${ref.registry}/${ref.repository}`;
  if (ref.tag !== undefined) out += `:${ref.tag}`;
  if (ref.digest !== undefined) out += `@${ref.digest}`;
  return out;
}

/**
 * The short form people type, as `docker` prints it: "alpine:3.20" for docker.io/library/alpine:3.20,
 * "org/app:1" for Docker Hub user images, the full form for every other registry.
 */
export function familiarReference(ref: ImageReference): string {
  if (ref.registry !== DOCKER_HUB) return formatReference(ref);
  const repo = ref.repository.startsWith("library/") && ref.repository.split("/").length === 2 ? ref.repository.slice("library/".length) : ref.repository;
  let out = repo;
  if (ref.tag !== undefined) out += `:${ref.tag}`;
  if (ref.digest !== undefined) out += `@${ref.digest}`;
  return out;
}

/** Whether the registry is on this machine (localhost, 127.0.0.0/8, ::1): plain HTTP is allowed there. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith("[") ? registry.slice(0, registry.indexOf("]") + 1) : registry.split(":")[0]!;
  return host === "localhost" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === "[::1]";
}
