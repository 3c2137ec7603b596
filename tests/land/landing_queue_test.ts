import assert from "node:assert/strict";
import { join } from "node:path";
import { openWarehouse } from "../../src/engine/db/warehouse.ts";
import { WarehouseError } from "../../src/engine/errors.ts";
import { LandingQueue, QueueClosedError } from "../../src/land/landing_queue.ts";
import { REPO, tempProject } from "../helpers.ts";
import { query } from "./helpers.ts";

/** Holds `db` from another process until released (recorded as `command`, when given). */
async function holdWarehouse(db: string, command?: string): Promise<{ release(): Promise<void> }> {
  const holder = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      join(REPO, "tests", "hold_warehouse.ts"),
      db,
      ...(command ? [command] : []),
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  await holder.stdout.getReader().read();
  return {
    async release() {
      await holder.stdin.close();
      await holder.status;
    },
  };
}

/** Tries to open `db` for writing from another process, without waiting. */
async function otherProcessCanWrite(db: string): Promise<boolean> {
  const out = await new Deno.Command(Deno.execPath(), {
    cwd: REPO,
    args: [
      "eval",
      `import { openWarehouse } from "./src/engine/db/warehouse.ts";
       try { (await openWarehouse(${
        JSON.stringify(db)
      }, { lockWaitMs: 0 })).close(); console.log("opened"); }
       catch { console.log("refused"); }`,
    ],
  }).output();
  return new TextDecoder().decode(out.stdout).trim() === "opened";
}

Deno.test("landings of one process run one at a time, in order; exclusive() runs between them with the warehouse to itself", async () => {
  await using p = await tempProject();
  const wh = await openWarehouse(p.db);
  await wh.exec("create table t (job int, step int)");
  wh.close();
  const queue = new LandingQueue();
  const submit = (i: number) =>
    queue.submit(`file ${i}`, async () => {
      // Each job opens its own instance, as landUpload does; overlapping ones would lose rows.
      const w = await openWarehouse(p.db);
      try {
        await w.exec(`insert into t values (${i}, 1)`);
        await new Promise((r) => setTimeout(r, 10));
        await w.exec(`insert into t values (${i}, 2)`);
      } finally {
        w.close();
      }
      return [];
    });
  const jobs = [0, 1, 2].map(submit);
  let states: string[] = [];
  const held = queue.exclusive(async () => {
    const ro = await openWarehouse(p.db, { readOnly: true });
    try {
      states = jobs.map((j) => j.state);
      // The read lock really holds: no upload of this process dropped it.
      return await otherProcessCanWrite(p.db);
    } finally {
      ro.close();
    }
  });
  jobs.push(...[3, 4, 5].map(submit));
  assert.equal(await held, false);
  assert.deepEqual(states, ["done", "done", "done", "queued", "queued", "queued"]);
  await Promise.all(jobs.map((j) => j.settled));
  assert.deepEqual(jobs.map((j) => j.state), Array(6).fill("done"));
  assert.deepEqual(
    (await query(p.db, "select job, step from t order by rowid")).map((r) => `${r.job}.${r.step}`),
    ["0.1", "0.2", "1.1", "1.2", "2.1", "2.2", "3.1", "3.2", "4.1", "4.2", "5.1", "5.2"],
  );
  assert.equal(queue.get(jobs[3]!.id), jobs[3]);
  await queue.close();
});

Deno.test("a landing that finds the warehouse held by another process waits for it; close() refuses what is queued", async () => {
  await using p = await tempProject();
  (await openWarehouse(p.db)).close();
  const holder = await holdWarehouse(p.db);
  const waited: string[] = [];
  const queue = new LandingQueue({
    busyRetryMs: 60_000,
    onBusy: (job, message) => waited.push(`${job.label}: ${message}`),
  });
  const job = queue.submit("late.csv", async () => {
    const w = await openWarehouse(p.db, { lockWaitMs: 0 });
    w.close();
    return [];
  });
  const queued = queue.submit("queued.csv", () => Promise.resolve([]));
  while (!job.waiting) await new Promise((r) => setTimeout(r, 20));
  assert.equal(job.state, "landing");
  assert.match(waited[0]!, /^late\.csv: Cannot open warehouse .*in use by another process/);
  await holder.release();
  await job.settled;
  assert.equal(job.state, "done");
  await queued.settled;
  assert.equal(queued.state, "done");

  // Held for good: the wait ends with the busy error when the queue closes.
  const holder2 = await holdWarehouse(p.db);
  const stuck = queue.submit("stuck.csv", async () => {
    (await openWarehouse(p.db, { lockWaitMs: 0 })).close();
    return [];
  });
  const behind = queue.submit("behind.csv", () => Promise.resolve([]));
  while (!stuck.waiting) await new Promise((r) => setTimeout(r, 20));
  await queue.close();
  assert.equal(stuck.state, "failed");
  assert.ok(stuck.error instanceof WarehouseError);
  assert.equal(behind.state, "failed");
  assert.ok(behind.error instanceof QueueClosedError);
  assert.throws(() => queue.submit("after.csv", () => Promise.resolve([])), QueueClosedError);
  await holder2.release();
});

Deno.test("a landing also waits for a warehouse held by a wharf command, and says which", async () => {
  await using p = await tempProject();
  (await openWarehouse(p.db)).close();
  const holder = await holdWarehouse(p.db, "wharf build");
  const waited: string[] = [];
  const queue = new LandingQueue({
    busyRetryMs: 60_000,
    onBusy: (job, message) => waited.push(`${job.label}: ${message}`),
  });
  const job = queue.submit("late.csv", async () => {
    (await openWarehouse(p.db, { lockWaitMs: 0 })).close();
    return [];
  });
  while (!job.waiting) await new Promise((r) => setTimeout(r, 20));
  assert.match(
    waited[0]!,
    /^late\.csv: Cannot open warehouse .*`wharf build` \(PID \d+\) has been writing to it/,
  );
  await holder.release();
  await job.settled;
  assert.equal(job.state, "done");
  await queue.close();
});
