/**
 * `deno task bench npi`: 10,000 NPIs against a fake registry on loopback (in
 * a process of its own) with 50 ms latency and 10% injected faults (429, 5xx,
 * maintenance pages, cut-off bodies). Prints wall time, requests, retries and NPIs lost; and,
 * in the same run, a naive sequential loop without retries over a sample of
 * the same list, with its time extrapolated to the whole list and its losses.
 *
 * @module
 */
import { join } from "node:path";
import { resolveConfig } from "../src/config.ts";
import { enrichNpis } from "../src/enrich/enrich_npi.ts";
import { queryRegistry } from "../src/enrich/registry.ts";
import { validNpis } from "../tests/enrich/fake_registry.ts";

const COUNT = Number(Deno.env.get("BENCH_NPI_COUNT") ?? 10_000);
const SAMPLE = 400;
const CONCURRENCY = 32;
const LATENCY_MS = 50;

/** The fake registry in its own process (bench/fake_registry_server.ts): its URL, and a stop. */
async function registryProcess(
  latencyMs: number,
  faults: { tooMany: number; serverError: number; html: number; drop: number },
): Promise<{ url: string } & AsyncDisposable> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      join(import.meta.dirname!, "fake_registry_server.ts"),
      String(latencyMs),
      ...[faults.tooMany, faults.serverError, faults.html, faults.drop].map(String),
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  reader.releaseLock();
  return {
    url: new TextDecoder().decode(value).trim(),
    async [Symbol.asyncDispose]() {
      child.kill();
      await child.status;
      await child.stdout.cancel();
    },
  };
}

export default async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "wharf_bench_npi_" });
  try {
    const npis = await validNpis(COUNT);
    const list = join(dir, "npis.txt");
    await Deno.writeTextFile(list, ["npi", ...npis].join("\n"));
    const faults = { tooMany: 0.025, serverError: 0.025, html: 0.025, drop: 0.025 };
    {
      await using registry = await registryProcess(LATENCY_MS, faults);
      const s = await enrichNpis(resolveConfig(dir), list, {
        db: join(dir, "w.duckdb"),
        registry: registry.url,
        concurrency: CONCURRENCY,
      });
      const lost = COUNT - (s.states.enriched ?? 0) - (s.states.not_found ?? 0) -
        (s.states.failed ?? 0) - (s.states.invalid ?? 0);
      const retryableLeft = s.states.failed ?? 0;
      console.log(
        `wharf enrich npi (${
          COUNT.toLocaleString("en-US")
        } NPIs, 50 ms latency, 10% faults, concurrency ${CONCURRENCY}):`,
      );
      // The floor: every request this run made, each taking the registry's latency, 32 at a time.
      const floorMs = s.requests * LATENCY_MS / CONCURRENCY;
      const ratio = s.elapsedMs / floorMs;
      console.log(
        `  ${
          (s.elapsedMs / 1000).toFixed(1)
        } s, ${s.requests} requests, ${s.retries} retries, ${lost} lost (target < 30 s, 0 lost)`,
      );
      console.log(
        `  floor: ${s.requests} requests × ${LATENCY_MS} ms / ${CONCURRENCY} = ${
          (floorMs / 1000).toFixed(1)
        } s; ${ratio.toFixed(2)}× the floor (target ≤ 1.15×, 0 lost): ${
          ratio <= 1.15 && lost === 0 ? "met" : "NOT met"
        }`,
      );
      console.log(
        `  ledger: ${
          Object.entries(s.states).map(([k, v]) => `${k} ${v}`).join(", ")
        } (failed = the registry's own Errors answers: ${retryableLeft})`,
      );
    }
    {
      await using registry = await registryProcess(LATENCY_MS, faults);
      const started = performance.now();
      let lost = 0;
      for (const npi of npis.slice(0, SAMPLE)) {
        const outcome = await queryRegistry(registry.url, npi, { timeoutMs: 10_000 });
        if (outcome.kind === "retry") lost++;
      }
      const ms = performance.now() - started;
      console.log(`naive sequential loop without retries, first ${SAMPLE} NPIs of the same list:`);
      console.log(
        `  ${(ms / 1000).toFixed(1)} s (${((ms / SAMPLE) * COUNT / 1000).toFixed(0)} s for all ${
          COUNT.toLocaleString("en-US")
        }), ${lost} lost (${((lost / SAMPLE) * COUNT).toFixed(0)} for all)`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
