import assert from "node:assert/strict";
import { join } from "node:path";
import { ContentConflictError } from "../../src/engine/errors.ts";
import { land } from "../../src/land/land.ts";
import { runCli } from "../helpers.ts";
import { landingProject, query } from "./helpers.ts";

const A = "id\tdescription\n1\tVersion A\n";
const B = "id\tdescription\n1\tVersion B\n";

Deno.test("delivery fields given beside the name are part of its identity: A, B, then A again under one name ends at A", async () => {
  await using p = await landingProject();
  const file = join(p.root, "export.txt");
  const deliver = async (text: string, fields: Record<string, string>) => {
    await Deno.writeTextFile(file, text);
    const { outcomes } = await land(p.config, [file], { db: p.db, source: "procedures", fields });
    return outcomes.map((o) => [o.status, o.batchId]);
  };
  const abc = (at: string) => ({ hospital: "HospitalABC", delivered_at: at });
  assert.deepEqual(await deliver(A, abc("20240101_000000")), [["landed", 1]]);
  assert.deepEqual(await deliver(B, abc("20240102_000000")), [["landed", 2]]);
  assert.deepEqual(await deliver(A, abc("20240103_000000")), [["landed", 3]]);
  // The true duplicate: the same name, the same fields and the same bytes.
  assert.deepEqual(await deliver(A, abc("20240103_000000")), [["skipped", 3]]);
  // Field names are matched as the pattern's groups are: in any case.
  assert.deepEqual(
    await deliver(A, { HOSPITAL: "HospitalABC", delivered_at: "20240103_000000" }),
    [["skipped", 3]],
  );
  assert.deepEqual(
    await query(
      p.db,
      "select description, _hospital, strftime(timezone('UTC', _delivered_at), '%Y-%m-%d') as d from raw.procedures order by _delivered_at desc limit 1",
    ),
    [{ description: "Version A", _hospital: "HospitalABC", d: "2024-01-03" }],
  );
  assert.deepEqual(
    await query(
      p.db,
      "select batch_id::int as b, groups->>'delivered_at' as d, note from wharf.files order by batch_id",
    ),
    [
      { b: 1, d: "20240101_000000", note: null },
      { b: 2, d: "20240102_000000", note: null },
      {
        b: 3,
        d: "20240103_000000",
        note: `same content as ${file} (batch 1, delivered_at=20240101_000000)`,
      },
    ],
  );
});

Deno.test("the same bytes under the same name for another hospital land for both; as another source they are still refused", async () => {
  await using p = await landingProject();
  const file = await p.write("export.txt", A);
  const as = (hospital: string) =>
    land(p.config, [file], {
      db: p.db,
      source: "procedures",
      fields: { hospital, delivered_at: "20240101_000000" },
    });
  assert.deepEqual((await as("HospA")).outcomes.map((o) => [o.status, o.rows]), [["landed", 1]]);
  const b = (await as("HospB")).outcomes;
  assert.deepEqual(b.map((o) => [o.status, o.rows]), [["landed", 1]]);
  assert.equal(b[0]!.message, `same content as ${file} (batch 1, hospital=HospA)`);
  assert.deepEqual((await as("HospB")).outcomes.map((o) => o.status), ["skipped"]);
  assert.deepEqual(
    await query(p.db, "select _hospital, description from raw.procedures order by _batch_id"),
    [{ _hospital: "HospA", description: "Version A" }, {
      _hospital: "HospB",
      description: "Version A",
    }],
  );
  // Named fields do not make misrouted content right.
  const misrouted = await land(p.config, [file], {
    db: p.db,
    source: "visits",
    fields: { hospital: "HospC", delivered_at: "20240101_000000" },
  });
  assert.equal(misrouted.outcomes[0]!.status, "failed");
  assert.ok(misrouted.outcomes[0]!.error instanceof ContentConflictError);
  assert.match(misrouted.outcomes[0]!.message!, /already landed as source "procedures"/);
});

Deno.test("a file whose name carries its fields is the same delivery with or without --field agreeing with it", async () => {
  await using p = await landingProject();
  const file = await p.write("HospA_Procedure_20240101_000000.txt", A);
  assert.deepEqual((await land(p.config, [file], { db: p.db })).outcomes.map((o) => o.status), [
    "landed",
  ]);
  const again = await land(p.config, [file], {
    db: p.db,
    source: "procedures",
    fields: { hospital: "HospA" },
  });
  assert.deepEqual(again.outcomes.map((o) => [o.status, o.batchId]), [["skipped", 1]]);
});

Deno.test("wharf land --field: A, B, then A again lands three deliveries; another hospital's same file lands; the true duplicate is skipped", async () => {
  await using p = await landingProject();
  await p.write(
    "wharf.config.ts",
    `export default {
  sources: [{ name: "procedures", pattern: /^(?<hospital>\\w+)_Procedure_(?<delivered_at>\\d{8}_\\d{6})\\.txt$/ }],
};
`,
  );
  const file = join(p.root, "export.txt");
  const run = async (text: string, hospital: string, at: string) => {
    await Deno.writeTextFile(file, text);
    const r = await runCli([
      "--project",
      p.root,
      "--db",
      p.db,
      "land",
      "--source",
      "procedures",
      "--field",
      `hospital=${hospital}`,
      "--field",
      `delivered_at=${at}`,
      file,
    ]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.split("\n")[0]!;
  };
  assert.match(await run(A, "HospitalABC", "20240101_000000"), /^landed {2}procedures /);
  assert.match(await run(B, "HospitalABC", "20240102_000000"), /^landed {2}procedures /);
  assert.match(
    await run(A, "HospitalABC", "20240103_000000"),
    /^landed {2}procedures .*batch 3, .*\(same content as .*export\.txt \(batch 1, delivered_at=20240101_000000\)\)$/,
  );
  assert.match(await run(A, "HospitalOther", "20240103_000000"), /^landed {2}procedures /);
  assert.match(
    await run(A, "HospitalOther", "20240103_000000"),
    /^skipped procedures .*export\.txt: already landed in batch 4 at .* UTC from .*export\.txt \(1 row; same source, name, content and delivery fields\): nothing was loaded again$/,
  );
  assert.deepEqual(
    await query(
      p.db,
      "select _hospital, arg_max(description, _delivered_at) as description from raw.procedures group by all order by all",
    ),
    [
      { _hospital: "HospitalABC", description: "Version A" },
      { _hospital: "HospitalOther", description: "Version A" },
    ],
  );
});
