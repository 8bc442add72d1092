import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

/**
 * Real Chromium for the dashboard's end-to-end tests and load benchmark: Debian's `chromium` package driven by
 * playwright-core through executablePath (playwright's own browser builds are a download this machine cannot make,
 * and the distro's gets security updates). scripts/setup/chromium.sh installs it as root with apt; without it the
 * tests skip and print `chromiumUnavailable()`'s reason.
 */

/** The binary: VOUCH_CHROMIUM when set, else Debian's launcher. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.VOUCH_CHROMIUM ?? "/usr/bin/chromium";
}

/**
 * Flags for a headless test browser in a container. --no-sandbox: the tests run as root, where Chromium's sandbox
 * refuses to start; the pages are our own dashboard on loopback. The rest keep it from reaching the network on its
 * own (component updates, sync, QUIC probes, first-run pings), so a run is offline and repeatable.
 */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
] as const;

/** The laptop screen the issue names: every view must be usable at 1366×768. */
export const VIEWPORT = { width: 1366, height: 768 } as const;

let reported = false;

/** Why Chromium cannot run here, or undefined. Prints the reason once per test file. */
export function chromiumUnavailable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const path = chromiumPath(env);
  let reason: string | undefined;
  if (!existsSync(path)) {
    reason = `${path} is missing (Debian package chromium; scripts/setup/chromium.sh installs it when run as root with apt-get, or set VOUCH_CHROMIUM)`;
  } else {
    const probe = spawnSync(path, ["--version"], { encoding: "utf8", timeout: 30_000 });
    if (probe.error !== undefined || probe.status !== 0 || !/Chromium|Chrome/.test(probe.stdout)) {
      reason = `${path} --version failed: ${(probe.error?.message ?? (probe.stderr || probe.stdout)).trim().split("\n")[0]}`;
    }
  }
  if (reason !== undefined && !reported) {
    reported = true;
    console.warn(`[chromium] dashboard browser tests SKIPPED: ${reason}`);
  }
  return reason;
}

export interface TestBrowser {
  /** A fresh profile: no cookies, no localStorage (the dashboard keeps its token and theme there). */
  context: BrowserContext;
  version: string;
  close(): Promise<void>;
}

/**
 * Launches Chromium headless with a fresh user-data-dir (removed on close), the 1366×768 viewport, and downloads
 * accepted (the impact view's CSV/JSON export). Throws when the binary is present but will not start: that is a
 * broken machine, not a reason to skip.
 *
 * @example
 *   const browser = await launchChromium();
 *   const page = await browser.context.newPage();
 *   await page.goto(url);
 *   await browser.close();
 */
export async function launchChromium(options: { colorScheme?: "light" | "dark"; env?: NodeJS.ProcessEnv } = {}): Promise<TestBrowser> {
  const userDataDir = mkdtempSync(join(tmpdir(), "vouch-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath(options.env),
      args: [...CHROMIUM_ARGS],
      headless: true,
      viewport: VIEWPORT,
      acceptDownloads: true,
      colorScheme: options.colorScheme ?? "light",
      timeout: 60_000,
    });
  } catch (error) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
  const version = context.browser()?.version() ?? spawnSync(chromiumPath(options.env), ["--version"], { encoding: "utf8" }).stdout.trim();
  return {
    context,
    version,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
