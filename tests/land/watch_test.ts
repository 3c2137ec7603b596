import assert from "node:assert/strict";
import { join } from "node:path";
import { land } from "../../src/land/land.ts";
import type { FileOutcome } from "../../src/land/land_file.ts";
import { filesOpenForWriting, watchAndLand } from "../../src/land/watch.ts";
import { landingProject, query } from "./helpers.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs watchAndLand on a fresh folder until disposed; outcomes are collected. */
async function watching(settleMs: number) {
  const p = await landingProject();
  const dir = join(p.root, "drop");
  await Deno.mkdir(dir);
  const outcomes: FileOutcome[] = [];
  const controller = new AbortController();
  const done = watchAndLand(p.config, [dir], {
    db: p.db,
    settleMs,
    signal: controller.signal,
    onFile: (o) => outcomes.push(o),
  });
  await sleep(300); // the watcher is set up
  return {
    p,
    dir,
    outcomes,
    async until(n: number) {
      for (let i = 0; i < 300 && outcomes.length < n; i++) await sleep(50);
      assert.equal(outcomes.length, n, JSON.stringify(outcomes));
    },
    async [Symbol.asyncDispose]() {
      controller.abort();
      await done;
      await p[Symbol.asyncDispose]();
    },
  };
}

Deno.test("land --watch: a writer that pauses mid-file with the file open does not get half a file landed", async () => {
  await using w = await watching(200);
  const path = join(w.dir, "members-clientA-202301.csv");
  const file = await Deno.open(path, { write: true, create: true });
  await file.write(new TextEncoder().encode("id,name\n1,Ann\n2,B"));
  assert.ok((await filesOpenForWriting())?.has(await Deno.realPath(path)));
  // Many settle intervals with nothing written: still open for writing, so it waits.
  await sleep(1500);
  assert.equal(w.outcomes.length, 0);
  await file.write(new TextEncoder().encode("o\n3,Cy\n"));
  file.close();
  await w.until(1);
  assert.deepEqual(
    [w.outcomes[0]!.status, w.outcomes[0]!.rows, w.outcomes[0]!.rejectedRows],
    ["landed", 3, 0],
  );
  assert.deepEqual(await query(w.p.db, "select name from raw.members order by id"), [
    { name: "Ann" },
    { name: "Bo" },
    { name: "Cy" },
  ]);
});

Deno.test("land --watch: a file renamed into the folder lands at once, without waiting for the settle interval", async () => {
  await using w = await watching(60_000);
  const part = join(w.dir, "members-clientB-202302.csv.part");
  await Deno.writeTextFile(part, "id,name\n7,Dee\n");
  await Deno.rename(part, join(w.dir, "members-clientB-202302.csv"));
  await w.until(1);
  assert.deepEqual([w.outcomes[0]!.status, w.outcomes[0]!.rows], ["landed", 1]);
  // The same file written in place waits for the (long) settle interval instead.
  await Deno.writeTextFile(join(w.dir, "members-clientB-202303.csv"), "id,name\n8,Eve\n");
  await sleep(1000);
  assert.equal(w.outcomes.length, 1);
});

Deno.test("land --watch stopped while it starts (a SIGTERM right after it said Watching) ends, not watch for ever", async () => {
  await using p = await landingProject();
  const controller = new AbortController();
  const done = watchAndLand(p.config, [join(p.root, "drop")], {
    db: p.db,
    settleMs: 100,
    signal: controller.signal,
  });
  controller.abort(); // before its first await is over
  const ended = await Promise.race([done.then(() => "ended"), sleep(5000).then(() => "hung")]);
  assert.equal(ended, "ended");
});

Deno.test("land --watch records a misnamed file in wharf.files with the known sources, and leaves the warehouse in the watched folder alone", async () => {
  await using p = await landingProject();
  const dir = join(p.root, "drop");
  await Deno.mkdir(dir);
  const db = join(dir, "wh.duckdb");
  // The warehouse lives in the watched folder and is there from the start.
  await Deno.writeTextFile(join(dir, "HospitalABC_Procedure_20240101_000000.txt"), "id\n1\n");
  await land(p.config, [join(dir, "HospitalABC_Procedure_20240101_000000.txt")], { db });
  const outcomes: FileOutcome[] = [];
  const ignored: string[] = [];
  const controller = new AbortController();
  const done = watchAndLand(p.config, [dir], {
    db,
    settleMs: 100,
    signal: controller.signal,
    onFile: (o) => outcomes.push(o),
    onIgnored: (i) => ignored.push(`${i.file.split("/").pop()}: ${i.reason}`),
  });
  try {
    await sleep(500);
    await Deno.writeTextFile(join(dir, "bogus_name.txt"), "id\n2\n");
    for (let i = 0; i < 300 && outcomes.length < 2; i++) await sleep(50);
    // The landed file is skipped at start; the misnamed one fails with the sources listed.
    assert.deepEqual(outcomes.map((o) => [o.file.split("/").pop(), o.status]), [
      ["HospitalABC_Procedure_20240101_000000.txt", "skipped"],
      ["bogus_name.txt", "failed"],
    ]);
    const failed = outcomes[1]!;
    assert.match(
      failed.message!,
      /^File "bogus_name\.txt" matches no source: rename it to fit a pattern, or pass --source NAME\. Known sources:\n {2}procedures: .*\n {2}visits: /,
    );
    // A landing writes the warehouse (and its log) in the folder: neither is taken for a delivery.
    await Deno.writeTextFile(join(dir, "HospitalABC_Visit_20240102_000000.txt"), "id\n3\n");
    for (let i = 0; i < 300 && outcomes.length < 3; i++) await sleep(50);
    await sleep(500);
    assert.deepEqual(outcomes.slice(2).map((o) => [o.source, o.status]), [["visits", "landed"]]);
  } finally {
    controller.abort();
    await done;
  }
  // Noted once each: the warehouse, and its log when a landing's event showed it.
  assert.deepEqual(ignored.filter((i) => !i.startsWith("wh.duckdb.wal:")), [
    "wh.duckdb: the warehouse this run lands into, not a delivery",
  ]);
  assert.ok(
    ignored.slice(1).every((i) =>
      i === "wh.duckdb.wal: the warehouse's write-ahead log, not a delivery"
    ),
    ignored.join("\n"),
  );
  assert.deepEqual(
    await query(
      db,
      "select source, file_name, status, error like 'File \"bogus_name.txt\" matches no source%Known sources:\n  procedures: %' as listed, sha256 is not null as hashed from wharf.files where status = 'failed'",
    ),
    [{ source: "", file_name: "bogus_name.txt", status: "failed", listed: true, hashed: true }],
  );
  // Renamed to fit, it lands, and its failed row gives way to the landed one.
  await Deno.rename(
    join(dir, "bogus_name.txt"),
    join(dir, "HospitalABC_Visit_20240103_000000.txt"),
  );
  const summary = await land(p.config, [dir], { db });
  assert.deepEqual(summary.ignored.map((i) => i.file.split("/").pop()), ["wh.duckdb"]);
  assert.deepEqual(
    await query(db, "select file_name, status from wharf.files order by batch_id"),
    [
      { file_name: "HospitalABC_Procedure_20240101_000000.txt", status: "landed" },
      { file_name: "HospitalABC_Visit_20240102_000000.txt", status: "landed" },
      { file_name: "HospitalABC_Visit_20240103_000000.txt", status: "landed" },
    ],
  );
});
