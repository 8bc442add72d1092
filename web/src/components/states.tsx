import type { ReactNode } from "react";
import { ApiError } from "../api/client";
import type { Load } from "../api/useApi";

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** An empty view says what fills it: the vouch command, ready to copy. */
export function EmptyState({ title, command, children }: { title: string; command: string; children?: ReactNode }) {
  return (
    <div className="empty" data-testid="empty-state">
      <p className="empty-title">{title}</p>
      {children}
      <pre className="command">
        <code>{command}</code>
      </pre>
    </div>
  );
}

export function ErrorBanner({ error, what }: { error: Error; what: string }) {
  const api = error instanceof ApiError ? error : undefined;
  let hint = "";
  if (api?.status === 401) hint = " Sign in with an API token that has read scope.";
  else if (api?.status === 403) hint = " The token lacks read scope.";
  else if (api?.status === 404 && api.code === "HTTP_404") hint = " This server does not answer that endpoint (an older vouch?).";
  return (
    <div className="error-banner" role="alert" data-testid="error-banner" data-status={api?.status ?? "error"}>
      <strong>Could not load {what}</strong>
      {api !== undefined && api.status > 0 ? ` (HTTP ${api.status}, ${api.path})` : ""}: {error.message}.{hint}
    </div>
  );
}

/** Renders a request's loading / error state, or its data through `children`. */
export function Section<T>({ load, what, children }: { load: Load<T>; what: string; children: (data: T) => ReactNode }) {
  if (load.state === "loading") return <Loading what={what} />;
  if (load.state === "error") return <ErrorBanner error={load.error} what={what} />;
  if (load.state === "idle") return null;
  return <>{children(load.data)}</>;
}
