import assert from "node:assert/strict";
import { join } from "node:path";
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
