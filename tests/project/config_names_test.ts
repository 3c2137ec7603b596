import assert from "node:assert/strict";
import { runCli, tempProject } from "../helpers.ts";

Deno.test("dbt-style Jinja in a plain-SQL model: the parse error says how plain SQL names relations and that Jinja needs a dbt project", async () => {
  await using p = await tempProject({
    "models/intermediate/int_members.sql": "select 1 as member_id",
    "models/seeds/us_states.csv": "code\nNY\n",
    "models/marts/bad_model.sql":
      "select *\nfrom {{ ref('int_membrs') }} join {{ ref(\"us_states\") }} on true\n",
    "models/marts/other.sql": "select 1 as x\nfrom\n",
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 2, r.stdout);
  assert.match(
    r.stderr,
    /^ {2}models\/marts\/bad_model\.sql:2:6: Cannot parse SQL: syntax error at or near "\{": plain-SQL models name relations as schema\.name \(write ref\('int_membrs'\) as intermediate\.int_members, the closest name; ref\("us_states"\) as seeds\.us_states\), with no template language: Jinja \(\{\{ ref\(\) \}\}, \{% … %\}\) needs a dbt project, with dbt_project\.yml at its root \(see "Coming from dbt" in the README\)$/m,
  );
  // SQL without Jinja that does not parse gets no such hint.
  const other = r.stderr.split("\n").find((l) => l.includes("models/marts/other.sql"));
  assert.ok(other, r.stderr);
  assert.doesNotMatch(other, /Jinja|dbt/);

  // A {% … %} block alone gets the hint too.
  await p.remove("models/marts/other.sql");
  await p.write("models/marts/bad_model.sql", "{% if true %}select 1 as x{% endif %}\n");
  const block = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.match(
    block.stderr,
    /bad_model\.sql:1:\d+: Cannot parse SQL: .*: plain-SQL models name relations as schema\.name \(staging\.stg_orders\), .*needs a dbt project/,
  );
});

Deno.test("a unique_key, a column setting or a check's column naming no column of the model is a compile error at its YAML line, with the closest column", async () => {
  await using p = await tempProject({
    "models/intermediate/int_members.sql":
      "select m.client, m.member_id, upper(m.name) as name, m.zip\nfrom (select 'a' as client, 1 as member_id, 'x' as name, '1' as zip) m",
    "models/intermediate/int_claims.sql": "select 1 as claim_id, 2 as billed",
    "models/intermediate/intermediate.yml": `models:
  - name: int_members
    config:
      materialized: table
      unique_key: [client, member_idd]
    checks:
      valid_zip: { expression: "zip ~ '^[0-9]{5}$'", column: zpi, on_fail: nullify }
  - name: int_claims
    config:
      materialized: incremental
      incremental_strategy: merge
      unique_key: claim_id
      merge_update_columns: [billd]
`,
    "models/marts/orders.sql": "select 1 as id, 'NY' as state",
    "models/marts/marts.yml": `models:
  - name: orders
    config: { materialized: external, location: exports/orders, partition_by: [stat] }
`,
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 2, r.stdout);
  const lines = r.stderr.trim().split("\n").slice(1);
  assert.deepEqual(lines, [
    '  models/intermediate/intermediate.yml:5:28: models[0].config.unique_key[1]: "member_idd" is no column of intermediate.int_members (did you mean "member_id"?)',
    '  models/intermediate/intermediate.yml:7:62: models[0].checks.valid_zip.column: "zpi" is no column of intermediate.int_members (did you mean "zip"?)',
    '  models/intermediate/intermediate.yml:13:30: models[1].config.merge_update_columns[0]: "billd" is no column of intermediate.int_claims (did you mean "billed"?)',
    '  models/marts/marts.yml:3:80: models[0].config.partition_by[0]: "stat" is no column of marts.orders (did you mean "state"?)',
  ]);
  // Nothing ran.
  assert.match(
    r.stderr,
    /^error: Cannot compile the project: 4 problems found \(nothing was run\):$/m,
  );
  assert.equal(r.stdout, "");
});

Deno.test("a model's columns are checked only when its SELECT names them all", async () => {
  await using p = await tempProject({
    // `*` and an expression without an alias: the columns are not known before it runs.
    "models/marts/starred.sql": "select * from (select 1 as id)",
    "models/marts/unnamed.sql": "select 1 as id, upper('x')",
    "models/marts/marts.yml": `models:
  - name: starred
    config: { materialized: table, unique_key: [id] }
  - name: unnamed
    config: { materialized: table, unique_key: [id] }
`,
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
});

Deno.test("a YAML entry naming no model of its folder suggests the closest model there", async () => {
  await using p = await tempProject({
    "models/intermediate/int_members.sql": "select 1 as member_id",
    "models/intermediate/intermediate.yml": "models:\n  - name: int_membrs\n",
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "build"]);
  assert.equal(r.code, 2, r.stdout);
  assert.match(
    r.stderr,
    /^ {2}models\/intermediate\/intermediate\.yml:2:\d+: models\[0\]\.name: no model "int_membrs" in this folder \(did you mean "int_members"\?\): add int_membrs\.sql beside this file or remove the entry$/m,
  );
});
