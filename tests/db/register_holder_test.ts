import assert from "node:assert/strict";
import { join } from "node:path";
import {
  describeHolder,
  findHolder,
  type HolderRecord,
  registerHolder,
} from "../../src/engine/db/register_holder.ts";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { tempProject } from "../helpers.ts";

async function holders(root: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(join(root, ".wharf", "holders"))) names.push(e.name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return names.sort();
}

Deno.test("a warehouse opened with a holder is recorded while open, and the record goes on close", async () => {
  await using p = await tempProject();
  const wh = await openWarehouse(p.db, { holder: "wharf build" });
  const record = await findHolder(p.db, Deno.pid, Deno.execPath());
  assert.equal(record?.command, "wharf build");
  assert.equal(record?.readOnly, false);
  assert.ok(Date.now() - Date.parse(record!.since) < 60_000);
  assert.deepEqual(await holders(p.root), [`warehouse.duckdb.${Deno.pid}.json`]);
  wh.close();
  assert.deepEqual(await holders(p.root), []);
  // Without a holder, nothing is recorded.
  (await openWarehouse(p.db)).close();
  assert.deepEqual(await holders(p.root), []);
});

Deno.test("findHolder believes a record only for the PID and program DuckDB names", async () => {
  await using p = await tempProject();
  const release = registerHolder(p.db, "wharf land", { readOnly: false });
  try {
    assert.ok(await findHolder(p.db, Deno.pid, Deno.execPath()));
    // The same PID running another program: the record is a leftover of a dead process.
    assert.equal(await findHolder(p.db, Deno.pid, "/usr/bin/duckdb"), undefined);
    assert.equal(await findHolder(p.db, Deno.pid + 1, Deno.execPath()), undefined);
  } finally {
    release();
  }
});

Deno.test("a writer removes records left by processes that died holding the warehouse", async () => {
  await using p = await tempProject();
  const stale: HolderRecord = {
    command: "wharf land",
    pid: 999_999_999,
    program: Deno.execPath(),
    since: "2020-01-01T00:00:00.000Z",
    readOnly: false,
  };
  await p.write(".wharf/holders/warehouse.duckdb.999999999.json", JSON.stringify(stale));
  // A warehouse whose name extends this one's keeps its records.
  await p.write(".wharf/holders/warehouse.duckdb.bak.42.json", JSON.stringify(stale));
  const release = registerHolder(p.db, "wharf build", { readOnly: false });
  assert.deepEqual(
    await holders(p.root),
    ["warehouse.duckdb.bak.42.json", `warehouse.duckdb.${Deno.pid}.json`].sort(),
  );
  release();
});

Deno.test("describeHolder says which command, PID, since when and for how long", () => {
  const since = new Date(2024, 4, 2, 14, 3, 7);
  const record: HolderRecord = {
    command: "wharf build",
    pid: 4242,
    program: "/usr/bin/deno",
    since: since.toISOString(),
    readOnly: false,
  };
  assert.equal(
    describeHolder(record, new Date(since.getTime() + 125_000)),
    "`wharf build` (PID 4242) has been writing to it since 14:03:07 (2 min 5 s)",
  );
  assert.equal(
    describeHolder(
      { ...record, command: "wharf sql", readOnly: true },
      new Date(since.getTime() + 2 * 86_400_000 + 3_600_000),
    ),
    "`wharf sql` (PID 4242) has had it open (read-only) since 2024-05-02 14:03:07 (49 h 0 min)",
  );
});
