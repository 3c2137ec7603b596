import assert from "node:assert/strict";
import { cliCommand, runCli, tempProject } from "../helpers.ts";
import { fakeUpstream } from "./fakes.ts";

Deno.test("wharf serve starts on an empty warehouse, answers from upstreams, and stops cleanly on SIGTERM", async () => {
  await using p = await tempProject({ "models/.keep": "" });
  await using upstream = fakeUpstream({
    kind: "values",
    values: { oop_max: 3, remaining_oop_max: 2, copay: 1 },
  });
  const child = cliCommand([
    "--project",
    p.root,
    "serve",
    "--port",
    "0",
    "--upstream",
    upstream.url,
  ], { stdout: "piped", stderr: "piped", env: { NO_COLOR: "1" } }).spawn();
  const out = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let printed = "";
  while (!/No warehouse at/.test(printed)) {
    const { value, done } = await out.read();
    if (done) break;
    printed += value;
  }
  const url = /wharf API on (http:\/\/[^ ]+)/.exec(printed)?.[1];
  assert.ok(url, printed);
  assert.match(printed, /Uploads disabled: no token/);
  const res = await fetch(`${url}/api/coalescence/default?member_id=abc`);
  assert.deepEqual(await res.json(), { oop_max: 3, remaining_oop_max: 2, copay: 1 });
  child.kill("SIGTERM");
  const status = await child.status;
  await out.cancel();
  const log = await new Response(child.stderr).text();
  assert.equal(status.code, 0);
  assert.match(log, /"event":"snapshot_missing"/);
  assert.match(log, /"path":"\/api\/coalescence\/default","status":200/);
});

Deno.test("wharf serve refuses a non-loopback address without a token", async () => {
  await using p = await tempProject({ "models/.keep": "" });
  const r = await runCli(["--project", p.root, "serve", "--host", "0.0.0.0", "--port", "0"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error: Refusing to serve on "0\.0\.0\.0" without a token/);
});
