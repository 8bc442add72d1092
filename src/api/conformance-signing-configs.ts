/**
 * The public Sigstore instances' signing configs (protobuf-specs SigningConfig v0.2), for `vouch conformance
 * sign-bundle` without --signing-config: production, or staging with --staging. Sigstore distributes these through
 * TUF (signing_config.v0.2.json next to trusted_root.json); vouch does not fetch TUF metadata, so these are static
 * copies of the services those files name (Fulcio, Rekor v1, the TSA). Rekor v1 is chosen over the v2 shards: its
 * entries carry a signed integrated time, so a bundle verifies even where the TSA is not trusted. They are only used
 * with network access to the public instances; a private deployment passes its own (`vouch trust export` writes it).
 */

export const PRODUCTION_SIGNING_CONFIG = JSON.stringify({
  mediaType: "application/vnd.dev.sigstore.signingconfig.v0.2+json",
  caUrls: [{ url: "https://fulcio.sigstore.dev", majorApiVersion: 1, validFor: { start: "2023-04-14T21:38:40Z" }, operator: "sigstore.dev" }],
  oidcUrls: [{ url: "https://oauth2.sigstore.dev/auth", majorApiVersion: 1, validFor: { start: "2025-04-16T00:00:00Z" }, operator: "sigstore.dev" }],
  rekorTlogUrls: [{ url: "https://rekor.sigstore.dev", majorApiVersion: 1, validFor: { start: "2021-01-12T11:53:27Z" }, operator: "sigstore.dev" }],
  tsaUrls: [{ url: "https://timestamp.sigstore.dev/api/v1/timestamp", majorApiVersion: 1, validFor: { start: "2025-07-04T00:00:00Z" }, operator: "sigstore.dev" }],
  rekorTlogConfig: { selector: "ANY" },
  tsaConfig: { selector: "ANY" },
});

export const STAGING_SIGNING_CONFIG = JSON.stringify({
  mediaType: "application/vnd.dev.sigstore.signingconfig.v0.2+json",
  caUrls: [{ url: "https://fulcio.sigstage.dev", majorApiVersion: 1, validFor: { start: "2022-04-14T21:38:40Z" }, operator: "sigstore.dev" }],
  oidcUrls: [{ url: "https://oauth2.sigstage.dev/auth", majorApiVersion: 1, validFor: { start: "2025-04-16T00:00:00Z" }, operator: "sigstore.dev" }],
  rekorTlogUrls: [{ url: "https://rekor.sigstage.dev", majorApiVersion: 1, validFor: { start: "2021-01-12T11:53:27Z" }, operator: "sigstore.dev" }],
  tsaUrls: [{ url: "https://timestamp.sigstage.dev/api/v1/timestamp", majorApiVersion: 1, validFor: { start: "2025-04-09T00:00:00Z" }, operator: "sigstore.dev" }],
  rekorTlogConfig: { selector: "ANY" },
  tsaConfig: { selector: "ANY" },
});
