import assert from "node:assert/strict";
import { runCli, tempProject } from "../helpers.ts";
import {
  COALESCING_PROJECT,
  rawRequest,
  readResponse,
  startServe,
} from "../reliability/serve_harness.ts";
import { fakeUpstream } from "./fakes.ts";

Deno.test("wharf serve starts on an empty warehouse, answers from upstreams, and stops cleanly on SIGTERM", async () => {
  await using p = await tempProject(COALESCING_PROJECT);
  await using upstream = fakeUpstream({
    kind: "values",
    values: { oop_max: 3, remaining_oop_max: 2, copay: 1 },
  });
  await using server = await startServe(
    ["--project", p.root, "serve", "--port", "0", "--upstream", upstream.url],
    { until: /No warehouse at/ },
  );
  assert.match(server.printed, /Uploads disabled: no token/);
  const res = await fetch(`${server.base}/api/coalescence/default?member_id=abc`);
  assert.deepEqual(await res.json(), { oop_max: 3, remaining_oop_max: 2, copay: 1 });
  // The warehouse is looked for every second; its absence is logged once, not each time.
  await new Promise((r) => setTimeout(r, 2500));
  const status = await server.stop();
  const log = server.stderr();
  assert.equal(status.code, 0);
  assert.equal(log.match(/"event":"snapshot_missing"/g)?.length, 1, log);
  assert.match(log, /"path":"\/api\/coalescence\/default","status":200/);
});

Deno.test("wharf serve refuses a non-loopback address without a token", async () => {
  await using p = await tempProject({ "models/.keep": "" });
  const r = await runCli(["--project", p.root, "serve", "--host", "0.0.0.0", "--port", "0"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^error: Refusing to serve on "0\.0\.0\.0" without a token/);
});

Deno.test("wharf serve stops on SIGTERM while an upload hangs mid-body, and removes the partial file", async () => {
  await using p = await tempProject({ "models/.keep": "" });
  await p.write(
    "wharf.config.ts",
    `export default { sources: [{ name: "benefits", pattern: /^benefits.*\\.csv$/ }] };\n`,
  );
  await using server = await startServe(["--project", p.root, "serve", "--port", "0"], {
    env: { WHARF_API_TOKEN: "writer" },
  });
  const conn = await rawRequest(
    server.base,
    "POST /api/ingest/benefits?filename=benefits.csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer writer\r\nTransfer-Encoding: chunked\r\n",
    "6\r\na,b,c\n\r\n",
  );
  const uploads = `${p.root}/.wharf/uploads`;
  const files = async () => {
    const found: string[] = [];
    for await (const e of Deno.readDir(uploads)) {
      if (!e.isDirectory) continue;
      for await (const f of Deno.readDir(`${uploads}/${e.name}`)) found.push(f.name);
    }
    return found;
  };
  while (!(await files()).some((f) => f.startsWith("upload_"))) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const status = await server.stop();
  conn.close();
  assert.equal(status.signal, null, "stopped by itself, not killed");
  assert.equal(status.code, 0);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(uploads)), []);
});

Deno.test("wharf serve closes a connection whose request headers do not arrive within serve.headerTimeoutMs", async () => {
  await using p = await tempProject({ "models/.keep": "" });
  await p.write("wharf.config.ts", "export default { serve: { headerTimeoutMs: 300 } };\n");
  await using server = await startServe(["--project", p.root, "serve", "--port", "0"]);
  const health = await fetch(`${server.base}/health`);
  assert.equal(health.status, 200);
  await health.body?.cancel();
  // A request head that never ends (no blank line).
  const conn = await rawRequest(server.base, "GET /health HTTP/1.1\r\nHost: x");
  assert.match(
    await readResponse(conn),
    /^HTTP\/1\.1 408 Request Timeout\r\n[^]*"Request timed out: the request headers took too long"/,
  );
  conn.close();
  assert.equal((await server.stop()).code, 0);
});

Deno.test("wharf serve of a project without serve.coalesce: coalescing is 404 saying what to configure, the rest answers; --upstream is refused", async () => {
  await using p = await tempProject({ "models/marts/prices.sql": "select 'A1' as sku" });
  await using server = await startServe(["--project", p.root, "serve", "--port", "0"]);
  for (const path of ["/api/coalescence/max?member_id=1", "/api/coalescence"]) {
    const res = await fetch(`${server.base}${path}`);
    assert.equal(res.status, 404, path);
    assert.deepEqual(await res.json(), {
      error:
        "Coalescing is not configured: name the model holding the sources' figures (one row per key and source), its key and its fields in wharf.config.ts, serve: { coalesce: { model, key, fields } }",
    });
  }
  const health = await (await fetch(`${server.base}/health`)).json();
  assert.deepEqual([health.status, health.coalesce], ["ok", null]);
  const spec = await (await fetch(`${server.base}/openapi.json`)).json();
  assert.deepEqual(Object.keys(spec.paths).filter((path) => path.includes("coalescence")), []);
  assert.equal(
    spec.info.description,
    "Upload ingestion and read-only access to the models. Coalescing is not configured (serve.coalesce in wharf.config.ts): there is no /api/coalescence.",
  );
  assert.ok(spec.paths["/api/models"]);
  const models = await (await fetch(`${server.base}/api/models`)).json();
  assert.deepEqual(models.models.map((m: { id: string }) => m.id), ["marts.prices"]);
  assert.equal((await server.stop()).code, 0, server.stderr());

  const serveArgs = ["--project", p.root, "serve", "--port", "0"];
  const r = await runCli([...serveArgs, "--upstream", "http://127.0.0.1:9/x"]);
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /^error: Cannot ask upstreams \(--upstream http:\/\/127\.0\.0\.1:9\/x\) without coalescing: .*serve: \{ coalesce: \{ model, key, fields \} \}\n$/,
  );
});
