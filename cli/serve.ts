/**
 * `wharf serve`: the API over the warehouse (coalescing, uploads, models,
 * OpenAPI), until SIGINT or SIGTERM.
 *
 * @module
 */
import { Command } from "commander";
import { collect, projectConfig } from "./context.ts";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/;

/** The `serve` command. */
export function serveCommand(): Command {
  return new Command("serve")
    .description(
      "Serve the API: coalesced benefits, uploads, read-only models, OpenAPI at /openapi.json and /docs/api",
    )
    .option("--port <n>", "port (default: the config's, 8787; 0 picks a free one)")
    .option("--host <host>", "address to listen on (default 127.0.0.1)")
    .option("--upstream <url>", "a live benefit server (repeatable)", collect, [])
    .action(async (opts: { port?: string; host?: string; upstream: string[] }, self: Command) => {
      const { UsageError } = await import("../src/errors.ts");
      const { prepareServer } = await import("../src/serve/start.ts");
      const { createApp } = await import("../src/serve/app.ts");
      const config = await projectConfig(self);
      const port = opts.port === undefined ? config.serve.port : Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new UsageError(`Invalid --port "${opts.port}"`);
      }
      const host = opts.host ?? config.serve.host;
      for (const u of opts.upstream) {
        if (!URL.canParse(u)) {
          throw new UsageError(`Invalid --upstream "${u}": expected an http(s) URL`);
        }
      }
      const token = config.serve.token ?? Deno.env.get("WHARF_API_TOKEN");
      if (!token && !LOOPBACK.test(host)) {
        throw new UsageError(
          `Refusing to serve on "${host}" without a token: reads are open on loopback only. Set serve.token or WHARF_API_TOKEN, or use --host 127.0.0.1`,
        );
      }
      const { jsonLog } = await import("../src/serve/access_log.ts");
      const accessLog = jsonLog();
      const log = accessLog.write;
      const { deps, snapshots } = await prepareServer(config, {
        db: config.db,
        upstreams: opts.upstream,
        log,
      });
      const app = createApp(deps);
      const controller = new AbortController();
      const server = Deno.serve({
        port,
        hostname: host,
        signal: controller.signal,
        onListen: ({ hostname, port }) => {
          console.log(
            `wharf API on http://${hostname}:${port} (docs: http://${hostname}:${port}/docs/api)`,
          );
          if (!deps.ingest) {
            console.log("Uploads disabled: no token (serve.token or WHARF_API_TOKEN).");
          }
          if (!snapshots.current.db) {
            console.log(`No warehouse at ${config.db} yet: answering from upstreams only.`);
          }
        },
      }, app.fetch);
      const stop = () => controller.abort();
      Deno.addSignalListener("SIGINT", stop);
      Deno.addSignalListener("SIGTERM", stop);
      await server.finished;
      await snapshots.close();
      accessLog.close();
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
    });
}
