/**
 * `wharf serve`: the API over the warehouse (coalescing, uploads, models,
 * OpenAPI), until SIGINT or SIGTERM.
 *
 * @module
 */
import { Command } from "commander";
import { collect, projectConfig } from "./context.ts";
import { load } from "./load.ts";

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/;

/** Why `wharf serve` needs a local warehouse file. */
const SNAPSHOTS =
  "`wharf serve` answers from snapshots, copies of the warehouse file taken between builds";

/** How long a stop waits for requests still open before it ends the process anyway. */
const STOP_GRACE_MS = 10_000;

/** The `serve` command. */
export function serveCommand(): Command {
  return new Command("serve")
    .description(
      "Serve the API: coalescing (serve.coalesce), uploads, read-only models, OpenAPI at /openapi.json and /docs/api",
    )
    .option("--port <n>", "port (default: the config's, 8787; 0 picks a free one)")
    .option("--host <host>", "address to listen on (default 127.0.0.1)")
    .option(
      "--upstream <url>",
      "a live source for coalescing, asked GET <url>?<key>=… (repeatable)",
      collect,
      [],
    )
    .action(async (opts: { port?: string; host?: string; upstream: string[] }, self: Command) => {
      const { UsageError } = await import("../src/engine/errors.ts");
      const { prepareServer, serverTokens } = await load<typeof import("../src/serve/start.ts")>(
        "../src/serve/start.ts",
      );
      const { createApp } = await load<typeof import("../src/serve/app.ts")>("../src/serve/app.ts");
      const config = await projectConfig(self);
      // Snapshots copy a local file; a folder or a file that is not a DuckDB database is the
      // user's to fix, not "no warehouse yet".
      const { checkWarehousePath, requireLocalFile } = await load<
        typeof import("../src/engine/db/target.ts")
      >("../src/engine/db/target.ts");
      await checkWarehousePath(requireLocalFile(config.db, SNAPSHOTS));
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
      const { token, readToken } = serverTokens(config);
      if (!token && !readToken && !LOOPBACK.test(host)) {
        throw new UsageError(
          `Refusing to serve on "${host}" without a token: without one, reads are open, so the server listens on loopback only. Set serve.token or WHARF_API_TOKEN (uploads and reads), or serve.readToken or WHARF_API_READ_TOKEN (reads only), or use --host 127.0.0.1`,
        );
      }
      // Bind first, so a port in use fails at once; requests wait for the first snapshot.
      let handler: (req: Request) => Response | Promise<Response> = () =>
        Response.json({ error: "Starting: taking the first snapshot" }, {
          status: 503,
          headers: { "Retry-After": "1" },
        });
      const controller = new AbortController();
      const serveOn = (hostname: string, at: number) =>
        Deno.serve(
          { port: at, hostname, signal: controller.signal, onListen() {} },
          (req) => handler(req),
        );
      let server: Deno.HttpServer<Deno.NetAddr>;
      let address: Deno.NetAddr;
      let guard: { listener: Deno.Listener; done: Promise<void> } | undefined;
      try {
        const headerTimeoutMs = config.serve.headerTimeoutMs ?? (LOOPBACK.test(host) ? 0 : 10_000);
        if (headerTimeoutMs > 0) {
          // Connections pass through the header-timeout guard to the server on a private port.
          const listener = Deno.listen({ hostname: host, port });
          server = serveOn("127.0.0.1", 0);
          const { guardConnections } = await load<
            typeof import("../src/serve/connection_guard.ts")
          >("../src/serve/connection_guard.ts");
          guard = {
            listener,
            done: guardConnections(listener, server.addr, { headerTimeoutMs }),
          };
          address = listener.addr as Deno.NetAddr;
        } else {
          server = serveOn(host, port);
          address = server.addr;
        }
      } catch (err) {
        if (err instanceof Deno.errors.AddrInUse) {
          throw new UsageError(`port ${port} is in use; pass --port <n> (0 picks a free one)`);
        }
        if (err instanceof Deno.errors.AddrNotAvailable) {
          throw new UsageError(`Cannot listen on "${host}": no such address on this machine`);
        }
        if (err instanceof Deno.errors.PermissionDenied) {
          throw new UsageError(
            `Cannot listen on port ${port}: permission denied (ports below 1024 need privileges)`,
          );
        }
        throw err;
      }
      const { jsonLog } = await load<typeof import("../src/serve/access_log.ts")>(
        "../src/serve/access_log.ts",
      );
      const accessLog = jsonLog();
      const prepared = await prepareServer(config, {
        db: config.db,
        upstreams: opts.upstream,
        log: accessLog.write,
      }).catch(async (err) => {
        accessLog.close(); // what it logged on the way (a snapshot's error) comes before the error
        guard?.listener.close();
        controller.abort();
        await server.finished;
        throw err;
      });
      const { deps, snapshots } = prepared;
      handler = createApp(deps).fetch;
      const { hostname, port: bound } = address;
      console.log(
        `wharf API on http://${hostname}:${bound} (docs: http://${hostname}:${bound}/docs/api)`,
      );
      if (!deps.ingest) {
        console.log("Uploads disabled: no token (serve.token or WHARF_API_TOKEN).");
      }
      if (deps.readTokens?.length) console.log("Reads need a token (Authorization: Bearer).");
      if (!snapshots.current.db) {
        console.log(`No warehouse at ${config.db} yet: answering from upstreams only.`);
      }
      let grace: ReturnType<typeof setTimeout> | undefined;
      let stopAsked!: () => void;
      const stopRequested = new Promise<void>((resolve) => (stopAsked = resolve));
      const stop = () => {
        guard?.listener.close();
        controller.abort();
        // Uploads still arriving are cut off and queued landings refused at once.
        prepared.close().catch(() => {});
        stopAsked();
      };
      Deno.addSignalListener("SIGINT", stop);
      Deno.addSignalListener("SIGTERM", stop);
      // Requests end, uploads still arriving are cut, the landing in progress finishes: all
      // within the grace period, or the process ends anyway (that landing's transaction rolls back).
      const stopped = Promise.all([server.finished, guard?.done]).then(() => prepared.close());
      const finished = await Promise.race([
        stopped.then(() => true),
        stopRequested.then(() =>
          new Promise<boolean>((
            resolve,
          ) => (grace = setTimeout(() => resolve(false), STOP_GRACE_MS)))
        ),
      ]);
      clearTimeout(grace);
      accessLog.close();
      Deno.removeSignalListener("SIGINT", stop);
      Deno.removeSignalListener("SIGTERM", stop);
      if (!finished) {
        console.error(
          `warning: still busy ${
            STOP_GRACE_MS / 1000
          } s after the stop: stopping anyway (a landing in progress is rolled back; its upload must be sent again)`,
        );
        Deno.exit(0);
      }
    });
}
