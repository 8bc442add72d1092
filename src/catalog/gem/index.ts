import type { Cataloger } from "../types.js";
import { gemfileLockCataloger } from "./parse-gemfile-lock.js";
import { gemspecCataloger } from "./parse-gemspec.js";

/** The gem catalogers, most authoritative format first. */
export const gemCatalogers: readonly Cataloger[] = [gemfileLockCataloger];

/**
 * Installed gems (`specifications/*.gemspec` of a gem home): for images and rootfs. Also right for a source tree
 * that vendors its gems (vendor/bundle/ruby/X/specifications), where they duplicate Gemfile.lock's list.
 */
export const installedGemCatalogers: readonly Cataloger[] = [gemspecCataloger];
