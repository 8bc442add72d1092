/**
 * What a transparency-log monitor reports. One JSON object per alert (a JSON line on stderr, in the alerts file, and
 * the body of a webhook POST), with `kind` first so that `grep '"kind":"inconsistent"'` and jq filters stay simple.
 *
 * Alerts that prove the log misbehaved (inconsistent, shrunk) carry the signed checkpoints themselves: two checkpoints
 * signed by the log's key that cannot both be true are the evidence anyone can check offline, without trusting the
 * monitor (c2sp.org/tlog-checkpoint: the log's signature commits it to the tree).
 */

export type AlertKind =
  /** Split view: a consistency proof failed, or the log signed two different roots for one size. */
  | "inconsistent"
  /** The log signed a tree smaller than one it signed before (a rollback: entries were removed). */
  | "shrunk"
  /** The checkpoint is not signed by the configured log key. */
  | "bad-signature"
  /** The checkpoint does not parse, or names another log (origin line). */
  | "bad-checkpoint"
  /** The log served an entry (or tiles) it cannot prove to be in the tree it signed. */
  | "bad-entry"
  /** A new entry was signed by a watched certificate identity or key. */
  | "unexpected-signer"
  /** The log could not be reached (after retries). */
  | "unreachable"
  /** An alert could not be delivered to the webhook (after retries). */
  | "webhook-failed";

/** A checkpoint as an alert shows it: the signed note verbatim, and its size and root for readers. */
export interface CheckpointEvidence {
  size: number;
  /** Root hash, lowercase hex. */
  rootHash: string;
  /** The signed note exactly as the log served it. */
  checkpoint: string;
}

/** The signer of a log entry, as the watch list saw it. */
export interface SignerSummary {
  /** Subject alternative names of the signing certificate (empty for a bare key). */
  identities: string[];
  /** The Fulcio OIDC issuer extension of the certificate, when present. */
  issuer?: string;
  /** SHA-256 of the signing key's SubjectPublicKeyInfo (DER), lowercase hex. */
  keyFingerprint: string;
}

interface AlertBase {
  /** When the monitor raised it (ISO 8601, from the injected clock). */
  at: string;
  /** The log's origin, as configured. */
  log: string;
  /** The log's base URL. */
  url: string;
  /** One line saying what happened, for people. */
  message: string;
}

export type Alert =
  | (AlertBase & { kind: "inconsistent"; stored: CheckpointEvidence; seen: CheckpointEvidence; proof?: string[] })
  | (AlertBase & { kind: "shrunk"; stored: CheckpointEvidence; seen: CheckpointEvidence })
  | (AlertBase & { kind: "bad-signature"; checkpoint: string })
  | (AlertBase & { kind: "bad-checkpoint"; checkpoint: string })
  | (AlertBase & { kind: "bad-entry"; logIndex: number })
  | (AlertBase & { kind: "unexpected-signer"; logIndex: number; leafHash: string; rule: string; signer: SignerSummary })
  | (AlertBase & { kind: "unreachable"; request: string; attempts: number })
  | (AlertBase & { kind: "webhook-failed"; webhook: string; alert: AlertKind; attempts: number });

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** An alert before the monitor stamps it with time, log and URL. */
export type AlertDetails = DistributiveOmit<Alert, keyof AlertBase> & { message: string };

/** The most of an untrusted text (a checkpoint that failed to verify) an alert repeats. */
export const MAX_QUOTED_CHARS = 8192;

export function quoteUntrusted(text: string): string {
  return text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}[... ${text.length - MAX_QUOTED_CHARS} more characters]` : text;
}

/** The JSON line of an alert (no trailing newline). */
export function alertLine(alert: Alert): string {
  return JSON.stringify(alert);
}
