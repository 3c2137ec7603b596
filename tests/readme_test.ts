/**
 * The README is executable: every command it shows runs here, in order, in
 * a fresh copy of the repository, and every output it shows is what the
 * command prints.
 *
 * What the sandbox supplies, since a test has no network: the project's
 * `npi.registry` and `tic.lookupUrl` point at local servers, `serve.port` is
 * a free port, `https://example.org/` and `127.0.0.1:8787` in commands stand
 * for a local file server and that port, and `export.csv` (the README's "a
 * file named otherwise") is a real claims delivery. `npx -y deno@<version>`
 * runs the Deno that runs this test, which must be that version.
 *
 * @module
 */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { REAL, REPO, serveLocal } from "./helpers.ts";
import { fakeRegistry, registryAnswer } from "./enrich/fake_registry.ts";

/** One command of the README, with the output it shows (a `# …` line right after it). */
interface Command {
  text: string;
  line: number;
  expected?: string;
}

/** Commands the test does not run, and why. Every one must still be in the README. */
const NOT_RUN: Record<string, string> = {
  "npx -y deno@2.9.6 task test": "the suite this test is part of (CI runs it: see below)",
  "deno task test": "the suite this test is part of",
  "deno task ok": "format, lint, type checks and this suite",
  "deno task bench build": "a benchmark (minutes): run by hand",
  "deno task bench dbt": "a benchmark (minutes): run by hand",
  "deno task bench serve": "a benchmark (minutes): run by hand",
  "deno task bench tic": "a benchmark (minutes): run by hand",
  "deno task bench reliability": "the slow reliability cases: CI runs them",
  "deno task bench reliability rejects": "one slow reliability case: CI runs them all",
  'deno task wharf sql --db :memory: --write "INSTALL motherduck"':
    "downloads a DuckDB extension: the tests have no network (the refusal without it is tested)",
};

/** Where a comment starts in a shell line (`#` after white space, outside quotes), or -1. */
function commentAt(line: string): number {
  let quote = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = "";
    } else if (c === "'" || c === '"') quote = c;
    else if (c === "#" && (i === 0 || /\s/.test(line[i - 1]!))) return i;
  }
  return -1;
}

/** Strips a trailing comment and white space. */
function code(line: string): string {
  const at = commentAt(line);
  return (at < 0 ? line : line.slice(0, at)).trimEnd();
}

/** The commands of every ```sh block, block by block. */
function shellBlocks(readme: string): Command[][] {
  const blocks: Command[][] = [];
  const lines = readme.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] !== "```sh") continue;
    const block: Command[] = [];
    for (i++; lines[i] !== "```"; i++) {
      const raw = lines[i]!;
      if (raw.startsWith("# ") && block.length) {
        block[block.length - 1]!.expected = raw.slice(2);
        continue;
      }
      const start = i + 1;
      let text = code(raw);
      while (text.endsWith("\\")) text = `${text.slice(0, -1)}${code(lines[++i]!).trimStart()}`;
      if (text.trim()) block.push({ text: text.trim(), line: start });
    }
    blocks.push(block);
  }
  return blocks;
}

/** Complete commands written inline (`deno task …` in backquotes), not templates. */
function inlineCommands(readme: string): Command[] {
  const out: Command[] = [];
  readme.split("\n").forEach((l, i) => {
    for (const m of l.matchAll(/`(deno task [^`]+)`/g)) {
      if (!/[<[…]/.test(m[1]!)) out.push({ text: m[1]!, line: i + 1 });
    }
  });
  // The same command shown twice runs once.
  return out.filter((c, i) => out.findIndex((o) => o.text === c.text) === i);
}

/** Copies the repository's files (tracked, or new and not ignored) into `to`. */
async function copyRepository(to: string): Promise<void> {
  const out = await new Deno.Command("git", {
    args: ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    cwd: REPO,
    stdout: "piped",
  }).output();
  assert.ok(out.success, "git ls-files");
  for (const file of new TextDecoder().decode(out.stdout).split("\0").filter(Boolean)) {
    const stat = await Deno.lstat(join(REPO, file)).catch(() => undefined);
    if (!stat?.isFile) continue; // deleted in the working tree
    await Deno.mkdir(dirname(join(to, file)), { recursive: true });
    await Deno.copyFile(join(REPO, file), join(to, file));
  }
  await Deno.symlink(join(REPO, "node_modules"), join(to, "node_modules"));
}

/** A free TCP port on 127.0.0.1. */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

Deno.test({
  name: "every command the README shows runs as shown, and prints what the README says",
  // Processes in the background are stopped by the test itself.
  sanitizeResources: false,
  async fn() {
    const readme = await Deno.readTextFile(join(REPO, "README.md"));
    const blocks = shellBlocks(readme);
    const inline = inlineCommands(readme);
    const shown = new Set([...blocks.flat(), ...inline].map((c) => c.text));
    for (const c of Object.keys(NOT_RUN)) {
      assert.ok(shown.has(c), `"${c}" is no longer in the README`);
    }
    // CI runs exactly the README's test command.
    assert.match(await Deno.readTextFile(join(REPO, ".ci", "run")), /^deno task test$/m);
    const version = Deno.version.deno;
    assert.ok(
      readme.includes(`npx -y deno@${version} task demo`),
      `the README pins Deno ${version}`,
    );

    const root = await Deno.makeTempDir({ prefix: "wharf_readme_" });
    await using files = serveLocal(async (req) => {
      const path = new URL(req.url).pathname;
      const real: Record<string, string> = {
        "/exports/Patient-membership-clientA-202309.csv":
          "waymark/Patient-membership-clientA-202307.csv",
        "/anthem/010504941.json": "serif/anthem_ein_lookup_010504941.ny_excerpt.json",
        "/anthem/010643676.json": "serif/anthem_ein_lookup_010643676.ny_excerpt.json",
      };
      const file = real[path];
      return file
        ? new Response(await Deno.readFile(join(REAL, file)))
        : new Response("not found", { status: 404 });
    });
    // A registry that knows every NPI: where the fake would answer with a validation error,
    // "not found" (filled in once the demo has written its list).
    const answers = new Map<string, string>();
    await using registry = fakeRegistry({ answers });
    const port = freePort();
    try {
      await copyRepository(root);
      await Deno.rename(join(root, "wharf.config.ts"), join(root, "wharf.shipped.config.ts"));
      await Deno.writeTextFile(
        join(root, "wharf.config.ts"),
        `import shipped from "./wharf.shipped.config.ts";
export default {
  ...shipped,
  npi: { registry: ${JSON.stringify(registry.url)} },
  tic: { lookupUrl: ${JSON.stringify(`${files.base}/anthem/{ein}.json`)} },
  serve: { ...shipped.serve, port: ${port} },
};
`,
      );
      await Deno.copyFile(
        join(REAL, "waymark", "Patient-claim-clientA-202307.csv"),
        join(root, "export.csv"),
      );
      const bin = join(root, ".readme-bin");
      await Deno.mkdir(bin);
      await Deno.writeTextFile(
        join(bin, "npx"),
        `#!/usr/bin/env bash
# npx -y deno@<version> …: the Deno running the test, which must be that version.
[ "$1" = "-y" ] && [ "$2" = "deno@${version}" ] || { echo "npx: not deno@${version}: $*" >&2; exit 2; }
shift 2
exec "${Deno.execPath()}" "$@"
`,
      );
      await Deno.chmod(join(bin, "npx"), 0o755);
      await Deno.symlink(Deno.execPath(), join(bin, "deno"));

      const env: Record<string, string> = {
        PATH: `${bin}:${Deno.env.get("PATH") ?? ""}`,
        NO_COLOR: "1",
        // `deno task` keeps an INIT_CWD it inherits (this suite's, under `deno task test`).
        INIT_CWD: root,
      };
      const substitute = (text: string) =>
        text.replaceAll("https://example.org", files.base).replaceAll(
          "127.0.0.1:8787",
          `127.0.0.1:${port}`,
        );

      const run = async (c: Command, background: Deno.ChildProcess[]) => {
        const where = `README.md:${c.line}: ${c.text}`;
        console.log(where);
        const assign = /^([A-Za-z_][A-Za-z0-9_]*)=(?:'([^']*)'|"([^"]*)"|(\S*))$/.exec(c.text);
        if (assign) {
          env[assign[1]!] = assign[2] ?? assign[3] ?? assign[4] ?? "";
          return;
        }
        const text = substitute(c.text);
        // In the background: what the README starts with `&`, and watchers that run until stopped.
        if (text.endsWith("&") || / --watch /.test(text)) {
          const child = new Deno.Command("bash", {
            // `env` so that leading NAME=value assignments work after exec.
            args: ["-c", `exec env ${text.replace(/&$/, "").trim()}`],
            cwd: root,
            env,
            stdout: "piped",
            stderr: "piped",
          }).spawn();
          background.push(child);
          let said = "";
          const decoder = new TextDecoder();
          const read = async (stream: ReadableStream<Uint8Array>) => {
            for await (const chunk of stream) said += decoder.decode(chunk, { stream: true });
          };
          const reading = Promise.all([read(child.stdout), read(child.stderr)]);
          let exited: Deno.CommandStatus | undefined;
          child.status.then((s) => (exited = s));
          for (let waited = 0; !/wharf API on |Watching /.test(said); waited += 50) {
            assert.ok(!exited && waited < 60_000, `${where}: never ready; said:\n${said}`);
            await new Promise((r) => setTimeout(r, 50));
          }
          reading.catch(() => {});
          return;
        }
        // The SQL shell wants a terminal: util-linux `script` gives it one.
        const shell = /^deno task wharf sql$/.test(text);
        const out = await new Deno.Command("bash", {
          args: shell ? ["-c", `script -qfec ${JSON.stringify(text)} /dev/null`] : ["-c", text],
          cwd: root,
          env,
          stdin: "piped",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const writer = out.stdin.getWriter();
        if (shell) await writer.write(new TextEncoder().encode(".tables\n.quit\n"));
        await writer.close();
        const done = await out.output();
        const stdout = new TextDecoder().decode(done.stdout);
        const stderr = new TextDecoder().decode(done.stderr);
        assert.equal(done.code, 0, `${where}\nexit ${done.code}\n${stdout}\n${stderr}`);
        if (text.startsWith("curl ")) {
          const body = JSON.parse(stdout);
          assert.ok(!("error" in body), `${where}: ${stdout}`);
        }
        if (shell) assert.match(stdout, /members/, `${where}: the shell listed no tables`);
        if (c.expected !== undefined) assert.equal(stdout.trim(), c.expected, where);
      };

      for (const block of blocks) {
        const background: Deno.ChildProcess[] = [];
        try {
          for (const c of block) {
            if (c.text in NOT_RUN) continue;
            if (c.text.startsWith("deno task wharf enrich npi")) {
              // Before the first enrichment: answer "not found" where the fake would refuse.
              const list = await Deno.readTextFile(join(root, "demo-data", "npi", "npi-list.txt"));
              for (const npi of list.split("\n").map((l) => l.trim()).filter(Boolean)) {
                if ("Errors" in (registryAnswer(npi) as object)) {
                  answers.set(npi, JSON.stringify({ result_count: 0, results: [] }));
                }
              }
            }
            await run(c, background);
          }
        } finally {
          for (const child of background) {
            try {
              child.kill("SIGTERM");
            } catch {
              // It ended already: its status says how.
            }
            const status = await child.status;
            assert.ok(status.code === 0 || status.signal === "SIGTERM", `stopped: ${status.code}`);
          }
        }
      }
      for (const c of inline) if (!(c.text in NOT_RUN)) await run(c, []);
      // Every selector of the Selection table selects something in the shipped project.
      const table = readme.slice(readme.indexOf("### Selection"), readme.indexOf("## A project"));
      for (const row of table.split("\n").filter((l) => l.startsWith("| `"))) {
        const line = readme.slice(0, readme.indexOf(row)).split("\n").length;
        for (const m of row.split("|")[1]!.matchAll(/`([^`]+)`/g)) {
          if (m[1] === "a b" || m[1]!.startsWith("-s ")) continue;
          await run({ text: `deno task wharf ls -s '${m[1]}'`, line }, []);
        }
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
