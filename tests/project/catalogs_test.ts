/**
 * Attached databases in a project's configuration and YAML: `attach:` in
 * wharf.config.ts, `config: { database }` on a model, and how references
 * into an attached database resolve when nothing can be read yet.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { ConfigError } from "../../src/engine/errors.ts";
import { buildGraph } from "../../src/engine/graph/build_graph.ts";
import { loadProject } from "../../src/engine/project/load_project.ts";
import { tempProject } from "../helpers.ts";

Deno.test("attach: resolves each database's path against the project root, read-write by default", async () => {
  await using p = await tempProject({
    "wharf.config.ts":
      `export default { attach: { lake: "data/lake.duckdb", ref: { path: "/srv/ref.duckdb", readOnly: true }, sales: "md:sales" } };\n`,
  });
  const config = await loadConfig(p.root);
  assert.deepEqual(config.attach, [
    { name: "lake", target: join(p.root, "data/lake.duckdb"), readOnly: false },
    { name: "ref", target: "/srv/ref.duckdb", readOnly: true },
    { name: "sales", target: "md:sales", readOnly: false },
  ]);
});

Deno.test("attach: refuses bad names, unknown keys and targets with what to write instead", async () => {
  const cases: [string, RegExp][] = [
    [
      `{ Lake: "lake.duckdb" }`,
      /^Invalid name "attach\.Lake" in wharf\.config\.ts: use lower-case letters/,
    ],
    [`{ main: "lake.duckdb" }`, /^Invalid name "attach\.main" .*"main" is taken/],
    [
      `{ lake: { path: "lake.duckdb", readonly: true } }`,
      /^Unknown key "attach\.lake\.readonly" in wharf\.config\.ts \(did you mean "readOnly"\?\): an attached database takes "path", "readOnly"/,
    ],
    [`{ lake: 3 }`, /^Invalid "attach\.lake" in wharf\.config\.ts: expected a path/],
    [`{ lake: ":memory:" }`, /":memory:" would lose it/],
    [
      `{ lake: "md:sales" }`,
      /^Invalid "attach\.lake" .*MotherDuck attaches a database under its own name, so name the entry after it: attach: \{ sales: "md:sales" \}/,
    ],
    [
      `{ lake: "s3://bucket/lake.duckdb" }`,
      /^Unknown kind of warehouse "s3:\/\/bucket\/lake\.duckdb"/,
    ],
  ];
  for (const [attach, message] of cases) {
    await using p = await tempProject({
      "wharf.config.ts": `export default { attach: ${attach} };\n`,
    });
    await assert.rejects(
      () => loadConfig(p.root),
      (err: unknown) => err instanceof ConfigError && message.test(err.message),
      attach,
    );
  }
});

Deno.test("config: { database } builds a model into an attached database, or says why it cannot", async () => {
  await using p = await tempProject({
    "wharf.config.ts":
      `export default { attach: { lake: "lake.duckdb", ref: { path: "ref.duckdb", readOnly: true } } };\n`,
    "models/staging/a.sql": "select 1 as id",
    "models/staging/b.sql": "select 1 as id",
    "models/staging/c.sql": "select 1 as id",
    "models/staging/d.sql": "select 1 as id",
    "models/staging/e.sql": "select * from lake.staging.a join ref.main.codes using (id)",
    "models/staging/staging.yml": [
      "models:",
      "  - name: a",
      "    config: { database: lake }",
      "  - name: b",
      "    config: { database: laek }",
      "  - name: c",
      "    config: { database: ref }",
      "  - name: d",
      "    config: { materialized: ephemeral, database: lake }",
      "",
    ].join("\n"),
  });
  const project = await loadProject(await loadConfig(p.root));
  assert.deepEqual(project.models.map((m) => [m.id, m.catalog]), [
    ["lake.staging.a", "lake"],
    ["staging.b", undefined],
    ["staging.c", undefined],
    ["staging.d", undefined],
    ["staging.e", undefined],
  ]);
  assert.deepEqual(project.issues.map((i) => `${i.location.line}: ${i.message}`), [
    `5: models[1].config.database: "laek" is not an attached database (did you mean "lake"?): wharf.config.ts attaches "lake", "ref"; attach it there, e.g. attach: { laek: "laek.duckdb" }`,
    `7: models[2].config.database: "ref" is attached read-only, so no model can be built into it: drop readOnly from attach.ref in wharf.config.ts`,
    `9: models[3].config.database: ephemeral models are not built, so they go into no database: remove "database"`,
  ]);
  // Nothing read yet: a table of an attached database is taken on trust, as a source there.
  const { graph } = buildGraph(project);
  assert.deepEqual(graph.parents.get("staging.e"), ["lake.staging.a", "ref.main.codes"]);
  assert.deepEqual(graph.nodes.get("ref.main.codes"), {
    kind: "source",
    id: "ref.main.codes",
    name: "codes",
    relation: "ref.main.codes",
    catalog: "ref",
  });
});
