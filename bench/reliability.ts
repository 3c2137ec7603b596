/**
 * `deno task bench reliability [filter]`: the whole reliability suite —
 * every case of `tests/reliability/` (the fast ones `deno task test` runs
 * and the slow ones: kill -9 trials, millions of rows), or those whose title
 * contains `filter` — one after another, then a table of cases with their
 * time and a summary line (cases, passed, failed). Exits 1 when a case
 * failed. `RELIABILITY_SEED` and `RELIABILITY_KILL_TRIALS` tune the kill
 * trials.
 *
 * @module
 */
import { allCases, caseTitle } from "../tests/reliability/cases.ts";

export default async function main(): Promise<void> {
  const filter = Deno.args[1];
  const cases = allCases().filter((c) => !filter || caseTitle(c).includes(filter));
  const results: { title: string; slow: boolean; ms: number; error?: string }[] = [];
  for (const c of cases) {
    const title = caseTitle(c);
    const t0 = performance.now();
    let error: string | undefined;
    let note: string | void = undefined;
    try {
      note = await c.run();
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    const ms = performance.now() - t0;
    results.push({ title, slow: c.slow ?? false, ms, error });
    console.log(`${error ? "FAILED" : "ok    "} ${(ms / 1000).toFixed(1).padStart(6)} s  ${title}`);
    if (note) console.log(`         ${note}`);
    if (error) console.log(`         ${error.split("\n").slice(0, 12).join("\n         ")}`);
  }
  const failed = results.filter((r) => r.error);
  console.log("");
  console.log("| area  | cases | slow | passed | failed | seconds |");
  console.log("| ----- | ----: | ---: | -----: | -----: | ------: |");
  const areas = [...new Set(cases.map((c) => c.area))];
  for (const area of areas) {
    const rs = results.filter((r) => r.title.startsWith(`${area}:`));
    console.log(
      `| ${area.padEnd(5)} | ${String(rs.length).padStart(5)} | ${
        String(rs.filter((r) => r.slow).length).padStart(4)
      } | ${String(rs.filter((r) => !r.error).length).padStart(6)} | ${
        String(rs.filter((r) => r.error).length).padStart(6)
      } | ${(rs.reduce((s, r) => s + r.ms, 0) / 1000).toFixed(0).padStart(7)} |`,
    );
  }
  console.log(
    `\ncases ${results.length}, passed ${results.length - failed.length}, failed ${failed.length}`,
  );
  for (const f of failed) console.log(`  failed: ${f.title}`);
  if (results.length === 0) {
    console.error(`no case matches "${filter}"`);
    Deno.exit(2);
  }
  if (failed.length) Deno.exit(1);
}
