/**
 * What wharf loads when it starts. Deno prepares every module a literal
 * `import` names, dynamic ones included, before the program runs, so a
 * command's job is imported through a specifier passed as a value
 * (`cli/load.ts`, or `new URL(…)` in the engine) with its type named by
 * `typeof import("…")`. These tests keep it so: what `cli/main.ts` and the
 * build's engine prepare, and that each deferred import's type and module
 * are the same file.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { REPO } from "./helpers.ts";

interface InfoModule {
  specifier: string;
  dependencies?: { code?: { specifier: string } }[];
}

/** The modules (by specifier) of `entry`'s graph as `deno info` gives it. */
async function moduleGraph(entry: string): Promise<{ roots: string[]; modules: InfoModule[] }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** The npm package an `npm:` specifier names, without its version. */
function packageOf(specifier: string): string {
  return specifier.replace(/^npm:\/?/, "").replace(/(.)@.*$/, "$1");
}

/**
 * The modules Deno prepares when it runs `entry` (those its code imports
 * reach, static or literal dynamic), each with the npm packages it imports.
 */
async function preparedModules(entry: string): Promise<Map<string, string[]>> {
  const info = await moduleGraph(entry);
  const modules = new Map(info.modules.map((m) => [m.specifier, m]));
  const prepared = new Map<string, string[]>();
  const stack = [...info.roots];
  while (stack.length) {
    const specifier = stack.pop()!;
    if (prepared.has(specifier) || specifier.startsWith("npm:")) continue;
    const code = (modules.get(specifier)?.dependencies ?? []).flatMap((d) =>
      d.code ? [d.code.specifier] : []
    );
    prepared.set(specifier, code.filter((s) => s.startsWith("npm:")).map(packageOf));
    stack.push(...code);
  }
  return prepared;
}

/** The npm packages Deno prepares when it runs `entry`. */
async function preparedPackages(entry: string): Promise<string[]> {
  return [...new Set([...(await preparedModules(entry)).values()].flat())].sort();
}

Deno.test("wharf starts with commander alone: every command's job loads when that command runs", async () => {
  assert.deepEqual(await preparedPackages("cli/main.ts"), ["commander"]);
});

Deno.test("a build of a plain-SQL project loads DuckDB, yaml and zod, not Jinja, the server or Excel", async () => {
  assert.deepEqual(await preparedPackages("src/engine/run/run_project.ts"), [
    "@duckdb/node-api",
    "yaml",
    "zod",
  ]);
});

// Deno resolves an npm package once for each module of a deferred import's graph that imports it
// (about 5 ms each): the build imports each package through one module of the engine.
Deno.test("a build imports each npm package through one module", async () => {
  const importers = new Map<string, string[]>();
  for (const [module, packages] of await preparedModules("src/engine/run/run_project.ts")) {
    for (const p of packages) {
      importers.set(p, [...(importers.get(p) ?? []), relative(REPO, new URL(module).pathname)]);
    }
  }
  assert.deepEqual(Object.fromEntries(importers), {
    "@duckdb/node-api": ["src/engine/db/duckdb.ts"],
    yaml: ["src/engine/yaml/yaml_file.ts"],
    zod: ["src/engine/zod.ts"],
  });
});

Deno.test("each deferred import's type names the module it imports", async () => {
  const mismatched: string[] = [];
  let sites = 0;
  for (const dir of ["cli", "src"]) {
    for await (const file of walk(join(REPO, dir))) {
      const code = (await Deno.readTextFile(file)).replace(/\s+/g, " ");
      const name = relative(REPO, file);
      // [type, module] of each deferred import in the two checked forms.
      const pairs = [
        ...[...code.matchAll(/load<typeof import\("([^"]+)"\)>\( ?"([^"]+)",? ?\)/g)]
          .map((m) => [m[1], m[2]]),
        ...[
          ...code.matchAll(
            /import\( ?new URL\("([^"]+)", import\.meta\.url\)\.href ?\) as typeof import\("([^"]+)"\)/g,
          ),
        ].map((m) => [m[2], m[1]]),
      ];
      sites += pairs.length;
      for (const [type, module] of pairs) {
        if (type !== module) mismatched.push(`${name}: ${module} typed as ${type}`);
      }
      const deferred = (code.match(/\bload<typeof import\(|import\( ?new URL\(/g) ?? []).length;
      if (deferred !== pairs.length && !name.endsWith("load.ts")) {
        mismatched.push(`${name}: a deferred import not in a checked form`);
      }
    }
  }
  assert.deepEqual(mismatched, []);
  assert.ok(sites > 30, `only ${sites} deferred imports found: the patterns no longer match`);
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) yield* walk(path);
    else if (e.name.endsWith(".ts")) yield path;
  }
}
