import assert from "node:assert/strict";
import { join } from "node:path";
import { openWarehouse } from "../../src/db/warehouse.ts";
import { cliCommand } from "../helpers.ts";
import { landingProject } from "./helpers.ts";

const CONFIG = `export default {
  sources: [
    { name: "visits", pattern: /^(?<hospital>\\w+)_Visit_(?<delivered_at>\\d{8}_\\d{6})\\.txt$/ },
    { name: "members", pattern: /^members-(?<client>client[A-Z])-(?<period>\\d{6})\\.csv$/ },
  ],
};
`;

async function landedFiles(db: string): Promise<number> {
  try {
    await Deno.stat(db);
  } catch {
    return 0;
  }
  const wh = await openWarehouse(db);
  try {
    const rows = await wh.query(
      "SELECT count(*)::INT AS n FROM information_schema.tables WHERE table_schema = 'wharf' AND table_name = 'files'",
    );
    if (rows[0]!.n === 0) return 0;
    return Number(
      (await wh.query("SELECT count(*)::INT AS n FROM wharf.files WHERE status = 'landed'"))[0]!.n,
    );
  } finally {
    wh.close();
  }
}

function landProcess(root: string, db: string): Deno.ChildProcess {
  return cliCommand(["--project", root, "--db", db, "land", join(root, "in")], {
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test("killing `land` at any moment and running it again gives exactly the result of one clean run", async () => {
  await using p = await landingProject();
  await p.write("wharf.config.ts", CONFIG);
  await p.write("in/members-clientA-202301.csv", "id,name\n1,Ann\n2,Bo\n");
  const big = ["id\tamount\tnote"];
  for (let i = 0; i < 1_000_000; i++) big.push(`${i}\t${(i * 7919) % 100000}\tnote ${i % 97}`);
  await p.write("in/HospitalABC_Visit_20240101_000000.txt", big.join("\n") + "\n");
  await p.write("in/HospitalABC_Visit_20240102_000000.txt", "id\tamount\tnote\n1000000\t5\tlate\n");
  await p.write("in/members-clientA-202302.csv", "id,name\n3,Cy\n");

  const clean = join(p.root, "clean.duckdb");
  assert.equal((await landProcess(p.root, clean).status).code, 0);

  const crashed = join(p.root, "crashed.duckdb");
  const landedAfterKill: number[] = [];
  for (const delay of [150, 400, 700, 1000, 1400]) {
    const child = landProcess(p.root, crashed);
    await new Promise((r) => setTimeout(r, delay));
    try {
      child.kill("SIGKILL");
    } catch { /* it finished first */ }
    await child.status;
    landedAfterKill.push(await landedFiles(crashed));
  }
  // The kills did interrupt work in progress, not just start or end it.
  assert.ok(landedAfterKill.some((n) => n < 4), `landed after each kill: ${landedAfterKill}`);
  assert.equal((await landProcess(p.root, crashed).status).code, 0);

  const wh = await openWarehouse(":memory:");
  try {
    await wh.exec(`ATTACH '${clean}' AS a (READ_ONLY); ATTACH '${crashed}' AS b (READ_ONLY)`);
    for (const table of ["visits", "members"]) {
      const cols = (await wh.query(
        `SELECT column_name FROM information_schema.columns WHERE table_catalog = 'a' AND table_schema = 'raw' AND table_name = '${table}' AND column_name NOT IN ('_batch_id', '_landed_at') ORDER BY ordinal_position`,
      )).map((r) => `"${r.column_name}"`).join(", ");
      const diff = await wh.query(
        `SELECT (SELECT count(*) FROM (SELECT ${cols} FROM a.raw.${table} EXCEPT ALL SELECT ${cols} FROM b.raw.${table}))::INT AS missing,
                (SELECT count(*) FROM (SELECT ${cols} FROM b.raw.${table} EXCEPT ALL SELECT ${cols} FROM a.raw.${table}))::INT AS extra,
                (SELECT count(*) FROM b.raw.${table})::INT AS n`,
      );
      assert.deepEqual(
        diff,
        [{ missing: 0, extra: 0, n: table === "visits" ? 1_000_001 : 3 }],
        table,
      );
    }
    const files = await wh.query(
      "SELECT file_name, rows::INT AS rows FROM b.wharf.files WHERE status = 'landed' ORDER BY file_name",
    );
    assert.deepEqual(
      files,
      await wh.query(
        "SELECT file_name, rows::INT AS rows FROM a.wharf.files WHERE status = 'landed' ORDER BY file_name",
      ),
    );
    assert.equal(files.length, 4);
    assert.deepEqual(
      await wh.query("SELECT count(*)::INT AS n FROM b.wharf.files WHERE status <> 'landed'"),
      [{ n: 0 }],
    );
  } finally {
    wh.close();
  }
});
