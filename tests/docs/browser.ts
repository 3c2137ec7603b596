/**
 * Headless Chromium for page tests, driven by playwright-core (no browser
 * download): `WHARF_CHROMIUM` names the executable, else `PATH` and the
 * usual install places are searched. Without a browser, browser tests are
 * reported as ignored with one line saying how to get one; with `CI` set
 * they fail instead, so CI never passes without running them.
 *
 * @module
 */
import { type Browser, chromium } from "playwright-core";
import { delimiter, join } from "node:path";

const NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"];
const DIRS = ["/usr/bin", "/usr/local/bin", "/snap/bin"];
const APPS = [
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
];

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

/**
 * Finds Chromium: `WHARF_CHROMIUM` when set (and only it, so a wrong value
 * is reported, not worked around), else the first of the usual names on
 * `PATH` and in the usual places. Returns `undefined` when there is none.
 */
export async function findChromium(
  env: { get(name: string): string | undefined } = Deno.env,
): Promise<string | undefined> {
  const chosen = env.get("WHARF_CHROMIUM");
  if (chosen) return (await isFile(chosen)) ? chosen : undefined;
  const dirs = [...(env.get("PATH") ?? "").split(delimiter).filter(Boolean), ...DIRS];
  for (const path of [...dirs.flatMap((d) => NAMES.map((n) => join(d, n))), ...APPS]) {
    if (await isFile(path)) return path;
  }
  return undefined;
}

/** Whether this run is CI (`CI` set to anything but `false` or `0`), where browser tests must run. */
export function inCi(env: { get(name: string): string | undefined } = Deno.env): boolean {
  const ci = env.get("CI")?.trim().toLowerCase();
  return Boolean(ci) && ci !== "false" && ci !== "0";
}

const executable = await findChromium();
const ci = inCi();
const HOW = "apt-get install chromium, or WHARF_CHROMIUM=/path/to/chrome";
const MISSING = Deno.env.get("WHARF_CHROMIUM")
  ? `No Chromium at WHARF_CHROMIUM=${Deno.env.get("WHARF_CHROMIUM")}`
  : "No Chromium found";
let told = false;

/**
 * Registers a browser test: `fn` gets a fresh headless Chromium, closed
 * afterwards. Ignored when no Chromium is found, failing under CI.
 */
export function browserTest(name: string, fn: (browser: Browser) => Promise<void>): void {
  if (!executable && !ci && !told) {
    console.warn(`${MISSING}: browser tests ignored (${HOW}).`);
    told = true;
  }
  Deno.test({
    name,
    ignore: !executable && !ci,
    async fn() {
      if (!executable) {
        throw new Error(`${MISSING} and CI is set: browser tests must run here (${HOW})`);
      }
      const browser = await chromium.launch({
        executablePath: executable,
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
      try {
        await fn(browser);
      } finally {
        await browser.close();
      }
    },
  });
}
