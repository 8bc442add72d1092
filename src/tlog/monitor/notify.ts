import { alertLine, type Alert } from "./alerts.js";
import type { FetchLike, Sleep } from "./http.js";

/**
 * Delivers an alert. Resolves with alerts raised while delivering (a webhook that would not take it), which the
 * monitor counts like any other: an operator who relies on the webhook must learn it is not being called.
 */
export type AlertSink = (alert: Alert) => Promise<Alert[]>;

export interface WebhookOptions {
  url: string;
  fetch: FetchLike;
  sleep: Sleep;
  /** Attempts per alert, the first included (default 3). */
  attempts?: number;
  /** Wait before the second attempt, doubled after each failure (default 1 s). */
  backoffMs?: number;
  /** Per-attempt time limit (default 10 s). */
  timeoutMs?: number;
}

export interface AlertSinkOptions {
  /** Writers of one JSON line each (stderr, an alerts file); each is given every alert, in order. */
  lines: ((line: string) => void | Promise<void>)[];
  webhook?: WebhookOptions;
  /** The time stamp of a webhook-failed alert. */
  now: () => Date;
}

/**
 * Every alert goes, as one JSON line, to each line writer, then (when configured) to the webhook as a POST of the same
 * JSON. A webhook that fails every attempt produces a `webhook-failed` alert on the line writers (never on the webhook
 * itself); its URL is shown as scheme://host only, since webhook URLs often carry a secret in their path or query.
 *
 * @example
 *   const sink = alertSink({ lines: [(line) => process.stderr.write(`${line}\n`)], webhook: { url, fetch, sleep }, now: () => new Date() });
 */
export function alertSink(options: AlertSinkOptions): AlertSink {
  const writeLines = async (alert: Alert) => {
    const line = alertLine(alert);
    for (const write of options.lines) await write(line);
  };
  return async (alert) => {
    await writeLines(alert);
    const webhook = options.webhook;
    if (webhook === undefined) return [];
    const failure = await postAlert(webhook, alert);
    if (failure === undefined) return [];
    const reported: Alert = {
      kind: "webhook-failed",
      at: options.now().toISOString(),
      log: alert.log,
      url: alert.url,
      message: `the ${alert.kind} alert could not be delivered to the webhook at ${redactUrl(webhook.url)}: ${failure.reason}`,
      webhook: redactUrl(webhook.url),
      alert: alert.kind,
      attempts: failure.attempts,
    };
    await writeLines(reported);
    return [reported];
  };
}

/** POSTs the alert until a 2xx answer; undefined on success, else why the last attempt failed. */
async function postAlert(webhook: WebhookOptions, alert: Alert): Promise<{ reason: string; attempts: number } | undefined> {
  const attempts = webhook.attempts ?? 3;
  const backoffMs = webhook.backoffMs ?? 1000;
  let reason = "no attempt was made";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await webhook.sleep(backoffMs * 2 ** (attempt - 2));
    try {
      const response = await webhook.fetch(webhook.url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: alertLine(alert),
        signal: AbortSignal.timeout(webhook.timeoutMs ?? 10_000),
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status < 300) return undefined;
      reason = `HTTP ${response.status}`;
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error);
    }
  }
  return { reason: `${reason} (after ${attempts} attempt${attempts === 1 ? "" : "s"})`, attempts };
}

/** scheme://host[:port] of a URL: enough to say which webhook, without the token many of them carry. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return "(invalid URL)";
  }
}
