import type { Cataloger } from "../types.js";
import { gradleLockfileCataloger } from "./parse-gradle-lockfile.js";
import { gradleVerificationCataloger } from "./parse-gradle-verification.js";
import { javaArchiveCataloger } from "./parse-java-archive.js";
import { pomCataloger } from "./parse-pom.js";

/**
 * The maven catalogers, most authoritative format first: gradle.lockfile pins what Gradle resolved;
 * verification metadata lists what it verified (resolved, but without scopes); pom.xml declares.
 */
export const mavenCatalogers: readonly Cataloger[] = [gradleLockfileCataloger, gradleVerificationCataloger, pomCataloger];

/**
 * Java archives (.jar, .war, .ear, …: pom.properties, MANIFEST.MF, nested jars, SHA-1): for images and rootfs. In a
 * source tree they are build outputs or tools (gradle-wrapper.jar), which is why they are not among mavenCatalogers.
 */
export const javaArchiveCatalogers: readonly Cataloger[] = [javaArchiveCataloger];
