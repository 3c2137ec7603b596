/**
 * Several things at once on one warehouse: parallel uploads to a real
 * `wharf serve`, two `wharf land` processes, a build while the server
 * answers. Nothing may be lost or landed twice, and the server must keep
 * answering.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { cliCommand, tempProject } from "../helpers.ts";
import { LANDING_VOLATILE, warehouseDigest } from "./digest.ts";
import { generateDeliveries, healthcareProject, landAndBuild } from "./healthcare.ts";
import { rows } from "./land_harness.ts";
import { defineCase } from "./registry.ts";
import {
  benefits,
  BENEFITS_HEADER,
  benefitsProject,
  serveArgs,
  startServe,
  TOKEN,
  uploadLeftovers,
} from "./serve_harness.ts";

defineCase({
  area: "concurrency",
  name: "16 parallel uploads to wharf serve land as 16 batches with every row",
  issue: "#14.1",
  async run() {
    await using p = await benefitsProject();
    await using server = await startServe(serveArgs(p.root, p.db), {
      env: { WHARF_API_TOKEN: TOKEN },
    });
    const answers = await Promise.all(
      Array.from(
        { length: 16 },
        (_, i) =>
          fetch(
            `${server.base}/api/ingest/benefits?filename=benefits-par${i}-202403${
              String(i + 1).padStart(2, "0")
            }_000000.csv`,
            {
              method: "POST",
              body: benefits(`P${i}_`, 500),
              headers: { authorization: `Bearer ${TOKEN}` },
            },
          ).then(
            async (r) => ({ status: r.status, body: await r.json() }),
          ),
      ),
    );
    const stopped = await server.stop();
    assert.deepEqual(answers.map((a) => a.status), Array(16).fill(200), JSON.stringify(answers));
    assert.deepEqual(
      answers.map((a) => [a.body.status, a.body.rows]),
      Array(16).fill(["landed", 500]),
    );
    assert.equal(new Set(answers.map((a) => a.body.batch_id)).size, 16);
    assert.equal(new Set(answers.map((a) => a.body.job_id)).size, 16);
    assert.equal(stopped.code, 0, server.stderr());
    assert.deepEqual(
      await rows(
        p.db,
        "SELECT count(*)::INT AS n, count(DISTINCT _batch_id)::INT AS batches, count(DISTINCT member_id)::INT AS members FROM raw.benefits WHERE member_id LIKE 'P%'",
      ),
      [{ n: 16 * 500, batches: 16, members: 16 * 500 }],
    );
    assert.deepEqual(await rows(p.db, "SELECT count(*)::INT AS n FROM raw.benefits"), [{
      n: 10 + 16 * 500,
    }]);
    assert.deepEqual(
      await rows(
        p.db,
        "SELECT count(*)::INT AS n FROM wharf.files WHERE status = 'landed' AND path LIKE 'upload:benefits-par%'",
      ),
      [{ n: 16 }],
    );
    assert.deepEqual(await uploadLeftovers(p.root), []);
  },
});

/** `wharf land` as a process, printing its lines. */
const landCommand = (root: string, db: string, input: string) =>
  cliCommand(["--project", root, "--db", db, "land", join(root, input)]);

/** What a `wharf land` process printed and how it exited. */
interface LandRun {
  input: "a" | "b";
  code: number;
  stdout: string;
  stderr: string;
}

async function finished(input: LandRun["input"], child: Deno.ChildProcess): Promise<LandRun> {
  const out = await child.output();
  const dec = new TextDecoder();
  return { input, code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

/** Options of {@linkcode twoLandsCase}. */
interface TwoLandsOptions {
  slow: boolean;
  /** Files of `a/`, and lines in each (`b/` has 4 files of 100 lines). */
  files: number;
  lines: number;
  /**
   * Start `b` once `a` has landed its first file (and so holds the
   * warehouse): with seconds of `a` left, `b` must say it is busy. Else
   * both start at once, and which one waits is up to them.
   */
  staggered: boolean;
}

/**
 * Two `wharf land` processes on one warehouse, `a/` (large files) and `b/`
 * (small ones). Each must either land every file of its input, or land
 * nothing and say the warehouse is busy, naming the other; a rerun of each
 * then lands what was left, and the warehouse equals one clean landing of
 * both inputs.
 */
function twoLandsCase(name: string, o: TwoLandsOptions): void {
  defineCase({
    area: "concurrency",
    name,
    slow: o.slow,
    async run() {
      await using p = await tempProject({ "models/.keep": "" });
      await p.write(
        "wharf.config.ts",
        'export default { sources: [{ name: "visits", pattern: /^visits_.*\\.csv$/ }, { name: "members", pattern: /^members_.*\\.csv$/ }] };\n',
      );
      const lines = (n: number, row: (i: number) => string) =>
        Array.from({ length: n }, (_, i) => row(i)).join("\n") + "\n";
      for (let f = 0; f < o.files; f++) {
        await p.write(
          `a/visits_${f}.csv`,
          "id,amount\n" + lines(o.lines, (i) => `${f}-${i},${(i * 7919) % 100_000}`),
        );
      }
      for (let f = 0; f < 4; f++) {
        await p.write(`b/members_${f}.csv`, "id,name\n" + lines(100, (i) => `${f}-${i},m${i}`));
      }
      const count = { a: o.files, b: 4 };
      const clean = join(p.root, "clean.duckdb");
      for (const input of ["a", "b"]) {
        assert.equal((await landCommand(p.root, clean, input).output()).code, 0);
      }
      let runs: LandRun[];
      let aHeldLonger = false;
      if (o.staggered) {
        const a = landCommand(p.root, p.db, "a").spawn();
        const [watch, rest] = a.stdout.tee();
        const reader = watch.pipeThrough(new TextDecoderStream()).getReader();
        for (let text = ""; !/^landed /m.test(text);) {
          const { value, done } = await reader.read();
          if (done) break;
          text += value;
        }
        reader.cancel();
        let aEnded = Infinity;
        a.status.then(() => (aEnded = performance.now()));
        const bStarted = performance.now();
        const b = await finished("b", landCommand(p.root, p.db, "b").spawn());
        // A writer waits up to 3 s for the lock: `b` must say busy only if `a` held it longer.
        aHeldLonger = aEnded > bStarted + 3_500;
        const status = await a.status;
        const dec = new TextDecoder();
        runs = [{
          input: "a",
          code: status.code,
          stdout: dec.decode(await new Response(rest).arrayBuffer()),
          stderr: dec.decode(await new Response(a.stderr).arrayBuffer()),
        }, b];
      } else {
        runs = await Promise.all(
          (["a", "b"] as const).map((input) =>
            finished(input, landCommand(p.root, p.db, input).spawn())
          ),
        );
      }
      const busy =
        /^error: Cannot open warehouse ".*\/warehouse\.duckdb": `wharf land` \(PID \d+\) has been writing to it since [\d:]+ \(\d+ s\): wait for it to finish, or pass --db to use another file\n$/;
      const outcomes = runs.map((r) => {
        if (r.code === 0) {
          assert.equal(r.stdout.match(/^landed /gm)?.length, count[r.input], r.stdout);
          return "landed";
        }
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, busy);
        assert.doesNotMatch(r.stdout, /^landed /m);
        return "busy";
      });
      if (o.staggered && aHeldLonger) assert.deepEqual(outcomes, ["landed", "busy"]);
      else if (o.staggered) assert.equal(outcomes[0], "landed", "a started first");
      else assert.ok(outcomes.includes("landed"), `both busy: ${runs.map((r) => r.stderr)}`);
      // The rerun lands what the busy one did not, and nothing twice.
      for (const r of runs) {
        const again = await landCommand(p.root, p.db, r.input).output();
        const stdout = new TextDecoder().decode(again.stdout);
        assert.equal(again.code, 0, new TextDecoder().decode(again.stderr));
        assert.equal(stdout.match(/^landed /gm)?.length ?? 0, r.code === 0 ? 0 : count[r.input]);
      }
      const digest = (db: string) =>
        warehouseDigest(db, {
          schemas: ["raw", "wharf"],
          exclude: LANDING_VOLATILE,
        });
      assert.deepEqual(await digest(p.db), await digest(clean));
      return `outcomes: a ${outcomes[0]}, b ${outcomes[1]}${
        o.staggered && !aHeldLonger ? " (a ended within b's 3 s wait for the lock)" : ""
      }`;
    },
  });
}

twoLandsCase(
  "two wharf land at once on one warehouse: one lands, the other waits or says it is busy, a rerun lands the rest; nothing lost or doubled",
  { slow: false, files: 3, lines: 200_000, staggered: false },
);

twoLandsCase(
  "wharf land while another lands for seconds: it says the warehouse is busy and lands nothing, its rerun lands all; nothing lost or doubled",
  { slow: true, files: 10, lines: 1_000_000, staggered: true },
);

defineCase({
  area: "concurrency",
  name:
    "a build while wharf serve answers: every request answered throughout, then the new data served",
  async run() {
    await using p = await healthcareProject();
    await generateDeliveries(p, 20);
    await landAndBuild(p, p.db);
    const [row] = await rows(p.db, "SELECT member_id FROM marts.member_benefits LIMIT 1");
    const known = String(row!.member_id);
    await using server = await startServe(serveArgs(p.root, p.db));
    // A new delivery, landed while the server runs; the build that follows puts it in the mart.
    const file = await p.write(
      "later/benefits-payer_z-20240301_000000.csv",
      `${BENEFITS_HEADER}LATE1,777700,1,1,2024-03-01T00:00:00Z\n`,
    );
    const landed = await cliCommand(["--project", p.root, "--db", p.db, "land", file]).output();
    assert.equal(landed.code, 0, new TextDecoder().decode(landed.stderr));
    const answers: { status: number; at: number }[] = [];
    let stop = false;
    const load = (async () => {
      while (!stop) {
        for (
          const path of [
            "/health",
            `/api/coalescence/default?member_id=${known}`,
            "/api/models/marts/members/rows?limit=5",
            "/api/models",
          ]
        ) {
          const res = await fetch(`${server.base}${path}`);
          await res.body?.cancel();
          answers.push({ status: res.status, at: performance.now() });
        }
      }
    })();
    const started = performance.now();
    const build = await cliCommand(["--project", p.root, "--db", p.db, "build"]).output();
    const ended = performance.now();
    assert.equal(build.code, 0, new TextDecoder().decode(build.stderr));
    let late: unknown;
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${server.base}/api/coalescence/max?member_id=LATE1`);
      late = res.status === 200 ? await res.json() : (await res.body?.cancel(), res.status);
      if (res.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    stop = true;
    await load;
    assert.deepEqual(late, { oop_max: 777700, remaining_oop_max: 1, copay: 1 });
    const during = answers.filter((a) => a.at > started && a.at < ended);
    assert.ok(during.length >= 20, `${during.length} requests answered during the build`);
    assert.deepEqual(answers.filter((a) => a.status !== 200), []);
    const stopped = await server.stop();
    assert.equal(stopped.code, 0, server.stderr());
    return `${answers.length} requests, ${during.length} during a ${
      Math.round(ended - started)
    } ms build, all 200`;
  },
});
