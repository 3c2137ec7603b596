/**
 * Benchmarks: `deno task bench <name>`. Each prints its figures and a ratio
 * to a baseline measured in the same run.
 *
 * @module
 */
const benches: Record<string, () => Promise<{ default: () => Promise<void> }>> = {
  build: () => import("./build.ts"),
  dbt: () => import("./dbt.ts"),
  docs: () => import("./docs.ts"),
  land: () => import("./land.ts"),
  npi: () => import("./npi.ts"),
  reliability: () => import("./reliability.ts"),
  serve: () => import("./serve.ts"),
  tic: () => import("./tic.ts"),
};

const name = Deno.args[0];
const load = name ? benches[name] : undefined;
if (!load) {
  console.error(`usage: deno task bench <${Object.keys(benches).join("|")}>`);
  Deno.exit(2);
}
await (await load()).default();
