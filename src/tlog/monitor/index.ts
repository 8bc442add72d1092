/**
 * The transparency-log monitor (issue 4, `vouch log monitor`): follows a Rekor v1 or tlog-tiles log, verifies every
 * checkpoint's signature and its consistency with the last one archived, archives checkpoints as audit evidence, and
 * alerts on split views, rollbacks, bad signatures, unreachable logs and watched signers in new entries. The outside
 * world (fetch, clock, files) is injected; src/api/monitor.ts wires the real one.
 */
export { alertLine, type Alert, type AlertDetails, type AlertKind, type CheckpointEvidence, type SignerSummary } from "./alerts.js";
export { checkpointVerifier, type CheckpointCheck, type CheckpointVerifier, type MonitoredLog, type VerifiedHead } from "./checkpoint.js";
export { HttpClient, LogUnreachableError, type FetchLike, type FetchResponse, type HttpOptions, type Sleep } from "./http.js";
export { createMonitor, defaultSleep, type Monitor, type MonitorOptions, type RoundResult, type RunOptions, type RunSummary } from "./monitor.js";
export { alertSink, redactUrl, type AlertSink, type AlertSinkOptions, type WebhookOptions } from "./notify.js";
export { entrySigners, keyFingerprint, type EntrySigners } from "./signers.js";
export { rekorV1Source, tilesSource, type LogApi, type LogSource } from "./sources.js";
export {
  archiveLine,
  fileMonitorState,
  memoryMonitorState,
  parseArchive,
  type ArchivedCheckpoint,
  type CheckpointTrust,
  type MonitorFiles,
  type MonitorState,
  type MonitorStateStore,
} from "./state.js";
export { compileWatchList, normalizeFingerprint, parseWatchList, type WatchList, type WatchMatch, type WatchRule } from "./watch-list.js";
