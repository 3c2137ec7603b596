/**
 * The architecture, enforced: the engine (`src/engine/`) imports nothing
 * from the jobs, and no two folders of `src/` import each other, directly or
 * through others. See docs/architecture.md.
 */
import assert from "node:assert/strict";
import { dirname, join, relative, resolve } from "node:path";
import { REPO } from "./helpers.ts";

const SRC = join(REPO, "src");

async function* tsFiles(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) yield* tsFiles(path);
    else if (e.name.endsWith(".ts")) yield path;
  }
}

/** The relative modules a file imports, statically or dynamically (comments left out). */
function importsOf(file: string, text: string): string[] {
  const code = text
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .split("\n")
    .filter((l) => !/^\s*\/\//.test(l))
    .join("\n");
  return [...code.matchAll(/(?:from|import)\s*\(?\s*["'](\.\.?\/[^"']+)["']/g)].map((m) =>
    resolve(dirname(file), m[1]!)
  );
}

/** A file's unit: `engine/<folder>`, `engine` for the engine's own files, else its job's folder. */
function unitOf(file: string): string {
  const parts = relative(SRC, file).split("/");
  if (parts[0] === "engine") return parts.length > 2 ? `engine/${parts[1]}` : "engine";
  return parts.length > 1 ? parts[0]! : "src";
}

async function importGraph(): Promise<Map<string, Map<string, string[]>>> {
  const graph = new Map<string, Map<string, string[]>>();
  for await (const file of tsFiles(SRC)) {
    const from = unitOf(file);
    const edges = graph.get(from) ?? new Map<string, string[]>();
    graph.set(from, edges);
    for (const target of importsOf(file, await Deno.readTextFile(file))) {
      if (!target.startsWith(SRC)) continue;
      const to = unitOf(target);
      if (to === from) continue;
      edges.set(to, [
        ...(edges.get(to) ?? []),
        `${relative(REPO, file)} → ${relative(REPO, target)}`,
      ]);
    }
  }
  return graph;
}

Deno.test("the engine imports nothing from the jobs", async () => {
  const graph = await importGraph();
  const wrong = [...graph].filter(([from]) => from.startsWith("engine"))
    .flatMap(([, edges]) => [...edges].filter(([to]) => !to.startsWith("engine")))
    .flatMap(([, why]) => why);
  assert.deepEqual(wrong, []);
});

Deno.test("no two folders of src/ import each other, directly or through others", async () => {
  const graph = await importGraph();
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (unit: string) => {
    state.set(unit, "open");
    stack.push(unit);
    for (const [to, why] of graph.get(unit) ?? []) {
      if (state.get(to) === "open") {
        const cycle = [...stack.slice(stack.indexOf(to)), to];
        cycles.push(`${cycle.join(" → ")} (${why[0]})`);
      } else if (!state.has(to)) visit(to);
    }
    stack.pop();
    state.set(unit, "done");
  };
  for (const unit of graph.keys()) if (!state.has(unit)) visit(unit);
  assert.deepEqual(cycles, []);
});

Deno.test("the import check sees imports, dynamic ones too, and not those in comments", () => {
  const file = join(SRC, "engine", "run", "x.ts");
  const found = importsOf(
    file,
    `import { a } from "../db/a.ts";\n// import { b } from "../../land/b.ts";\n/**\n * import { c } from "../c.ts";\n */\nconst d = await import("../../serve/d.ts");`,
  );
  assert.deepEqual(found.map((f) => relative(SRC, f)), ["engine/db/a.ts", "serve/d.ts"]);
  assert.equal(unitOf(join(SRC, "engine", "errors.ts")), "engine");
  assert.equal(unitOf(join(SRC, "engine", "db", "schema", "tables.ts")), "engine/db");
  assert.equal(unitOf(join(SRC, "land", "land.ts")), "land");
});

Deno.test("docs/architecture.md matches the code: its folders exist, and its examples of shipped modules are theirs", async () => {
  const doc = await Deno.readTextFile(join(REPO, "docs", "architecture.md"));
  const tree = doc.slice(doc.indexOf("src/engine/ "), doc.indexOf("cli/ "));
  const named = new Set<string>();
  for (const m of tree.matchAll(/^\s*(src\/[a-z_/.]+|[a-z_]+\/|[a-z_]+\.ts)\s/gm)) {
    const name = m[1]!;
    const path = name.startsWith("src/") ? name : join("src", "engine", name);
    named.add(path.replace(/\/$/, ""));
    const found = await Deno.stat(join(REPO, path)).then(() => true, () => false);
    assert.ok(found, `docs/architecture.md names ${path}, which does not exist`);
  }
  // And it names every folder and file of the engine.
  for await (const e of Deno.readDir(join(SRC, "engine"))) {
    const path = join("src", "engine", e.name);
    assert.ok(named.has(path), `docs/architecture.md does not name ${path}`);
  }
  // A ts example that exports a shipped module is that module's code, word for word.
  // (Marked `ignore`: `deno test --doc` would resolve their imports from docs/.)
  const examples = [...doc.matchAll(/```ts ignore\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const shipped: Record<string, string> = {
    "export const table =": "src/engine/materializations/table.ts",
    "export const notNull =": "src/engine/test_kinds/not_null.ts",
    "export const max:": "src/serve/strategies/max.ts",
  };
  for (const [marker, file] of Object.entries(shipped)) {
    const example = examples.find((e) => e.includes(marker));
    assert.ok(example, `no example of ${file}`);
    const code = await Deno.readTextFile(join(REPO, file));
    const body = example.slice(example.indexOf(marker));
    assert.ok(code.includes(body.trimEnd()), `the example of ${file} differs from the file`);
  }
});

Deno.test("every example in a module's doc comments runs under deno test --doc: none is marked ignore", async () => {
  const ignored: string[] = [];
  for (const root of [SRC, join(REPO, "cli"), join(REPO, "mod.ts")]) {
    const files = root.endsWith(".ts") ? [root] : await Array.fromAsync(tsFiles(root));
    for (const file of files) {
      const lines = (await Deno.readTextFile(file)).split("\n");
      lines.forEach((line, i) => {
        if (/^\s*\*\s*```(ts|typescript|js)\b.*\b(ignore|no-eval)\b/.test(line)) {
          ignored.push(`${relative(REPO, file)}:${i + 1}`);
        }
      });
    }
  }
  assert.deepEqual(ignored, []);
});
