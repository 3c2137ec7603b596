import assert from "node:assert/strict";
import { demoTables } from "../../src/demo/demo_tables.ts";
import { generate } from "../../src/gen/generate.ts";
import { compileSources } from "../../src/land/sources.ts";
import { tempProject } from "../helpers.ts";

Deno.test("the demo's table list is the files the generator writes", async () => {
  await using p = await tempProject();
  const planted = await generate(p.root, { scale: 0.2 });
  const names = planted.files.map((f) => f.split("/").pop()!);
  // One source per generated file name: each lands exactly where that name is listed.
  // A last source takes any other name: a name the list has but the generator does not write.
  const sources = compileSources([
    ...names.map((name, i) => ({ name: `s${i}`, pattern: new RegExp(`^${RegExp.escape(name)}$`) })),
    { name: "other", pattern: /./ },
  ]);
  assert.deepEqual(demoTables(sources), names.map((_, i) => `raw.s${i}`).sort());
});

Deno.test("the demo lands every raw table of the healthcare project's sources", async () => {
  const { default: config } = await import("../../wharf.config.ts");
  const sources = compileSources(config.sources);
  assert.deepEqual(demoTables(sources), sources.map((s) => `raw.${s.table}`).sort());
});
