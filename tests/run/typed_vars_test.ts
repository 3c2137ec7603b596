import assert from "node:assert/strict";
import { resolveConfig } from "../../src/config.ts";
import { ConfigError } from "../../src/engine/errors.ts";
import { REPO, runCli, tempProject } from "../helpers.ts";

/** A project whose model casts `as_of_date` to a date, declared one or not. */
function datedProject(declaration: string) {
  return tempProject({
    "wharf.config.ts": `export default { vars: { as_of_date: ${declaration}, label: "x" } };\n`,
    "models/marts/members.sql": "select wharf_var('as_of_date')::date as as_of, 1 as member_id",
    "models/marts/marts.yml": "models:\n  - name: members\n    config: { materialized: table }\n",
  });
}

Deno.test("a --vars value that is not of its declared type stops build before anything runs, naming the variable, the value and where", async () => {
  await using p = await datedProject(`{ default: "2023-09-01", type: "date" }`);
  for (
    const [given, detail] of [
      ["as_of_date=notadate", /"notadate" is no date: expected a date, YYYY-MM-DD/],
      ["{as_of_date: 2023-09-31}", /"2023-09-31" is no date \(September 2023 has 30 days\)/],
    ] as const
  ) {
    const r = await runCli(["--project", p.root, "--db", p.db, "build", "--vars", given]);
    assert.equal(r.code, 2, r.stdout);
    assert.match(
      r.stderr,
      /^error: Invalid value of "as_of_date" in --vars \(wharf\.config\.ts declares it a date\): /,
    );
    assert.match(r.stderr, detail);
    // Nothing ran: no warehouse was even created.
    await assert.rejects(() => Deno.stat(p.db), Deno.errors.NotFound);
  }
  // compile and show check it too.
  const show = await runCli([
    "--project",
    p.root,
    "show",
    "marts.members",
    "--vars",
    "as_of_date=x",
  ]);
  assert.equal(show.code, 2);
  assert.match(show.stderr, /Invalid value of "as_of_date" in --vars/);
  // A good value builds, and the undeclared variables stay free text.
  const ok = await runCli([
    "--project",
    p.root,
    "--db",
    p.db,
    "build",
    "--vars",
    "as_of_date=2024-02-29",
    "label=anything",
  ]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
});

Deno.test("a default in wharf.config.ts that is not of its declared type is an error naming it", async () => {
  await using p = await datedProject(`{ default: "2023-09-31", type: "date" }`);
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 2, r.stdout);
  assert.equal(
    r.stderr.trim(),
    'error: Invalid variable "as_of_date" in wharf.config.ts: "2023-09-31" is no date (September 2023 has 30 days): expected a date, YYYY-MM-DD (e.g. 2024-01-31)',
  );
  await assert.rejects(() => Deno.stat(p.db), Deno.errors.NotFound);
});

Deno.test("a variable declaration is checked: its keys, its type and its default", () => {
  const bad = (vars: Record<string, unknown>, message: RegExp) =>
    assert.throws(() => resolveConfig("/tmp", { vars } as never), (err: Error) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, message);
      return true;
    });
  bad(
    { d: { default: "2024-01-01", typ: "date" } },
    /^Unknown key "vars\.d\.typ" in wharf\.config\.ts \(did you mean "type"\?\)/,
  );
  bad({ d: { default: "1", type: "int" } }, /got "int" \(did you mean "integer"\?\)/);
  bad({ d: { type: "date" } }, /^Invalid "vars\.d" in wharf\.config\.ts: "default" is its value/);
  bad({ n: { default: "2.5", type: "integer" } }, /"2\.5" is no integer/);
  bad({ b: { default: "yes", type: "boolean" } }, /"yes" is no boolean: expected true or false/);
  bad({ t: { default: "2024-01-01 25:00", type: "timestamp" } }, /no such time of day/);
  const config = resolveConfig("/tmp", {
    vars: {
      d: { default: "2024-02-29", type: "date" },
      n: { default: 30, type: "integer" },
      t: { default: "2024-01-31T06:00:00Z", type: "timestamp" },
      b: { default: false, type: "boolean" },
      plain: "text",
    },
  });
  assert.deepEqual(config.vars, {
    d: "2024-02-29",
    n: "30",
    t: "2024-01-31T06:00:00Z",
    b: "false",
    plain: "text",
  });
  assert.deepEqual(config.varTypes, { d: "date", n: "integer", t: "timestamp", b: "boolean" });
});

Deno.test("a unit test's overrides.vars value must fit the variable's declared type", async () => {
  await using p = await datedProject(`{ default: "2023-09-01", type: "date" }`);
  await p.write(
    "models/marts/unit_tests.yml",
    `unit_tests:
  - name: as_of_given
    model: members
    overrides:
      vars: { as_of_date: 2023-02-30 }
    given: []
    expect:
      rows: [{ member_id: 1 }]
`,
  );
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 2, r.stdout);
  assert.match(
    r.stderr,
    /models\/marts\/unit_tests\.yml:5:\d+: unit_tests\[0\]\.overrides\.vars\.as_of_date: "2023-02-30" is no date \(February 2023 has 28 days\).*\(the project declares "as_of_date" a date\)/,
  );
});

Deno.test("the healthcare project declares as_of_date a date: a bad one stops the build up front", async () => {
  await using p = await tempProject();
  const r = await runCli([
    "--project",
    REPO,
    "--db",
    p.db,
    "build",
    "--vars",
    "as_of_date=notadate",
  ]);
  assert.equal(r.code, 2, r.stdout);
  assert.equal(
    r.stderr.trim(),
    'error: Invalid value of "as_of_date" in --vars (wharf.config.ts declares it a date): "notadate" is no date: expected a date, YYYY-MM-DD (e.g. 2024-01-31)',
  );
  assert.equal(r.stdout, "");
});

Deno.test("a variable declared an integer is named so, in --vars and in a unit test's overrides", async () => {
  await using p = await tempProject({
    "wharf.config.ts":
      `export default { vars: { min_points: { default: 0, type: "integer" } } };\n`,
    "models/marts/points.sql": "select wharf_var('min_points')::int as min_points",
    "models/marts/unit_tests.yml": `unit_tests:
  - name: points_given
    model: points
    overrides:
      vars: { min_points: 2.5 }
    given: []
    expect:
      rows: [{ min_points: 2 }]
`,
  });
  const given = await runCli([
    "--project",
    p.root,
    "--db",
    p.db,
    "build",
    "--vars",
    "min_points=x",
  ]);
  assert.equal(given.code, 2, given.stdout);
  assert.match(
    given.stderr,
    /^error: Invalid value of "min_points" in --vars \(wharf\.config\.ts declares it an integer\): "x" is no/,
  );
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 2, r.stdout);
  assert.match(
    r.stderr,
    /unit_tests\[0\]\.overrides\.vars\.min_points: "2\.5" is no .*\(the project declares "min_points" an integer\)/,
  );
});
