export { assessQuality } from "./assess.js";
export { checkGate } from "./gate.js";
export type { GateOptions, GateRequirement, GateResult } from "./gate.js";
export { renderQualityTable } from "./render.js";
export { COMPONENT_PROBLEMS, NTIA_ELEMENTS } from "./types.js";
export type {
  ComponentProblem,
  ComponentQuality,
  ComponentRef,
  Coverage,
  DocumentQuality,
  NtiaElement,
  NtiaElementName,
  QualityReport,
  ScoreCategory,
  ScoreFeature,
} from "./types.js";
