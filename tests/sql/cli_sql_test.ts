import assert from "node:assert/strict";
import { join } from "node:path";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import {
  cliCommand,
  type CliResult,
  holdWarehouse,
  runCli,
  type TempProject,
  tempProject,
} from "../helpers.ts";

const LONG_URL =
  "https://anthem.example.org/in-network/2023-04_NY_PPO_BCCMMEDCL00_01_11.json.gz?Expires=1&Signature=abc";

/** A project whose warehouse holds a small table of awkward values. */
async function project(): Promise<TempProject> {
  const p = await tempProject();
  const wh = await openWarehouse(p.db);
  try {
    await wh.exec(`
      create schema marts;
      create table marts.claims as
      select * from (values
        ('A-1', 1250.50::decimal(18,2), 9007199254740993::bigint, date '2023-10-31',
         timestamptz '2024-07-01 12:00:00+00', ['chronic', 'behavioral'], {'code': 'E11', 'n': 2},
         'Ōsaka 日本', '${LONG_URL}'),
        ('A-2', 0.05, -1, null, null, [], {'code': null, 'n': null}, '', null)
      ) t(claim_number, billed, big, received_on, landed_at, categories, dx, city, url)`);
  } finally {
    wh.close();
  }
  return p;
}

/** `wharf --project <p> sql …args`. */
function sql(
  p: TempProject,
  args: readonly string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<CliResult> {
  return cli(["--project", p.root, "sql", ...args], options);
}

/** The CLI with `stdin` as its input and extra environment. */
async function cli(
  args: readonly string[],
  options: { stdin?: string; env?: Record<string, string>; cwd?: string } = {},
): Promise<CliResult> {
  const child = cliCommand(args, {
    stdin: options.stdin === undefined ? "null" : "piped",
    env: options.env,
    cwd: options.cwd,
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("wharf sql prints a query's rows as a table with names, types and a row count", async () => {
  await using p = await project();
  const r = await sql(p, [
    "select claim_number, billed, big, received_on, city, url from marts.claims order by 1",
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.equal(
    r.stdout,
    [
      "| claim_number |        billed |              big | received_on | city       | url" +
      " ".repeat(LONG_URL.length - 3) + " |",
      "| VARCHAR      | DECIMAL(18,2) |           BIGINT | DATE        | VARCHAR    | VARCHAR" +
      " ".repeat(LONG_URL.length - 7) + " |",
      `|--------------|---------------|------------------|-------------|------------|${
        "-".repeat(LONG_URL.length + 2)
      }|`,
      `| A-1          |       1250.50 | 9007199254740993 | 2023-10-31  | Ōsaka 日本 | ${LONG_URL} |`,
      `| A-2          |          0.05 |               -1 | NULL        |            | NULL${
        " ".repeat(LONG_URL.length - 4)
      } |`,
      "2 rows",
      "",
    ].join("\n"),
  );
});

Deno.test("wharf sql shows TIMESTAMPTZ in the local time zone, lists and structs as SQL literals", async () => {
  await using p = await project();
  const r = await sql(p, [
    "select landed_at, categories, dx from marts.claims order by claim_number",
  ], { env: { TZ: "America/New_York" } });
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /\| 2024-07-01 08:00:00-04 +\| \['chronic', 'behavioral'\] \| \{'code': 'E11', 'n': 2\} +\|/,
  );
  assert.match(r.stdout, /\| NULL +\| \[\] +\| \{'code': NULL, 'n': NULL\} +\|/);
  assert.match(
    r.stdout,
    /\| TIMESTAMP WITH TIME ZONE \| VARCHAR\[\] +\| STRUCT\("code" VARCHAR, "n" INTEGER\) \|/,
  );
});

Deno.test("wharf sql runs a file's statements in order, and SQL from stdin", async () => {
  await using p = await project();
  await p.write(
    "q.sql",
    "-- two questions\nselect count(*) as n from marts.claims;\n\nselect claim_number from marts.claims\nwhere billed > 1 order by 1;\n",
  );
  const file = await cli(["sql", "-f", "q.sql", "--format", "csv"], {
    cwd: p.root,
    env: { INIT_CWD: p.root },
  });
  assert.equal(file.code, 0, file.stderr);
  assert.equal(file.stdout, "n\n2\nclaim_number\nA-1\n");
  const stdin = await sql(p, ["--format", "ndjson"], {
    stdin: "select claim_number, billed from marts.claims order by 1;",
  });
  assert.equal(stdin.code, 0, stdin.stderr);
  assert.equal(
    stdin.stdout,
    '{"claim_number":"A-1","billed":1250.50}\n{"claim_number":"A-2","billed":0.05}\n',
  );
  const dash = await sql(p, ["-f", "-", "--format", "csv"], {
    stdin: "select 1 as one",
  });
  assert.equal(dash.stdout, "one\n1\n");
});

Deno.test("a shell dot command piped in is refused with the SQL to write instead, before anything runs", async () => {
  await using p = await project();
  const piped = await sql(p, ["--write"], {
    stdin: "create table main.t as select 1 as x;\n.tables\n",
  });
  assert.equal(piped.code, 2, piped.stderr);
  assert.match(
    piped.stderr,
    /error: \.tables is a command of wharf sql's interactive shell \(on a terminal\), not SQL: .*SHOW ALL TABLES; DESCRIBE <relation>/,
  );
  const after = await sql(p, ["--format", "csv"], {
    stdin: "select count(*) as n from duckdb_tables() where table_name = 't'",
  });
  assert.equal(after.stdout, "n\n0\n");
});

Deno.test("wharf sql formats for scripts: json keeps exact numbers, NULL and '' apart; no value is cut", async () => {
  await using p = await project();
  const query =
    "select claim_number, billed, big, received_on, categories, dx, city, url from marts.claims order by 1";
  const json = await sql(p, [query, "--format", "json"]);
  assert.equal(json.code, 0, json.stderr);
  assert.match(json.stdout, /"billed":1250\.50,"big":9007199254740993,/);
  const rows = JSON.parse(json.stdout);
  assert.deepEqual(rows[1], {
    claim_number: "A-2",
    billed: 0.05,
    big: -1,
    received_on: null,
    categories: [],
    dx: { code: null, n: null },
    city: "",
    url: null,
  });
  assert.deepEqual(rows[0].categories, ["chronic", "behavioral"]);
  assert.equal(rows[0].url, LONG_URL);
  const csv = await sql(p, [query, "--format", "csv"]);
  assert.equal(
    csv.stdout,
    `claim_number,billed,big,received_on,categories,dx,city,url\nA-1,1250.50,9007199254740993,2023-10-31,"['chronic', 'behavioral']","{'code': 'E11', 'n': 2}",Ōsaka 日本,${LONG_URL}\nA-2,0.05,-1,,[],"{'code': NULL, 'n': NULL}","",\n`,
  );
  const md = await sql(p, [
    "select claim_number, billed from marts.claims order by 1",
    "--format",
    "markdown",
  ]);
  assert.equal(
    md.stdout,
    "| claim_number |  billed |\n|--------------|--------:|\n| A-1          | 1250.50 |\n| A-2          |    0.05 |\n",
  );
  // --json (the global flag) means --format json.
  const global = await cli(["--project", p.root, "--json", "sql", "select 1 as one"]);
  assert.deepEqual(JSON.parse(global.stdout), [{ one: 1 }]);
});

Deno.test("wharf sql --output writes the results to a file, and leaves no file when the SQL fails", async () => {
  await using p = await project();
  const out = join(p.root, "out", "claims.csv");
  await Deno.mkdir(join(p.root, "out"));
  const ok = await sql(p, [
    "select claim_number, url from marts.claims order by 1",
    "--format",
    "csv",
    "--output",
    out,
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, "");
  assert.equal(ok.stderr, `Wrote 2 rows to ${out}\n`);
  assert.equal(await Deno.readTextFile(out), `claim_number,url\nA-1,${LONG_URL}\nA-2,\n`);
  const failed = await sql(p, [
    "select 1 as a; select * from nope",
    "--output",
    join(p.root, "out", "bad.csv"),
  ]);
  assert.equal(failed.code, 1);
  assert.deepEqual([...Deno.readDirSync(join(p.root, "out"))].map((e) => e.name), ["claims.csv"]);
});

Deno.test("wharf sql says a COPY … TO wrote its rows to the file (the warehouse, read-only, did not change); a COPY … FROM with --write changed it", async () => {
  await using p = await project();
  const out = join(p.root, "claims; copy.csv");
  const copied = await sql(p, [
    `select 1 as one; copy (select claim_number, 'a;b' as note from marts.claims) to '${
      out.replaceAll("'", "''")
    }' (header)`,
  ]);
  assert.equal(copied.code, 0, copied.stderr);
  assert.match(copied.stdout, new RegExp(`\\n\\n2 rows written to ${RegExp.escape(out)}\\n$`));
  assert.equal(await Deno.readTextFile(out), "claim_number,note\nA-1,a;b\nA-2,a;b\n");
  const loaded = await sql(p, [
    "--write",
    `create table marts.notes (claim_number varchar, note varchar); COPY marts.notes FROM '${out}'`,
  ]);
  assert.equal(loaded.code, 0, loaded.stderr);
  assert.equal(loaded.stdout, "2 rows changed\n");
});

Deno.test("wharf sql is read-only unless --write, and says so when a change is refused", async () => {
  await using p = await project();
  const refused = await sql(p, ["create table marts.notes (note varchar)"]);
  assert.equal(refused.code, 1);
  assert.match(
    refused.stderr,
    /^error: Invalid Input Error: Cannot execute statement of type "CREATE" on database "warehouse" which is attached in read-only mode! \(wharf sql opens the warehouse read-only: pass --write to change it\)\n$/,
  );
  const write = await sql(p, [
    "--write",
    "create table marts.notes (note varchar); insert into marts.notes values ('a'), ('b'); delete from marts.claims where claim_number = 'A-2'",
  ]);
  assert.equal(write.code, 0, write.stderr);
  assert.equal(write.stdout, "2 rows changed\n\n1 row changed\n");
  const after = await sql(p, [
    "select (select count(*) from marts.notes) as notes, (select count(*) from marts.claims) as claims",
    "--format",
    "csv",
  ]);
  assert.equal(after.stdout, "notes,claims\n2,1\n");
});

Deno.test("wharf sql prints DuckDB's error and exits 1; several statements stop at the failing one", async () => {
  await using p = await project();
  const r = await sql(p, ["select * from marts.claim"]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    /^error: Catalog Error: Table with name claim does not exist!\nDid you mean "claims"\?/,
  );
  assert.doesNotMatch(r.stderr, /at .*\.ts:\d+/);
  assert.equal(r.stdout, "");
  const several = await sql(p, [
    "select 1 as a; select 2 as b; select x; select 4 as d",
    "--format",
    "csv",
  ]);
  assert.equal(several.code, 1);
  assert.equal(several.stdout, "a\n1\nb\n2\n");
  assert.match(
    several.stderr,
    /^error: Statement 3 of 4 failed \(statements 1-2 ran\): Binder Error: Referenced column "x" was not found/,
  );
  const parse = await sql(p, ["select 1;\nselec 2"]);
  assert.equal(parse.code, 1);
  assert.match(
    parse.stderr,
    /^error: Parser Error: syntax error at or near "selec"\n\nLINE 2: selec 2/,
  );
  assert.equal(parse.stdout, "");
});

Deno.test("wharf sql on a missing warehouse says what to run, --write creates it; usage mistakes exit 2", async () => {
  await using p = await tempProject();
  const missing = await sql(p, ["select 1"]);
  assert.equal(missing.code, 1);
  assert.equal(
    missing.stderr,
    `error: Warehouse "${p.db}" does not exist yet: run \`deno task demo\` for the demo data, or land your files and build (\`deno task wharf land <path>\`, then \`deno task wharf build\`), or pass --db with an existing file\n`,
  );
  // --write is the intent to change it: the warehouse is created, and wharf says so.
  const created = await sql(p, [
    "--write",
    "create schema app; create table app.t as select 1 as x",
  ]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stderr, `Created the warehouse ${p.db}: it did not exist yet.\n`);
  const read = await sql(p, ["--format", "csv", "select x from app.t"]);
  assert.equal(read.stdout, "x\n1\n");
  assert.equal(read.stderr, "");
  await using q = await project();
  const cases: [string[], RegExp][] = [
    [
      ["sql", "select 1", "-f", "q.sql"],
      /^error: Give the SQL either as an argument or with -f, not both/,
    ],
    [
      ["sql", "select 1", "--format", "xml"],
      /^error: Invalid --format "xml": use one of table, line, markdown, csv, json, ndjson/,
    ],
    [["sql", "select 1", "--max-width", "0"], /^error: Invalid --max-width "0"/],
    [
      ["sql", "select 1", "--wide", "--max-width", "9"],
      /^error: --wide and --max-width exclude each other/,
    ],
    [["sql", "-f", "nope.sql"], /^error: SQL file "nope\.sql" does not exist/],
    [["sql", "select 1", "--output", q.root], /^error: Cannot write --output ".*": it is a folder/],
    [
      ["sql", "select 1", "--output", join(q.root, "no", "such", "out.csv")],
      /^error: Cannot write --output ".*out\.csv": folder ".*such" does not exist/,
    ],
  ];
  for (const [args, message] of cases) {
    const r = await runCli(["--project", q.root, ...args]);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.stderr, message, args.join(" "));
  }
  const empty = await cli(["--project", q.root, "sql"], { stdin: "  -- nothing here\n" });
  assert.equal(empty.code, 2);
  assert.equal(empty.stderr, "error: No SQL to run: the input holds no statement\n");
});

Deno.test("while another command writes to the warehouse, wharf sql says which, its PID and since when", async () => {
  await using p = await project();
  {
    await using holder = await holdWarehouse(p.db, "wharf build");
    const r = await sql(p, ["select 1"]);
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      new RegExp(
        `^error: Cannot open warehouse "${
          p.db.replaceAll(".", "\\.")
        }": \`wharf build\` \\(PID ${holder.pid}\\) has been writing to it since \\d\\d:\\d\\d:\\d\\d \\(\\d+ s\\): wait for it to finish, or pass --db to use another file\\n$`,
      ),
    );
  }
  // The holder closed: its record went with it, and wharf sql reads again.
  assert.deepEqual([...Deno.readDirSync(join(p.root, ".wharf", "holders"))], []);
  assert.equal(
    (await sql(p, ["select 1 as x", "--format", "csv"])).stdout,
    "x\n1\n",
  );
});

Deno.test("a record left by a dead process is not believed: the lock error names the real holder", async () => {
  await using p = await project();
  await using holder = await holdWarehouse(p.db);
  // A record for the holder's PID written by another program (an earlier process with that PID).
  await p.write(
    `.wharf/holders/warehouse.duckdb.${holder.pid}.json`,
    JSON.stringify({
      command: "wharf land",
      pid: holder.pid,
      program: "/usr/bin/python3",
      since: new Date().toISOString(),
      readOnly: false,
    }),
  );
  const r = await sql(p, ["select 1"]);
  assert.equal(r.code, 1);
  assert.match(
    r.stderr,
    new RegExp(
      `^error: Cannot open warehouse ".*": it is in use by another process \\(PID ${holder.pid}, .*deno\\)`,
    ),
  );
  assert.doesNotMatch(r.stderr, /wharf land/);
});
