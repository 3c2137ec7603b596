/**
 * Headless Chromium for page tests (Debian's chromium, driven by
 * playwright-core). In CI a missing browser is a failure, not a skip.
 *
 * @module
 */
import { type Browser, chromium } from "playwright-core";

/** Where Debian installs Chromium. */
export const CHROMIUM = Deno.env.get("WHARF_CHROMIUM") ?? "/usr/bin/chromium";

/** Launches headless Chromium, or fails with how to install it. */
export async function launch(): Promise<Browser> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    throw new Error(
      `No Chromium at ${CHROMIUM}: install it (apt-get install chromium) — .ci/run does`,
    );
  }
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
