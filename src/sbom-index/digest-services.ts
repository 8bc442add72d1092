import type { IndexStore } from "../store/ports.js";

/**
 * The services each digest belongs to: those that deployed it or pushed an SBOM for it. Shared by the SLIs' key usage
 * and signer anomalies (sli.ts) and key health (key-health.ts), so a signer's services are counted the same in both.
 */
export async function servicesOfDigests(index: Pick<IndexStore, "listDeployments" | "listSboms">, digests: readonly string[]): Promise<Map<string, Set<string>>> {
  const servicesOf = new Map<string, Set<string>>();
  if (digests.length === 0) return servicesOf;
  const [deployed, described] = await Promise.all([index.listDeployments({ digests }), index.listSboms({ digests })]);
  for (const x of [...deployed, ...described]) {
    if (x.digest === undefined) continue;
    const set = servicesOf.get(x.digest) ?? new Set<string>();
    set.add(x.service);
    servicesOf.set(x.digest, set);
  }
  return servicesOf;
}
