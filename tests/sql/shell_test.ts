/**
 * `wharf sql` on a terminal: the CLI runs under a pseudo-terminal made by
 * util-linux `script`, typed at through its stdin, read back from its output.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { REPO, runCli, type TempProject, tempProject } from "../helpers.ts";

const HAS_SCRIPT = (() => {
  try {
    return new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
})();
if (!HAS_SCRIPT) {
  console.error("shell_test: `script` (util-linux) not found: the terminal tests are ignored");
}

const URL_VALUE = "https://example.org/in-network/2023-04_NY_PPO_BCCMMEDCL00_01_11.json.gz";

async function project(): Promise<TempProject> {
  const p = await tempProject();
  const wh = await openWarehouse(p.db);
  try {
    await wh.exec(`create schema marts;
      create table marts.claims as
      select * from (values ('A-1', 1250.50::decimal(18,2), '${URL_VALUE}'), ('A-2', 3, 'x'))
        t(claim_number, billed, url)`);
  } finally {
    wh.close();
  }
  return p;
}

// deno-lint-ignore no-control-regex
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]|\r/g;

/** The CLI on a pseudo-terminal: `type` sends keys, `expect` waits for output. */
function terminal(args: readonly string[], cwd: string) {
  const command = [Deno.execPath(), "run", "--allow-all", join(REPO, "cli", "main.ts"), ...args]
    .map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qfec", command, "/dev/null"],
    cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", TERM: "xterm" },
  }).spawn();
  const writer = child.stdin.getWriter();
  let closed: Promise<number> | undefined;
  const close = () =>
    closed ??= (async () => {
      await writer.close().catch(() => {});
      const status = await child.status;
      await done;
      await child.stderr.cancel();
      return status.code;
    })();
  let output = "";
  let seen = 0;
  const done = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) output += decoder.decode(chunk, { stream: true });
  })();
  return {
    /** All output so far, without terminal control sequences. */
    get text() {
      return output.replace(ANSI, "");
    },
    async type(keys: string) {
      await writer.write(new TextEncoder().encode(keys));
    },
    /** Waits until the output after the last match matches `pattern`; returns that output. */
    async expect(pattern: RegExp): Promise<string> {
      for (let waited = 0; waited < 60_000; waited += 20) {
        const rest = this.text.slice(seen);
        const m = pattern.exec(rest);
        if (m) {
          seen += m.index + m[0].length;
          return rest.slice(0, m.index + m[0].length);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error(`Timed out waiting for ${pattern}; output:\n${this.text.slice(seen)}`);
    },
    /** Closes its input and returns its exit code (again: the same code). */
    close,
    async [Symbol.asyncDispose]() {
      await close();
    },
  };
}

Deno.test({
  name:
    "the shell runs statements over several lines, dot commands, and keeps its history in .wharf/",
  ignore: !HAS_SCRIPT,
  async fn() {
    await using p = await project();
    await using t = terminal(["--project", p.root, "sql"], p.root);
    await t.expect(/read-only: --write to change it\)\n.*\.help lists the commands/);
    await t.expect(/wharf> /);
    await t.type("select claim_number,\r");
    await t.expect(/ {2}\.\.\.> /);
    await t.type("  billed from marts.claims order by 1;\r");
    assert.match(
      await t.expect(/2 rows\n/),
      /\| claim_number \| +billed \|\n\| VARCHAR +\| DECIMAL\(18,2\) \|\n\|-+\|-+\|\n\| A-1 +\| +1250\.50 \|\n\| A-2 +\| +3\.00 \|\n2 rows\n/,
    );
    await t.type(".tables\r");
    assert.match(await t.expect(/1 row\n/), /\| marts +\| claims +\| table +\|/);
    await t.type(".schema claims\r");
    assert.match(
      await t.expect(/3 rows\n/),
      /\| claim_number \| VARCHAR +\| YES +\|\n\| billed +\| DECIMAL\(18,2\) \| YES +\|/,
    );
    await t.type(".schema nope\r");
    await t.expect(/error: No table or view "nope": \.tables lists them\n/);
    await t.type("select * from nope;\r");
    await t.expect(/error: Catalog Error: Table with name nope does not exist!/);
    await t.type("create table marts.t (a int);\r");
    await t.expect(/pass --write to change it\)\n/);
    await t.type(".mode csv\r");
    await t.expect(/wharf> /);
    await t.type("select 'it''s' as quote, null as n;\r");
    await t.expect(/quote,n\nit's,\n/);
    // One connection for the session: a temporary table lasts (read-only allows it).
    await t.type("create temp table picks as select 'A-1' as claim_number;\r");
    await t.expect(/wharf> /);
    await t.type("select count(*) as n from picks join marts.claims using (claim_number);\r");
    await t.expect(/\bn\n1\n/);
    await t.type(".mode\r");
    await t.expect(/\ncsv\n/);
    await t.type(".mode xml\r");
    await t.expect(
      /error: Unknown mode "xml": use one of table, line, markdown, csv, json, ndjson/,
    );
    await t.type(".help\r");
    await t.expect(/\.schema <relation> +columns and types/);
    await t.type("select 1\r");
    await t.expect(/ {2}\.\.\.> /);
    await t.type("\x03"); // Ctrl-C drops the unfinished statement
    await t.expect(/\^C\n/);
    await t.type(".quit\r");
    assert.equal(await t.close(), 0);
    const history = await Deno.readTextFile(join(p.root, ".wharf", "sql_history"));
    assert.match(
      history,
      /^select claim_number,\n {2}billed from marts\.claims order by 1;\n\.tables\n/,
    );
    assert.match(history, /\n\.quit\n$/);

    // A new session recalls the history with the arrow keys.
    await using again = terminal(["--project", p.root, "sql"], p.root);
    await again.expect(/wharf> /);
    // Up past .quit, select 1 (dropped, but typed), .help, .mode xml, .mode, the two
    // statements on the temporary table, to the csv query.
    await again.type("\x1b[A".repeat(8) + "\r");
    await again.expect(/wharf> select 'it''s' as quote, null as n;/);
    assert.match(await again.expect(/1 row\n/), /\| it's +\| +NULL \|/);
    await again.type("\x04"); // Ctrl-D leaves
    assert.equal(await again.close(), 0);
  },
});

Deno.test({
  name: "a running query stops on Ctrl-C and the shell goes on",
  ignore: !HAS_SCRIPT,
  async fn() {
    await using p = await project();
    await using t = terminal(["--project", p.root, "sql"], p.root);
    await t.expect(/wharf> /);
    await t.type("select count(*) from range(1000000000000);\r");
    await new Promise((r) => setTimeout(r, 500));
    await t.type("\x03");
    await t.expect(/error: INTERRUPT Error: Interrupted!\n/);
    await t.type("select 42 as answer;\r");
    assert.match(await t.expect(/1 row\n/), /\| +42 \|/);
    await t.type(".quit\r");
    assert.equal(await t.close(), 0);
  },
});

Deno.test({
  name: "while the shell has the warehouse open, a build says that wharf sql holds it",
  ignore: !HAS_SCRIPT,
  async fn() {
    await using p = await project();
    await using t = terminal(["--project", p.root, "sql"], p.root);
    await t.expect(/wharf> /);
    const build = await runCli(["--project", p.root, "build"]);
    assert.equal(build.code, 1);
    assert.match(
      build.stderr,
      /^error: Cannot open warehouse ".*warehouse\.duckdb": `wharf sql` \(PID \d+\) has had it open \(read-only\) since \d\d:\d\d:\d\d \(\d+ s\): wait for it to finish or quit it, or pass --db to use another file\n$/,
    );
    await t.type(".quit\r");
    assert.equal(await t.close(), 0);
    assert.equal((await runCli(["--project", p.root, "build"])).code, 0);
  },
});

Deno.test({
  name: "on a terminal wide values are cut to --max-width (40 by default); --wide shows them whole",
  ignore: !HAS_SCRIPT,
  async fn() {
    await using p = await project();
    const sql = "select url from marts.claims order by claim_number";
    const run = async (...extra: string[]) => {
      const t = terminal(["--project", p.root, "sql", sql, ...extra], p.root);
      assert.equal(await t.close(), 0);
      return t.text;
    };
    const cut = await run();
    assert.match(cut, /\| https:\/\/example\.org\/in-network\/2023-04_… \|\n/);
    assert.match(
      cut,
      /\(values wider than 40 columns were cut, ending in …: --wide shows them whole\)/,
    );
    assert.match(await run("--max-width", "12"), /\| https:\/\/exa… \|\n/);
    const wide = await run("--wide");
    assert.ok(wide.includes(`| ${URL_VALUE} |\n`), wide);
    assert.doesNotMatch(wide, /were cut/);
  },
});

Deno.test({
  name:
    "show and ls cut long cells on a terminal only: --wide shows them whole, pipes get them whole",
  ignore: !HAS_SCRIPT,
  async fn() {
    await using p = await project();
    await p.write("models/marts/urls.sql", `select '${URL_VALUE}' as url`);
    const show = ["--project", p.root, "show", "marts.urls"];
    const longId = "test.accepted_values_npi_providers_by_state_ledger_state";
    const ls = ["--project", REPO, "--db", p.db, "ls", "-s", "npi_providers_by_state"];
    for (const [args, whole] of [[show, URL_VALUE], [ls, longId]] as const) {
      {
        await using t = terminal(args, p.root);
        assert.equal(await t.close(), 0, t.text);
        assert.ok(!t.text.includes(whole), t.text);
        assert.ok(t.text.includes(`${whole.slice(0, 39)}…`), t.text);
      }
      {
        await using t = terminal([...args, "--wide"], p.root);
        assert.equal(await t.close(), 0, t.text);
        assert.ok(t.text.includes(whole), t.text);
      }
      const piped = await runCli(args, p.root);
      assert.equal(piped.code, 0, piped.stderr);
      assert.ok(piped.stdout.includes(whole), piped.stdout);
    }
  },
});

Deno.test({
  name:
    "the shell ends cleanly when its input ends while a statement still runs (Ctrl-D typed ahead)",
  ignore: !HAS_SCRIPT,
  async fn() {
    await using p = await project();
    await using t = terminal(["--project", p.root, "sql"], p.root);
    await t.expect(/wharf> /);
    await t.type("select sum(i) as total from range(400000000) t(i);\r");
    await new Promise((r) => setTimeout(r, 300));
    await t.type("\x04");
    assert.equal(await t.close(), 0, t.text);
    assert.match(t.text, /79999999800000000/);
    assert.doesNotMatch(t.text, /bug in wharf/);
  },
});
