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

Deno.test("wharf serve on a port in use says so and exits 2, without a stack trace", async () => {
  await using p = await tempProject({ "models/.keep": "" });
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  const r = await runCli(["--project", p.root, "serve", "--port", String(port)]);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, `error: port ${port} is in use; pass --port <n> (0 picks a free one)\n`);
});

/** Starts `wharf serve` and returns the child, its URL and what it printed. */
async function startServe(
  args: string[],
  env: Record<string, string> = {},
  until = /wharf API on (http:\/\/\S+)/,
) {
  const child = cliCommand(args, { stdout: "piped", stderr: "piped", env }).spawn();
  const out = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let printed = "";
  while (!until.test(printed)) {
    const { value, done } = await out.read();
    if (done) throw new Error(`serve exited: ${printed}`);
    printed += value;
  }
  const url = /wharf API on http:\/\/[^:]+:(\d+)/.exec(printed)![1]!;
  return { child, out, port: Number(url), printed };
}

Deno.test("wharf serve with a read token binds any address, and then reads need the token", async () => {
  await using p = await tempProject({ "models/.keep": "" });
  const { child, out, port, printed } = await startServe(
    ["--project", p.root, "serve", "--host", "0.0.0.0", "--port", "0"],
    { WHARF_API_READ_TOKEN: "reader" },
    /Reads need a token/,
  );
  try {
    assert.match(printed, /Reads need a token/);
    const base = `http://127.0.0.1:${port}`;
    const open = await fetch(`${base}/api/models`);
    assert.equal(open.status, 401);
    await open.body?.cancel();
    const ok = await fetch(`${base}/api/models`, { headers: { authorization: "Bearer reader" } });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    // A read token does not allow uploads.
    const upload = await fetch(`${base}/api/ingest/x?filename=a.csv`, {
      method: "POST",
      body: "a\n1\n",
      headers: { authorization: "Bearer reader" },
    });
    assert.equal(upload.status, 403);
    await upload.body?.cancel();
  } finally {
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    await out.cancel();
    await child.stderr.cancel();
  }
});

Deno.test("wharf serve stops on SIGTERM while an upload hangs mid-body, and removes the partial file", async () => {
  await using p = await tempProject({ "models/.keep": "" });
  await p.write(
    "wharf.config.ts",
    `export default { sources: [{ name: "benefits", pattern: /^benefits.*\\.csv$/ }] };\n`,
  );
  const { child, out, port } = await startServe(
    ["--project", p.root, "serve", "--port", "0"],
    { WHARF_API_TOKEN: "writer" },
  );
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(
      "POST /api/ingest/benefits?filename=benefits.csv HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer writer\r\nTransfer-Encoding: chunked\r\n\r\n" +
        "6\r\na,b,c\n\r\n",
    ),
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
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const status = await child.status;
  clearTimeout(killer);
  conn.close();
  await out.cancel();
  await child.stderr.cancel();
  assert.equal(status.signal, null, "stopped by itself, not killed");
  assert.equal(status.code, 0);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(uploads)), []);
});

Deno.test("wharf serve closes a connection whose request headers do not arrive within serve.headerTimeoutMs", async () => {
  await using p = await tempProject({ "models/.keep": "" });
  await p.write("wharf.config.ts", "export default { serve: { headerTimeoutMs: 300 } };\n");
  const { child, out, port } = await startServe(["--project", p.root, "serve", "--port", "0"]);
  try {
    const health = await fetch(`http://127.0.0.1:${port}/health`);
    assert.equal(health.status, 200);
    await health.body?.cancel();
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode("GET /health HTTP/1.1\r\nHost: x\r\n"));
    const buf = new Uint8Array(1024);
    const n = await conn.read(buf);
    assert.match(
      new TextDecoder().decode(buf.subarray(0, n ?? 0)),
      /^HTTP\/1\.1 408 Request Timeout\r\n[^]*"Request timed out: the request headers took too long"/,
    );
    conn.close();
  } finally {
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    await out.cancel();
    await child.stderr.cancel();
  }
});
