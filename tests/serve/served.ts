/**
 * A served healthcare warehouse for end-to-end API tests.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig, type ResolvedConfig } from "../../src/config.ts";
import { generate } from "../../src/gen/generate.ts";
import { land } from "../../src/land/land.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { createApp } from "../../src/serve/app.ts";
import { prepareServer } from "../../src/serve/start.ts";
import { REPO, serveLocal, type TempProject } from "../helpers.ts";

/** The write token of {@linkcode served} servers. */
export const TOKEN = "s3cret-token";

async function healthcare(p: TempProject): Promise<ResolvedConfig> {
  const base = await loadConfig(REPO);
  return {
    ...base,
    root: p.root,
    paths: { ...base.paths, target: join(p.root, "target"), cache: join(p.root, "cache") },
  };
}

/**
 * The healthcare project landed from generated data and built, served by a
 * real server on a random loopback port with {@linkcode TOKEN}.
 */
export async function served(p: TempProject, serve: Partial<ResolvedConfig["serve"]> = {}) {
  const config = await healthcare(p);
  config.serve = { ...config.serve, ...serve };
  const data = join(p.root, "data");
  await generate(data, { seed: 5, scale: 0.3 });
  await land(config, ["visitpay", "waymark", "benefits", "npi"].map((d) => join(data, d)), {
    db: p.db,
  });
  assert.ok((await runProject("build", config, { db: p.db })).ok);
  const logs: Record<string, unknown>[] = [];
  const prepared = await prepareServer(config, {
    db: p.db,
    token: TOKEN,
    log: (e) => logs.push(e),
    pollMs: 200,
  });
  const server = serveLocal(createApp(prepared.deps).fetch);
  const base = server.base;
  return {
    config,
    base,
    logs,
    prepared,
    snapshots: prepared.snapshots,
    /** A request with the token (reads need it once a token is set). */
    get: (path: string, init: RequestInit = {}) => {
      const headers = new Headers(init.headers);
      if (!headers.has("authorization")) headers.set("authorization", `Bearer ${TOKEN}`);
      return fetch(`${base}${path}`, { ...init, headers });
    },
    /** A request as sent, without a token. */
    fetch: (path: string, init?: RequestInit) => fetch(`${base}${path}`, init),
    [Symbol.asyncDispose]: async () => {
      await server[Symbol.asyncDispose]();
      await prepared.close();
    },
  };
}
