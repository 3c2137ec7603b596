import assert from "node:assert/strict";
import { compileProject } from "../../src/engine/compile/compile_project.ts";
import { CompileError } from "../../src/engine/errors.ts";
import { loadProject } from "../../src/engine/project/load_project.ts";
import type { RenderHook } from "../../src/engine/project/render.ts";
import { tempProject } from "../helpers.ts";

Deno.test("loadProject() describes two models of the same name, each from its own layer folder's YAML", async () => {
  await using p = await tempProject({
    "models/staging/members.sql": "select 1 as member_id",
    "models/staging/staging.yml":
      "models:\n  - name: members\n    description: Typed deliveries.\n    columns:\n      - name: member_id\n        tests: [not_null]\n",
    "models/marts/members.sql": "select * from staging.members",
    "models/marts/marts.yml":
      "models:\n  - name: members\n    description: One row per member.\n    config: { materialized: table }\n    columns:\n      - name: member_id\n        tests: [unique]\n",
  });
  const project = await loadProject(p.config);
  assert.deepEqual(project.issues, []);
  const byId = new Map(project.models.map((m) => [m.id, m]));
  assert.equal(byId.get("staging.members")!.description, "Typed deliveries.");
  assert.equal(byId.get("staging.members")!.config.materialized, "view");
  assert.equal(byId.get("marts.members")!.description, "One row per member.");
  assert.equal(byId.get("marts.members")!.config.materialized, "table");
  assert.deepEqual(
    project.tests.map((t) => [t.name, t.kind === "generic_test" ? t.attachedTo : ""]).sort(),
    [["not_null_members_member_id", "staging.members"], [
      "unique_members_member_id",
      "marts.members",
    ]],
  );
});

Deno.test("loadProject() matches YAML to models by folder segments, not by the folder's name as a prefix", async () => {
  await using p = await tempProject({
    "models/staging/members.sql": "select 1 as member_id",
    "models/stag/stag.yml": "models:\n  - name: members\n    description: Wrong folder.\n",
    "models/staging/sub/claims.sql": "select 1 as claim_id",
    "models/staging/staging.yml": "models:\n  - name: claims\n    description: In a subfolder.\n",
  });
  const project = await loadProject(p.config);
  assert.deepEqual(
    project.issues.map((i) => `${i.location.file}:${i.location.line}: ${i.message}`),
    [
      'models/stag/stag.yml:2: models[0].name: no model "members" in this folder: add members.sql beside this file or remove the entry',
    ],
  );
  assert.equal(project.models.find((m) => m.id === "staging.members")!.description, "");
  // A YAML file describes the models of its folder and of the folders below it.
  assert.equal(
    project.models.find((m) => m.id === "staging.claims")!.description,
    "In a subfolder.",
  );
});

Deno.test("loadProject() asks to describe a model from its layer folder when a name is in two layers", async () => {
  await using p = await tempProject({
    "models/staging/members.sql": "select 1 as member_id",
    "models/marts/members.sql": "select * from staging.members",
    "models/schema.yml": "models:\n  - name: members\n    description: Which one?\n",
    "models/staging/a.yml": "models:\n  - name: members\n  - name: members\n",
  });
  const project = await loadProject(p.config);
  assert.deepEqual(
    project.issues.map((i) => `${i.location.file}:${i.location.line}: ${i.message}`),
    [
      'models/schema.yml:2: models[0].name: "members" names 2 models under this folder (marts.members, staging.members): describe each in a YAML file of its layer folder',
      'models/staging/a.yml:3: models[1].name: "members" is described twice (also in models/staging/a.yml)',
    ],
  );
});

Deno.test("loadProject() reports a model defined twice in one layer", async () => {
  await using p = await tempProject({
    "models/staging/a/members.sql": "select 1 as id",
    "models/staging/b/members.sql": "select 2 as id",
  });
  const project = await loadProject(p.config);
  assert.deepEqual(project.issues.map((i) => `${i.location.file}: ${i.message}`), [
    "models/staging/b/members.sql: staging.members is defined twice (also by models/staging/a/members.sql): rename one of the files",
  ]);
  assert.deepEqual(project.models.map((m) => m.path), ["models/staging/a/members.sql"]);
});

/** A toy template renderer: `{{ x }}` from vars, and a header line, with its source lines. */
const render: RenderHook = (_file, text, context) => {
  const lines = text.split("\n").map((line) =>
    line.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => context.vars[name] ?? "")
  );
  return {
    text: [`-- rendered ${context.id}`, ...lines].join("\n"),
    sourceLines: [1, ...lines.map((_, i) => i + 1)],
  };
};

Deno.test("loadProject() renders SQL through its render hook and reports problems at the lines written", async () => {
  await using p = await tempProject(
    {
      "models/staging/members.sql": "select *\nfrom {{ source }}",
      "models/staging/broken.sql": "select 1\nfrom x\nwhere = 2",
      "sql/tests/no_rows.sql": "select * from staging.members where false",
    },
    { vars: { source: "raw.members" } },
  );
  const project = await loadProject(p.config, { render });
  const members = project.models.find((m) => m.id === "staging.members")!;
  assert.equal(members.sql, "-- rendered staging.members\nselect *\nfrom raw.members");
  assert.deepEqual(members.refs.map((r) => [r.relation, r.line, r.column]), [
    ["raw.members", 2, undefined],
  ]);
  const test = project.tests.find((t) => t.name === "no_rows");
  assert.ok(test?.kind === "singular_test");
  assert.equal(test.sql.split("\n")[0], "-- rendered test.no_rows");
  assert.deepEqual(project.issues.map((i) => [i.location, i.message.split(":")[0]]), [
    [{ file: "models/staging/broken.sql", line: 3 }, "Cannot parse SQL"],
  ]);

  await p.write("models/staging/broken.sql", "select * from {{ table }}");
  await assert.rejects(
    () =>
      compileProject({ ...p.config, vars: { ...p.config.vars, table: "staging.nope" } }, {
        render,
        sources: ["raw.members"],
      }),
    (err: unknown) => {
      assert.ok(err instanceof CompileError);
      assert.deepEqual(err.issues.map((i) => i.location), [
        { file: "models/staging/broken.sql", line: 1, column: undefined },
      ]);
      assert.match(
        err.message,
        /models\/staging\/broken\.sql:1: Cannot resolve relation "staging\.nope"/,
      );
      return true;
    },
  );
});

Deno.test("loadProject() reports a render hook that fails as a problem of the file", async () => {
  await using p = await tempProject({ "models/staging/a.sql": "select 1" });
  const project = await loadProject(p.config, {
    render: () => {
      throw new Error("unknown macro foo");
    },
  });
  assert.deepEqual(project.issues, [{
    message: "Cannot render the SQL: unknown macro foo",
    location: { file: "models/staging/a.sql" },
  }]);
});
