import assert from "node:assert/strict";
import { delimiter, join } from "node:path";
import { REPO, tempProject } from "../helpers.ts";
import { findChromium, inCi } from "./browser.ts";

/** `deno test` on the one-test probe file, with `env` instead of WHARF_CHROMIUM and CI. */
async function probe(env: Record<string, string>) {
  const inherited = Deno.env.toObject();
  delete inherited.CI;
  delete inherited.WHARF_CHROMIUM;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", "--no-check", join("tests", "docs", "browser_probe.ts")],
    cwd: REPO,
    clearEnv: true,
    env: { ...inherited, NO_COLOR: "1", ...env },
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, output: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

Deno.test("without Chromium, browser tests are ignored with how to get it; with CI set they fail", async () => {
  const missing = await probe({ WHARF_CHROMIUM: "/nonexistent/chrome" });
  assert.equal(missing.code, 0, missing.output);
  assert.match(missing.output, /a page loads in Chromium \.\.\. ignored/);
  assert.match(missing.output, /0 passed \| 0 failed \| 1 ignored/);
  assert.match(
    missing.output,
    /No Chromium at WHARF_CHROMIUM=\/nonexistent\/chrome: browser tests ignored \(apt-get install chromium, or WHARF_CHROMIUM=\/path\/to\/chrome\)/,
  );

  const ci = await probe({ WHARF_CHROMIUM: "/nonexistent/chrome", CI: "true" });
  assert.equal(ci.code, 1, ci.output);
  assert.match(ci.output, /a page loads in Chromium \.\.\. FAILED/);
  assert.match(ci.output, /CI is set: browser tests must run here/);
  assert.doesNotMatch(ci.output, /ignored \(apt-get/);
});

Deno.test("findChromium(): WHARF_CHROMIUM alone when set, else the usual names on PATH", async () => {
  await using p = await tempProject();
  const chrome = await p.write("bin/chromium-browser", "#!/bin/sh\n");
  const env = (vars: Record<string, string>) => ({ get: (name: string) => vars[name] });
  assert.equal(await findChromium(env({ WHARF_CHROMIUM: chrome })), chrome);
  assert.equal(await findChromium(env({ WHARF_CHROMIUM: join(p.root, "bin", "nope") })), undefined);
  // A folder is not a browser.
  assert.equal(await findChromium(env({ WHARF_CHROMIUM: join(p.root, "bin") })), undefined);
  const path = [join(p.root, "empty"), join(p.root, "bin")].join(delimiter);
  assert.equal(await findChromium(env({ PATH: path })), chrome);
  assert.equal(inCi(env({ CI: "true" })), true);
  assert.equal(inCi(env({ CI: "1" })), true);
  assert.equal(inCi(env({ CI: "false" })), false);
  assert.equal(inCi(env({})), false);
});
