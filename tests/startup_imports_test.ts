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

/** The npm packages Deno prepares when it runs `entry`: those its code imports reach, static or literal dynamic. */
async function preparedPackages(entry: string): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: REPO,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    roots: string[];
    modules: InfoModule[];
  };
  const modules = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const packages = new Set<string>();
  const stack = [...info.roots];
  while (stack.length) {
    const specifier = stack.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    if (specifier.startsWith("npm:")) {
      packages.add(specifier.replace(/^npm:\/?/, "").replace(/(.)@.*$/, "$1"));
      continue;
    }
    for (const dep of modules.get(specifier)?.dependencies ?? []) {
      if (dep.code) stack.push(dep.code.specifier);
    }
  }
  return [...packages].sort();
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
