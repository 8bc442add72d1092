/** The transparency log (`vouch serve`, `vouch log …`, `vouch trust export`): server, service, witness, trust export. */
export { startServer, logKeyFile } from "../api/serve.js";
export type { RunningServer, ServeOptions } from "../api/serve.js";
export { LogService } from "../api/log-service.js";
export type { LogServiceOptions } from "../api/log-service.js";
export { loadOrCreateLogKey } from "../api/log-key.js";
export type { LogKeyAlgorithm } from "../api/log-key.js";
export { exportTrust, keyFileCreated, trustedRootJson } from "../api/trust-export.js";
export type { TrustExportOptions } from "../api/trust-export.js";
export { buildApp } from "../server/app.js";
export type { AppDeps } from "../server/app.js";
export { TransparencyLog } from "../tlog/log.js";
export { createLogSigner } from "../tlog/log-signer.js";
export type { LogSigner } from "../tlog/log-signer.js";
export { startWitnessServer } from "../api/witness-server.js";
export type { RunningWitness, WitnessServerOptions } from "../api/witness-server.js";
