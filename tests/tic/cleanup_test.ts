import assert from "node:assert/strict";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { landTic } from "../../src/tic/land_tic.ts";
import { tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";

/** An index of `structures` structures linking `per` files each: dense links, few files. */
function denseIndex(structures: number, per: number): string {
  const refs = Array.from({ length: per }, (_, f) => `{"location":"https://h.example.com/f${f}"}`)
    .join(",");
  const parts = ['{"reporting_structure":['];
  for (let s = 0; s < structures; s++) {
    parts.push(
      `${
        s ? "," : ""
      }{"reporting_plans":[{"plan_name":"P${s}","plan_id":"${s}"}],"in_network_files":[${refs}]}\n`,
    );
  }
  parts.push("]}");
  return parts.join("");
}

/** Rows per index in the row tables. */
function rowsPerIndex(db: string) {
  return query(
    db,
    `select index_id::int as id,
       (select count(*) from raw.tic_plan_files l where l.index_id = i.index_id)::int as links,
       (select count(*) from raw.tic_plans p where p.index_id = i.index_id)::int as plans,
       (select count(*) from raw.tic_files f where f.index_id = i.index_id)::int as files,
       status, rows_removed
     from raw.tic_indexes i order by index_id`,
  );
}

Deno.test("the rows of a duplicate index go in bounded memory, and a removal that fails does not block the next index", async () => {
  await using p = await tempProject();
  // 4 million links: deleting them in one statement needs more than a
  // 32 MB DuckDB has (the trap; checked below), as 9 million did at 64 MB.
  const dense = await p.write("dense.json", denseIndex(8_000, 500));
  const small = await p.write("small.json", denseIndex(3, 2));
  const other = await p.write("other.json", denseIndex(4, 2));
  const first = await landTic(p.config, dense, { db: p.db });
  assert.deepEqual([first.status, first.links], ["complete", 4_000_000]);

  const probe = await openWarehouse(p.db, { memoryLimit: "32MB", threads: 1 });
  await assert.rejects(
    probe.exec(`DELETE FROM raw.tic_plan_files WHERE index_id = ${first.indexId}`),
    /Out of Memory/,
    "one DELETE of the whole index does not fit in 32 MB",
  );
  probe.close();

  const again = await landTic(p.config, dense, { db: p.db, memoryLimit: "32MB" });
  assert.deepEqual([again.status, again.duplicateOf, again.warnings], [
    "duplicate",
    first.indexId,
    [],
  ]);
  assert.deepEqual(await rowsPerIndex(p.db), [
    {
      id: first.indexId,
      links: 4_000_000,
      plans: 8_000,
      files: 500,
      status: "complete",
      rows_removed: null,
    },
    { id: again.indexId, links: 0, plans: 0, files: 0, status: "duplicate", rows_removed: true },
  ]);

  // An index whose rows cannot be removed in one go (every link in one
  // structure, so no range is smaller than all of them) under 32 MB: the
  // removal fails, is reported, and the next index lands all the same.
  const wh = await openWarehouse(p.db);
  await wh.exec(
    `UPDATE raw.tic_plan_files SET structure_id = 0 WHERE index_id = ${first.indexId};
     UPDATE raw.tic_indexes SET status = 'failed', error = 'planted', rows_removed = false WHERE index_id = ${first.indexId}`,
  );
  wh.close();
  const blocked = await landTic(p.config, small, { db: p.db, memoryLimit: "32MB" });
  assert.equal(blocked.status, "complete", blocked.error ?? "");
  assert.deepEqual(blocked.cleaned, []);
  assert.equal(blocked.warnings.length, 1);
  assert.match(
    blocked.warnings[0]!,
    new RegExp(
      `^Cannot remove the rows of failed index ${first.indexId} yet: .*Out of Memory.*\\(models read complete indexes only, so they are ignored; the next \`wharf tic\` tries again\\)$`,
      "s",
    ),
  );
  // With DuckDB's usual 64 MB, the next run finishes the removal.
  const next = await landTic(p.config, other, { db: p.db });
  assert.deepEqual([next.status, next.warnings, next.cleaned], ["complete", [], [
    `the rows of failed index ${first.indexId}, which an earlier run did not finish removing, are removed (4008500 more)`,
  ]]);
  assert.deepEqual(await rowsPerIndex(p.db), [
    { id: first.indexId, links: 0, plans: 0, files: 0, status: "failed", rows_removed: true },
    { id: again.indexId, links: 0, plans: 0, files: 0, status: "duplicate", rows_removed: true },
    { id: blocked.indexId, links: 6, plans: 3, files: 2, status: "complete", rows_removed: null },
    { id: next.indexId, links: 8, plans: 4, files: 2, status: "complete", rows_removed: null },
  ]);
});
