/**
 * A real `wharf serve` for the concurrency and API cases: the CLI as a
 * subprocess on a free loopback port, its output collected, its CPU time
 * and peak memory read from `/proc`, stopped with SIGTERM; and raw HTTP/1.1
 * on a socket for what `fetch` cannot send (chunks of one's choosing, a
 * client that dies mid-body).
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { loadConfig } from "../../src/config.ts";
import { land } from "../../src/land/land.ts";
import { cliCommand, REPO, type TempProject, tempProject } from "../helpers.ts";

/** The write token the cases' servers are given (`WHARF_API_TOKEN`). */
export const TOKEN = "s3cret-token";

/**
 * A `wharf.config.ts` with the healthcare project's coalescing (its
 * `serve.coalesce` and strategies) and nothing else.
 */
export const COALESCING_CONFIG = `import shipped from ${
  JSON.stringify(pathToFileURL(join(REPO, "wharf.config.ts")).href)
};
export default { serve: { coalesce: shipped.serve?.coalesce }, strategies: shipped.strategies };
`;

/**
 * A project with the healthcare project's coalescing ({@linkcode COALESCING_CONFIG}),
 * its mart as a model of the same columns with no rows, and the checked model
 * whose quarantine holds the rejected figures, not built yet: answers come from
 * upstreams.
 */
export const COALESCING_PROJECT: Record<string, string> = {
  "wharf.config.ts": COALESCING_CONFIG,
  "models/intermediate/int_benefits.sql":
    "select * from (values ('', '', 0, 0, 0, current_date)) as t(member_id, source, oop_max, remaining_oop_max, copay, as_of) where false\n",
  "models/intermediate/intermediate.yml":
    "models:\n  - name: int_benefits\n    checks:\n      valid_amounts: oop_max >= 0\n",
  "models/marts/member_benefits.sql": "select * from intermediate.int_benefits\n",
};

/** The header of a benefits delivery. */
export const BENEFITS_HEADER = "member_id,oop_max,remaining_oop_max,copay,as_of\n";

/** A benefits delivery of `n` members named `<prefix><i>`. */
export function benefits(prefix: string, n: number): string {
  let text = BENEFITS_HEADER;
  for (let i = 0; i < n; i++) text += `${prefix}${i},${100000 + i},${i},2500,2024-02-01\n`;
  return text;
}

/**
 * A project with one source, `benefits` (`benefits*.csv`), and one delivery
 * of 10 members (`F0`…) landed; `serve` is the config's serve section.
 */
export async function benefitsProject(serve: Record<string, number> = {}): Promise<TempProject> {
  const p = await tempProject({ "models/.keep": "" });
  await p.write(
    "wharf.config.ts",
    `export default { sources: [{ name: "benefits", pattern: /^benefits.*\\.csv$/ }], serve: ${
      JSON.stringify(serve)
    } };\n`,
  );
  const first = await p.write("in/benefits-first-20240101_000000.csv", benefits("F", 10));
  assert.ok((await land(await loadConfig(p.root), [first], { db: p.db })).ok);
  return p;
}

/** A running `wharf serve`; dispose of it to stop it. */
export interface ServeProcess extends AsyncDisposable {
  child: Deno.ChildProcess;
  /** `http://127.0.0.1:<port>` */
  base: string;
  port: number;
  /** What it printed on stdout by the time it was ready. */
  printed: string;
  /** What it wrote on stderr so far: the JSON access log, warnings. */
  stderr(): string;
  /** CPU time (user + system) the server has used so far, ms (Linux `/proc`). */
  cpuMs(): number;
  /** The server's peak resident memory so far, bytes (Linux `/proc`). */
  peakRssBytes(): number;
  /**
   * SIGTERM, then its exit status; SIGKILL after `graceMs` (then the
   * status has a `signal`).
   */
  stop(graceMs?: number): Promise<Deno.CommandStatus>;
}

/** Arguments of `wharf serve` on a free port for the project at `root` and the warehouse `db`. */
export function serveArgs(root: string, db: string, ...more: string[]): string[] {
  return ["--project", root, "--db", db, "serve", "--port", "0", ...more];
}

/** Options of {@linkcode startServe}. */
export interface StartServeOptions {
  env?: Record<string, string>;
  /** The folder the CLI runs in (its INIT_CWD). */
  cwd?: string;
  /** Output that says it is ready. Default: the line with its address. */
  until?: RegExp;
}

/**
 * Starts `wharf <args>` (args include `serve` and `--port 0`) and resolves
 * once it printed `until`.
 *
 * @throws {Error} when it exits first, with what it printed.
 */
export async function startServe(
  args: readonly string[],
  options: StartServeOptions = {},
): Promise<ServeProcess> {
  const child = cliCommand(args, {
    stdout: "piped",
    stderr: "piped",
    env: options.env,
    ...(options.cwd ? { cwd: options.cwd } : {}),
  }).spawn();
  let errText = "";
  const errDone = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (s) => void (errText += s) }),
  ).catch(() => {});
  const out = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const until = options.until ?? /wharf API on (http:\/\/\S+)/;
  let printed = "";
  while (!until.test(printed) || !/wharf API on http:\/\/[^:]+:\d+/.test(printed)) {
    const { value, done } = await out.read();
    if (done) {
      await child.status;
      await errDone;
      throw new Error(`wharf serve exited before it was ready: ${printed}${errText}`);
    }
    printed += value;
  }
  const outDone = (async () => {
    while (!(await out.read()).done) { /* drained */ }
  })().catch(() => {});
  const port = Number(/wharf API on http:\/\/[^:]+:(\d+)/.exec(printed)![1]);
  let status: Promise<Deno.CommandStatus> | undefined;
  const stop = (graceMs = 20_000) => {
    status ??= (async () => {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      const s = await child.status;
      clearTimeout(killer);
      await Promise.all([outDone, errDone]);
      return s;
    })();
    return status;
  };
  const proc = (file: string) => Deno.readTextFileSync(`/proc/${child.pid}/${file}`);
  return {
    child,
    base: `http://127.0.0.1:${port}`,
    port,
    printed,
    stderr: () => errText,
    cpuMs() {
      // Fields after the command name: state is 3rd, utime 14th, stime 15th (clock ticks, 100/s).
      const fields = proc("stat").split(") ")[1]!.split(" ");
      return (Number(fields[11]) + Number(fields[12])) * 10;
    },
    peakRssBytes() {
      const kb = /^VmHWM:\s+(\d+) kB$/m.exec(proc("status"))![1];
      return Number(kb) * 1024;
    },
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}

/** Writes all of `text` on a connection (one write may take only part of it). */
export async function writeAll(conn: Deno.Conn, text: string): Promise<void> {
  const bytes = new TextEncoder().encode(text);
  for (let at = 0; at < bytes.length;) at += await conn.write(bytes.subarray(at));
}

/** Writes an HTTP/1.1 request head and some body bytes on a raw connection to `base`. */
export async function rawRequest(base: string, head: string, body = ""): Promise<Deno.TcpConn> {
  const url = new URL(base);
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  await writeAll(conn, head + "\r\n" + body);
  return conn;
}

/**
 * Reads what the server answers on a raw connection: the head, and the body
 * when it has a Content-Length; what came before the connection closed, if
 * it closes first.
 */
export async function readResponse(conn: Deno.TcpConn): Promise<string> {
  const buf = new Uint8Array(65536);
  let bytes = new Uint8Array(0);
  const dec = new TextDecoder();
  for (;;) {
    const text = dec.decode(bytes);
    const end = text.indexOf("\r\n\r\n");
    if (end >= 0) {
      const length = /^content-length: *(\d+)/im.exec(text.slice(0, end))?.[1];
      const body = new TextEncoder().encode(text.slice(end + 4)).length;
      if (length === undefined || body >= Number(length)) return text;
    }
    const n = await conn.read(buf);
    if (n === null) return text;
    const next = new Uint8Array(bytes.length + n);
    next.set(bytes);
    next.set(buf.subarray(0, n), bytes.length);
    bytes = next;
  }
}

/** One chunk of a chunked body. */
export function chunk(text: string): string {
  return `${new TextEncoder().encode(text).length.toString(16)}\r\n${text}\r\n`;
}

/** Files of uploads in progress left in a project's upload folders (`.wharf/uploads`). */
export async function uploadLeftovers(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await walk(join(dir, e.name));
      else if (e.name !== ".lock") out.push(join(dir, e.name));
    }
  };
  await walk(join(root, ".wharf", "uploads")).catch(() => {});
  return out;
}
