import assert from "node:assert/strict";
import { compileProject } from "../../src/engine/compile/compile_project.ts";
import { CompileError } from "../../src/engine/errors.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { positionsIn } from "../../src/engine/db/parse_sql.ts";
import { query } from "../land/helpers.ts";
import { tempProject } from "../helpers.ts";

// DuckDB's parser reports byte offsets; every rewrite must land on the right
// character after text of 2, 3 and 4 UTF-8 bytes and two UTF-16 units.
const SAMPLES = { accent: "é", ellipsis: "…", emoji: "😀", cjk: "中文" };
const PLACES = {
  comment: (s: string) => `-- a note ${s} ${s}\n`,
  literal: (s: string) => `select '${s}${s}' as note, `,
  quoted: (s: string) => `select 1 as "${s}${s}", `,
};

function modelSql(place: keyof typeof PLACES, s: string): string {
  const before = PLACES[place](s);
  const select = place === "comment" ? `${before}select ` : before;
  return `${select}e.x, e.x as y from staging.eph as e join staging.eph as f using (x)`;
}

Deno.test("positionsIn() maps UTF-8 byte and code point offsets to string indexes", () => {
  const text = "é…😀中x";
  const at = positionsIn(text);
  // é = 2 bytes, … = 3, 😀 = 4 (one code point, two code units), 中 = 3.
  assert.deepEqual([0, 2, 5, 9, 12, 13].map(at.fromBytes), [0, 1, 2, 4, 5, 6]);
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(at.fromCodePoints), [0, 1, 2, 4, 5, 6]);
  assert.equal(text[at.fromBytes(12)], "x");
  assert.equal(at.fromBytes(99), text.length);
  assert.equal(positionsIn("plain").fromBytes(3), 3);
});

for (const [label, s] of Object.entries(SAMPLES)) {
  for (const place of Object.keys(PLACES) as (keyof typeof PLACES)[]) {
    Deno.test(`ephemeral inlining, lineage and build are right after ${label} in a ${place}`, async () => {
      await using p = await tempProject({
        "models/staging/eph.sql": `-- ${s} ephemeral\nselect 1 as x`,
        "models/staging/staging.yml":
          "models:\n  - name: eph\n    config: { materialized: ephemeral }\n",
        "models/marts/m.sql": modelSql(place, s),
      });
      const cp = await compileProject(p.config, { sources: [] });
      const m = cp.compiled.get("marts.m");
      assert.ok(m?.kind === "model");
      const tail = m.select.slice(m.select.lastIndexOf("SELECT * FROM (\n"));
      assert.ok(
        tail.includes(
          'from "__wharf_ephemeral_staging__eph" as e join "__wharf_ephemeral_staging__eph" as f using (x)',
        ),
        tail,
      );
      assert.ok(tail.includes(PLACES[place](s)), "the text before the reference is intact");
      const node = cp.project.models.find((n) => n.id === "marts.m")!;
      assert.deepEqual(node.columnLineage.y, ["staging.eph.x"]);
      const built = await runProject("run", p.config, { db: p.db });
      assert.ok(built.ok, JSON.stringify(built.results));
      assert.deepEqual(await query(p.db, "select x, y from marts.m"), [{ x: 1, y: 1 }]);
    });
  }
  Deno.test(`a syntax error after ${label} points at its line and column`, async () => {
    await using p = await tempProject({
      "models/staging/bad.sql": `select '${s}' as a, "${s}" as b -- ${s}\nfrom x where ${s} = = 1`,
    });
    const err = await compileProject(p.config, { sources: [] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof CompileError);
    const issue = err.issues[0]!;
    assert.equal(issue.location.line, 2);
    // The second "=" is at this column of line 2, counted in characters.
    const line2 = `from x where ${s} = = 1`;
    assert.equal(issue.location.column, line2.lastIndexOf("=") + 1, issue.message);
  });
}
