/**
 * The engine, the server and the docs know no healthcare: the benefits
 * mart, its quarantine, its key and its fields are the healthcare project's
 * (`wharf.config.ts`, `models/`), never named in `src/engine/`,
 * `src/serve/` or `src/docs/`, code and comments alike.
 */
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import { REPO } from "./helpers.ts";

const NAMES = [
  "member_benefits",
  "int_benefits",
  "oop_max",
  "remaining_oop_max",
  "copay",
  "member_id",
];

async function* files(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) yield* files(path);
    else yield path;
  }
}

/** `file:line: name` for each line of `text` naming one of {@linkcode NAMES}. */
function mentions(file: string, text: string): string[] {
  return text.split("\n").flatMap((line, i) =>
    NAMES.filter((n) => line.toLowerCase().includes(n)).map((n) => `${file}:${i + 1}: ${n}`)
  );
}

Deno.test("src/engine, src/serve and src/docs name no healthcare table, key or field", async () => {
  const found: string[] = [];
  let scanned = 0;
  for (const dir of ["src/engine", "src/serve", "src/docs"]) {
    for await (const file of files(join(REPO, dir))) {
      scanned++;
      found.push(...mentions(relative(REPO, file), await Deno.readTextFile(file)));
    }
  }
  assert.ok(scanned > 50, `only ${scanned} files scanned`);
  assert.deepEqual(found, []);
});

Deno.test("the healthcare-name check sees a name in code and in comments, whatever its case", () => {
  assert.deepEqual(mentions("x.ts", "const a = 1;\n// the OOP_MAX of a member\nselect copay"), [
    "x.ts:2: oop_max",
    "x.ts:3: copay",
  ]);
});
