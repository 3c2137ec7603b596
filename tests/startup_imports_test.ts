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
import type { Command } from "commander";
import { createProgram } from "../cli/main.ts";
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

/** A file of an npm package in `node_modules/`: its package and path (`yaml/browser/index.js`). */
const PACKAGE_FILE = /\/node_modules\/\.deno\/[^/]+\/node_modules\/(.+)$/;

/** Whether `specifier` is an npm package's (`npm:` or a file of one in `node_modules/`). */
function isPackage(specifier: string): boolean {
  return specifier.startsWith("npm:") || PACKAGE_FILE.test(specifier);
}

/**
 * The npm package an `npm:` specifier names, without its version; for a
 * package's file imported from `node_modules/`, the package and the path.
 */
function packageOf(specifier: string): string {
  const file = specifier.match(PACKAGE_FILE);
  if (file) return file[1]!;
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
    if (prepared.has(specifier) || isPackage(specifier)) continue;
    const code = (modules.get(specifier)?.dependencies ?? []).flatMap((d) =>
      d.code ? [d.code.specifier] : []
    );
    prepared.set(specifier, code.filter(isPackage).map(packageOf));
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

Deno.test("a build of a plain-SQL project loads DuckDB, yaml's ES modules and zod, not Jinja, the server or Excel", async () => {
  assert.deepEqual(await preparedPackages("src/engine/run/run_project.ts"), [
    "@duckdb/node-api",
    "yaml/browser/index.js",
    "zod",
  ]);
});

Deno.test("a project's configuration loads yaml's ES modules and zod: not ExcelJS, which the formats it names load as they read", async () => {
  assert.deepEqual(await preparedPackages("src/config.ts"), ["yaml/browser/index.js", "zod"]);
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
    "yaml/browser/index.js": ["src/engine/yaml.ts"],
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

Deno.test("no module imports yaml's CommonJS build: its ES modules come through src/engine/yaml.ts", async () => {
  const importers: string[] = [];
  for (const dir of ["cli", "src"]) {
    for await (const file of walk(join(REPO, dir))) {
      if (/\bfrom "yaml"|\("yaml"\)/.test(await Deno.readTextFile(file))) {
        importers.push(relative(REPO, file));
      }
    }
  }
  assert.deepEqual(importers, []);
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) yield* walk(path);
    else if (e.name.endsWith(".ts")) yield path;
  }
}

/** `cmd`'s help and its subcommands', as `--help` prints them. */
function helpOf(cmd: Command): string[] {
  return [cmd.helpInformation(), ...cmd.commands.flatMap(helpOf)];
}

Deno.test("a command registers alone, with the help it has among every command's", async () => {
  const all = await createProgram([]);
  assert.ok(all.commands.length > 20);
  for (const cmd of all.commands) {
    for (const args of [[cmd.name()], ["-p", "x", "--db=y", "--json", cmd.name(), "--help"]]) {
      const one = await createProgram(args);
      assert.deepEqual(one.commands.map((c) => c.name()), [cmd.name()]);
      assert.deepEqual(helpOf(one.commands[0]!), helpOf(cmd));
    }
  }
});

Deno.test("wharf registers every command when its arguments run none, or commander might read them otherwise", async () => {
  const names = (await createProgram([])).commands.map((c) => c.name());
  for (
    const args of [
      [],
      ["--help"],
      ["help", "build"],
      ["bulid"],
      ["--threads", "4", "build"],
      ["-qp", "x", "build"],
      ["--json=1", "build"],
      ["--", "build"],
    ]
  ) {
    const program = await createProgram(args);
    assert.deepEqual(program.commands.map((c) => c.name()), names, args.join(" "));
  }
});
