/**
 * `deno task bench reliability [filter]`: the whole reliability suite —
 * every case of `tests/reliability/` (the fast ones `deno task test` runs
 * and the slow ones: kill -9 trials with many kills, millions of rows, big
 * bodies) or those whose title contains `filter` — one after another, then
 * a table per area (cases, slow ones, passed, failed, seconds) and a
 * summary line. Exits 1 when a case failed. The seed is printed first;
 * `RELIABILITY_SEED` replays it and `RELIABILITY_KILL_TRIALS` sets the
 * trials of the slow kill cases.
 *
 * @module
 */
import { allCases, caseContext, caseTitle } from "../tests/reliability/cases.ts";
import { replayHint, SUITE_SEED } from "../tests/reliability/seed.ts";

export default async function main(): Promise<void> {
  const filter = Deno.args[1];
  const cases = allCases().filter((c) => !filter || caseTitle(c).includes(filter));
  console.log(`seed ${SUITE_SEED} (RELIABILITY_SEED=${SUITE_SEED} replays the random choices)\n`);
  const results: { title: string; slow: boolean; ms: number; error?: string; hint?: string }[] = [];
  for (const c of cases) {
    const title = caseTitle(c);
    const t0 = performance.now();
    let error: string | undefined;
    let note: string | void = undefined;
    try {
      note = await c.run(caseContext(c));
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const ms = performance.now() - t0;
    results.push({
      title,
      slow: c.slow ?? false,
      ms,
      error,
      hint: c.seeded ? replayHint(title) : undefined,
    });
    console.log(`${error ? "FAILED" : "ok    "} ${(ms / 1000).toFixed(1).padStart(6)} s  ${title}`);
    if (note) console.log(`         ${note}`);
    if (error) console.log(`         ${error.split("\n").slice(0, 14).join("\n         ")}`);
  }
  const failed = results.filter((r) => r.error);
  console.log("");
  console.log("| area        | cases | slow | passed | failed | seconds |");
  console.log("| ----------- | ----: | ---: | -----: | -----: | ------: |");
  const areas = [...new Set(cases.map((c) => c.area))];
  for (const area of areas) {
    const rs = results.filter((r) => r.title.startsWith(`${area}:`));
    const cell = (n: number, width: number) => String(n).padStart(width);
    console.log(
      `| ${area.padEnd(11)} | ${cell(rs.length, 5)} | ${
        cell(rs.filter((r) => r.slow).length, 4)
      } | ${cell(rs.filter((r) => !r.error).length, 6)} | ${
        cell(rs.filter((r) => r.error).length, 6)
      } | ${(rs.reduce((s, r) => s + r.ms, 0) / 1000).toFixed(0).padStart(7)} |`,
    );
  }
  console.log(
    `\ncases ${results.length}, passed ${
      results.length - failed.length
    }, failed ${failed.length} (seed ${SUITE_SEED})`,
  );
  for (const f of failed) {
    console.log(`  failed: ${f.title}`);
    if (f.hint) console.log(`          ${f.hint}`);
  }
  if (results.length === 0) {
    console.error(`no case matches "${filter}"`);
    Deno.exit(2);
  }
  if (failed.length) Deno.exit(1);
}
