import { createPublicKey, generateKeyPairSync, type KeyObject } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { caCertificateTbs, encodeName, endEntityCertificateTbs, signCertificateWithKey } from "../ca/certificates.js";
import { keyAlgorithm } from "../core/crypto/keys.js";
import { VouchError } from "../core/errors.js";
import { writeFileAtomic } from "./files.js";

/**
 * `vouch admission certs`: a private CA and the webhook's serving certificate, for clusters without cert-manager.
 * The API server calls webhooks over HTTPS only and checks the serving certificate against the webhook
 * configuration's caBundle, for the DNS name `<service>.<namespace>.svc`.
 */

/** TLS server authentication (RFC 5280 §4.2.1.12). */
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const DAY_MS = 24 * 60 * 60 * 1000;

export interface AdmissionCertsOptions {
  out: string;
  /** The webhook's Service (default vouch-admission). */
  service?: string;
  /** Its namespace (default vouch-system). */
  namespace?: string;
  /** Serving certificate lifetime (default 365 days; the CA lives ten times as long). */
  days?: number;
  now?: Date;
}

export interface AdmissionCerts {
  /** ca.crt, tls.crt, tls.key (ca.key is written too, 0600, to issue the next serving certificate). */
  files: { ca: string; caKey: string; cert: string; key: string };
  /** The DNS names in the serving certificate. */
  dnsNames: string[];
  /** base64 of ca.crt: the webhook configurations' `clientConfig.caBundle`. */
  caBundle: string;
  notAfter: Date;
}

/** A DNS label (RFC 1123), as Kubernetes requires of Service and namespace names. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function pem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString("base64").replace(/.{1,64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}

function spki(key: KeyObject): Uint8Array {
  return new Uint8Array((key.type === "public" ? key : createPublicKey(key)).export({ type: "spki", format: "der" }));
}

/**
 * Creates a CA (ECDSA P-256) and a serving certificate for `S`, `S.N`, `S.N.svc` and `S.N.svc.cluster.local`,
 * writes them to `out` and returns the caBundle to put in the webhook configurations.
 *
 * @example
 *   const { caBundle } = createAdmissionCerts({ out: "certs", service: "vouch-admission", namespace: "vouch-system" });
 */
export function createAdmissionCerts(options: AdmissionCertsOptions): AdmissionCerts {
  const service = options.service ?? "vouch-admission";
  const namespace = options.namespace ?? "vouch-system";
  for (const [flag, value] of [["--service", service], ["--namespace", namespace]] as const) {
    if (!DNS_LABEL.test(value)) throw new VouchError("INPUT_USAGE", `${flag} ${JSON.stringify(value)} is not a DNS label (lower-case letters, digits and '-', at most 63)`);
  }
  const days = options.days ?? 365;
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new VouchError("INPUT_USAGE", "--days must be a whole number from 1 to 3650");
  const now = options.now ?? new Date();
  // A minute of slack: a node whose clock is slightly behind must not see a certificate from the future.
  const notBefore = new Date(now.getTime() - 60_000);
  const ca = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const leaf = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const caSubject = { O: "vouch", CN: `vouch admission CA for ${service}.${namespace}.svc` };
  const caDer = signCertificateWithKey(
    caCertificateTbs({
      subject: caSubject,
      issuer: encodeName(caSubject),
      subjectPublicKeyDer: spki(ca.publicKey),
      issuerPublicKeyDer: spki(ca.publicKey),
      signatureAlgorithm: keyAlgorithm(ca.privateKey),
      notBefore,
      notAfter: new Date(now.getTime() + days * 10 * DAY_MS),
      pathLength: 0,
    }),
    ca.privateKey,
  );
  const dnsNames = [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.cluster.local`];
  const notAfter = new Date(now.getTime() + days * DAY_MS);
  const leafDer = signCertificateWithKey(
    endEntityCertificateTbs({
      subject: { CN: `${service}.${namespace}.svc` },
      issuer: encodeName(caSubject),
      subjectPublicKeyDer: spki(leaf.publicKey),
      issuerPublicKeyDer: spki(ca.publicKey),
      signatureAlgorithm: keyAlgorithm(ca.privateKey),
      notBefore,
      notAfter,
      extendedKeyUsage: SERVER_AUTH,
      extendedKeyUsageCritical: false,
      dnsNames,
    }),
    ca.privateKey,
  );
  mkdirSync(options.out, { recursive: true });
  const files = { ca: join(options.out, "ca.crt"), caKey: join(options.out, "ca.key"), cert: join(options.out, "tls.crt"), key: join(options.out, "tls.key") };
  const caPem = pem("CERTIFICATE", caDer);
  writeFileAtomic(files.ca, caPem);
  writeFileAtomic(files.caKey, ca.privateKey.export({ type: "pkcs8", format: "pem" }) as string, 0o600);
  writeFileAtomic(files.cert, pem("CERTIFICATE", leafDer));
  writeFileAtomic(files.key, leaf.privateKey.export({ type: "pkcs8", format: "pem" }) as string, 0o600);
  return { files, dnsNames, caBundle: Buffer.from(caPem, "utf8").toString("base64"), notAfter };
}
