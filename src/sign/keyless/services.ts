import { VouchError } from "../../core/errors.js";
import { selectService, selectServices, type SigningConfig } from "./signing-config.js";

/**
 * Which services a keyless signature uses, resolved in one place: a flag wins, then the signing config, then the
 * defaults the caller knows (vouch.yaml, the data directory's own services: `defaults`). Each kind is resolved on its
 * own, so `--tsa-url` can replace only the TSA of a signing config.
 */

/** A transparency log and the Rekor API it speaks (1: /api/v1/log/entries, 2: rekor-tiles /api/v2/log/entries). */
export interface TlogService {
  url: string;
  majorApiVersion: 1 | 2;
}

export interface KeylessServices {
  /** The CA (Fulcio v2 API) base URL. */
  caUrl: string;
  /** Logs to record the signature in, each one entry in the bundle. */
  tlog: TlogService[];
  /** RFC 3161 TSAs (base or full endpoint URLs), each one timestamp in the bundle. */
  tsaUrls: string[];
}

export interface KeylessServiceSources {
  signingConfig?: SigningConfig;
  /** `--fulcio-url` */
  fulcioUrl?: string;
  /** `--tsa-url` */
  tsaUrl?: string;
  /** `--tlog-url` (Rekor v1 API, as for keyed signing). */
  tlogUrl?: string;
  /** What the deployment provides when neither a flag nor the signing config names a service. */
  defaults?: Partial<KeylessServices>;
}

/** API versions this client speaks (signing config majorApiVersion): the CA's "v1" is Fulcio's /api/v2 protocol. */
export const SUPPORTED_API_VERSIONS = { ca: [1], tlog: [1, 2], tsa: [1] } as const;

/**
 * The services to sign with at `now`.
 *
 * @throws VouchError INPUT_USAGE when there is no CA, when there is neither a log nor a TSA (a certificate lives ten
 *   minutes: without a trusted time no verifier can tell the signature was made inside them), or when the log is
 *   Rekor v2 and there is no TSA (v2 entries carry no time); INPUT_MALFORMED for a flag that is not an http(s) URL.
 * @example
 *   const services = resolveKeylessServices({ signingConfig, tsaUrl: "http://127.0.0.1:8080" }, new Date());
 */
export function resolveKeylessServices(sources: KeylessServiceSources, now: Date): KeylessServices {
  const config = sources.signingConfig;
  const defaults = sources.defaults ?? {};

  const caUrl =
    flagUrl(sources.fulcioUrl, "--fulcio-url") ??
    (config ? selectService(config.caUrls, SUPPORTED_API_VERSIONS.ca, now)?.url : undefined) ??
    defaults.caUrl;
  if (caUrl === undefined) {
    const why = config && config.caUrls.length > 0 ? " (the signing config names none valid now with API version 1)" : "";
    throw new VouchError("INPUT_USAGE", `keyless signing needs a certificate authority: --signing-config FILE or --fulcio-url URL${why}`);
  }

  const tlogFlag = flagUrl(sources.tlogUrl, "--tlog-url");
  const tlog: TlogService[] =
    tlogFlag !== undefined
      ? [{ url: tlogFlag, majorApiVersion: 1 }]
      : config
        ? selectServices(config.rekorTlogUrls, config.rekorTlogConfig, SUPPORTED_API_VERSIONS.tlog, now, "transparency logs").map((s) => ({
            url: s.url,
            majorApiVersion: s.majorApiVersion as 1 | 2,
          }))
        : (defaults.tlog ?? []);

  const tsaFlag = flagUrl(sources.tsaUrl, "--tsa-url");
  const tsaUrls: string[] =
    tsaFlag !== undefined
      ? [tsaFlag]
      : config
        ? selectServices(config.tsaUrls, config.tsaConfig, SUPPORTED_API_VERSIONS.tsa, now, "timestamp authorities").map((s) => s.url)
        : (defaults.tsaUrls ?? []);

  if (tlog.length === 0 && tsaUrls.length === 0) {
    throw new VouchError(
      "INPUT_USAGE",
      "keyless signing needs a transparency log or a timestamp authority to prove when it signed (the certificate is valid for minutes): --tlog-url URL, --tsa-url URL or --signing-config FILE",
    );
  }
  if (tsaUrls.length === 0 && tlog.some((t) => t.majorApiVersion === 2)) {
    throw new VouchError("INPUT_USAGE", "a Rekor v2 log records no signing time: keyless signing with it needs a timestamp authority (--tsa-url URL, or tsaUrls in the signing config)");
  }
  return { caUrl, tlog, tsaUrls };
}

function flagUrl(value: string | undefined, flag: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return value;
  } catch {
    // reported below
  }
  throw new VouchError("INPUT_MALFORMED", `${flag} ${value}: not an http(s) URL`);
}
