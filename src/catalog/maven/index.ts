import type { Cataloger } from "../types.js";
import { gradleLockfileCataloger } from "./parse-gradle-lockfile.js";
import { gradleVerificationCataloger } from "./parse-gradle-verification.js";
import { pomCataloger } from "./parse-pom.js";

/**
 * The maven catalogers, most authoritative format first: gradle.lockfile pins what Gradle resolved;
 * verification metadata lists what it verified (resolved, but without scopes); pom.xml declares.
 */
export const mavenCatalogers: readonly Cataloger[] = [gradleLockfileCataloger, gradleVerificationCataloger, pomCataloger];
