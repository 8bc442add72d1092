/**
 * Trove license classifiers (https://pypi.org/classifiers/) that name exactly one SPDX license. Classifiers
 * that leave the version open ("Apache Software License", "BSD License", "GNU General Public License (GPL)")
 * are not here: they stay as the text the author wrote, and the central normaliser refuses to invent a
 * version for them.
 */
const UNAMBIGUOUS = new Map<string, string>(Object.entries({
  "MIT License": "MIT",
  "MIT No Attribution License (MIT-0)": "MIT-0",
  "ISC License (ISCL)": "ISC",
  "The Unlicense (Unlicense)": "Unlicense",
  "Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
  "Blue Oak Model License (BlueOak-1.0.0)": "BlueOak-1.0.0",
  "Universal Permissive License (UPL)": "UPL-1.0",
  "zlib/libpng License": "Zlib",
  "PostgreSQL License": "PostgreSQL",
  "Sleepycat License": "Sleepycat",
  "Historical Permission Notice and Disclaimer (HPND)": "HPND",
  "Microsoft Public License (MS-PL)": "MS-PL",
  "Microsoft Reciprocal License (MS-RL)": "MS-RL",
  "Mozilla Public License 1.0 (MPL)": "MPL-1.0",
  "Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
  "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
  "Eclipse Public License 1.0 (EPL-1.0)": "EPL-1.0",
  "Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
  "European Union Public Licence 1.0 (EUPL 1.0)": "EUPL-1.0",
  "European Union Public Licence 1.1 (EUPL 1.1)": "EUPL-1.1",
  "European Union Public Licence 1.2 (EUPL 1.2)": "EUPL-1.2",
  "Open Software License 3.0 (OSL-3.0)": "OSL-3.0",
  "GNU Affero General Public License v3": "AGPL-3.0-only",
  "GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
  "GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
  "GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
  "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
  "GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
  "GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
  "GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
  "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
  "GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
  "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
}));

/**
 * Licenses named by "License :: ..." classifiers: the SPDX id when the classifier is unambiguous, else the
 * classifier's last segment as written. Category-only classifiers ("License :: OSI Approved") name nothing.
 */
export function licensesFromClassifiers(classifiers: readonly string[]): string[] {
  const out: string[] = [];
  for (const c of classifiers) {
    const parts = c.split("::").map((p) => p.trim());
    if (parts[0] !== "License" || parts.length < 2) continue;
    const last = parts[parts.length - 1]!;
    if (parts.length === 2 && last === "OSI Approved") continue;
    const license = UNAMBIGUOUS.get(last) ?? last;
    if (!out.includes(license)) out.push(license);
  }
  return out;
}
