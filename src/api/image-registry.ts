import { homedir } from "node:os";
import type { Descriptor } from "../catalog/sources/image/types.js";
import { VouchError } from "../core/errors.js";
import { RegistryClient, type OciFetch, type RegistryClientOptions } from "../oci/client.js";
import { readDockerConfig, staticCredentials, type CredentialStore } from "../oci/docker-config.js";
import { formatReference, parseReference, type ImageReference } from "../oci/reference.js";

/** How the image verbs reach a registry: credentials and transport (cosign's and oras' flags). */
export interface RegistryAccessOptions {
  /** `--registry-username` / `--registry-password`: basic credentials for the image's registry (win over Docker's config). */
  registryUsername?: string;
  registryPassword?: string;
  /**
   * `--insecure-registry`: plain HTTP to the image's registry even when it is not on loopback. Unsafe: anyone on the
   * path sees the credentials and can answer for the registry (content asked for by digest is still checked).
   */
  insecureRegistry?: boolean;
  /** Environment: DOCKER_CONFIG and HOME locate Docker's config.json (default: process.env). */
  env?: Readonly<Record<string, string | undefined>>;
  /** HTTP for the registry (tests, a proxy); default global fetch. */
  fetch?: OciFetch;
  /** A client to reuse (its tokens and connections): its own credentials and transport win. */
  client?: RegistryClient;
  /**
   * Retries and timeouts for the registry (default the client's: 4 tries, 30 s). A service that must answer while a
   * request waits (admission) asks for fewer tries and a shorter timeout, and handles the outage itself.
   */
  clientOptions?: Pick<RegistryClientOptions, "retry" | "timeoutMs" | "sleep">;
  /** Told about what vouch skips (a Docker credential helper it does not run); the CLI prints it on stderr. */
  warn?: (message: string) => void;
}

/** An image named on the command line, resolved to the digest every later step uses. */
export interface ResolvedImage {
  ref: ImageReference;
  /** "registry/repository": the name cosign puts in signatures and statements. */
  name: string;
  /** The manifest or index the reference names now (by tag: what the tag points at at this moment). */
  descriptor: Descriptor;
  /** "registry/repository@sha256:…": the reference every step after resolution uses. */
  pinned: string;
  /** True when the user named a tag: the caller says which digest it used (a tag is never signed silently). */
  byTag: boolean;
  client: RegistryClient;
}

/**
 * The registry client for `registry` ("ghcr.io", "localhost:5000"): credentials from the flags, else Docker's config.json (auths; a
 * credential helper is reported, not run), bearer tokens, plain HTTP only for loopback or `--insecure-registry`.
 */
export async function openRegistryClient(registry: string, options: RegistryAccessOptions): Promise<RegistryClient> {
  if (options.client !== undefined) return options.client;
  if ((options.registryUsername === undefined) !== (options.registryPassword === undefined)) {
    throw new VouchError("INPUT_USAGE", "--registry-username and --registry-password go together");
  }
  const env = options.env ?? process.env;
  let credentials: CredentialStore | undefined;
  if (options.registryUsername !== undefined) {
    credentials = staticCredentials({ [registry]: { username: options.registryUsername, password: options.registryPassword! } });
  } else {
    credentials = await readDockerConfig({ env, home: env.HOME ?? homedir() });
    const credential = credentials?.credentialFor(registry);
    if (credential?.kind === "helper") {
      // Running a helper means executing a program the config names; vouch does not. Anonymous may still do (public images).
      options.warn?.(`${registry}: the Docker config keeps its credentials in ${credential.helper} (${credential.source}), which vouch does not run; going anonymous (use --registry-username/--registry-password, or "auths" in the config)`);
    }
  }
  return new RegistryClient({
    ...(credentials ? { credentials } : {}),
    ...(options.insecureRegistry ? { insecure: true } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...options.clientOptions,
  });
}

/**
 * Parses an image reference (`registry:` prefix optional) and resolves it to a digest. A reference with a digest is
 * checked against the registry (it must exist); a tag is resolved once, here, and the digest is what gets signed or
 * verified (a tag can move between two requests; a digest cannot).
 *
 * The manifest is read with a GET, not a HEAD: the bytes are checked against the digest, and undici (Node's fetch)
 * closes the connection after every HEAD, so a HEAD costs the next request a new TCP (over the internet, TLS)
 * handshake. (Docker Hub counts manifest GETs against its pull limit; signing and verifying are not pulls at a rate
 * where that matters.) With `digestOnly`, a reference that already names a digest is not asked about at all: the
 * verifier needs only the digest, and the referrers listing says whether anything is attached to it.
 *
 * @throws VouchError INPUT_USAGE for a malformed reference, INPUT_NOT_FOUND when the registry has no such image.
 */
export async function resolveImage(reference: string, options: RegistryAccessOptions, how: { digestOnly?: boolean } = {}): Promise<ResolvedImage> {
  const ref = parseReference(reference.startsWith("registry:") ? reference.slice("registry:".length) : reference);
  const client = await openRegistryClient(ref.registry, options);
  const name = `${ref.registry}/${ref.repository}`;
  const descriptor: Descriptor =
    how.digestOnly && ref.digest !== undefined
      ? { mediaType: "", digest: ref.digest, size: 0 }
      : (await client.getManifest(ref, ref.digest ?? ref.tag ?? "latest")).descriptor;
  return { ref, name, descriptor, pinned: `${name}@${descriptor.digest}`, byTag: ref.digest === undefined, client };
}

/** The reference as the user would write it, for messages. */
export function displayReference(ref: ImageReference): string {
  return formatReference(ref);
}
