import type { Cataloger } from "../types.js";
import { installedCataloger } from "./parse-installed.js";
import { pdmLockCataloger } from "./parse-pdm-lock.js";
import { pipfileLockCataloger } from "./parse-pipfile-lock.js";
import { poetryLockCataloger } from "./parse-poetry-lock.js";
import { requirementsCataloger } from "./parse-requirements.js";
import { uvLockCataloger } from "./parse-uv-lock.js";

/**
 * The pypi catalogers, most authoritative format first: lockfiles that record a resolved graph (uv, poetry,
 * pdm), then Pipfile.lock (no graph), requirements files (pins at best), and installed distributions.
 * pyproject.toml is read only as the manifest beside a lockfile, never for its version ranges.
 */
export const pypiCatalogers: readonly Cataloger[] = [
  uvLockCataloger,
  poetryLockCataloger,
  pdmLockCataloger,
  pipfileLockCataloger,
  requirementsCataloger,
  installedCataloger,
];
