/**
 * A transparency-log witness (c2sp.org/tlog-witness): it follows configured logs, verifies that each new checkpoint
 * is consistent with the last one it cosigned, and returns a cosignature (c2sp.org/tlog-cosignature).
 */
export {
  createWitness,
  type AddCheckpointOutcome,
  type Witness,
  type WitnessOptions,
  type WitnessRefusal,
  type WitnessedLog,
} from "./witness.js";
export {
  MAX_PROOF_LINES,
  formatAddCheckpointRequest,
  formatSignatureLine,
  parseAddCheckpointRequest,
  parseAddCheckpointResponse,
  type AddCheckpointRequest,
} from "./request.js";
export { memoryWitnessState, type WitnessCheckpoint, type WitnessStateStore } from "./state.js";
export { fileWitnessState } from "./file-state.js";
