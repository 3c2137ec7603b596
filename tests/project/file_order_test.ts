import assert from "node:assert/strict";
import { join } from "node:path";
import { compareFileNames, listFiles } from "../../src/engine/project/discover_files.ts";

const english = new Intl.Collator("en");

Deno.test("compareFileNames() orders names as English collation does, usual names without a collator", () => {
  // A seeded generator: the same names every run.
  let seed = 7;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const usual = "_-.0123456789abcdefghijklmnopqrstuvwxyz";
  const other = usual + "ABZé ";
  const name = (chars: string) =>
    Array.from(
      { length: 1 + Math.floor(next() * 8) },
      () => chars[Math.floor(next() * (next() < 0.5 ? 4 : chars.length))],
    ).join("");
  for (let i = 0; i < 20_000; i++) {
    const chars = i % 4 === 0 ? other : usual;
    const a = name(chars), b = name(chars);
    assert.equal(
      Math.sign(compareFileNames(a, b)),
      Math.sign(english.compare(a, b)),
      `${JSON.stringify(a)} vs ${JSON.stringify(b)}`,
    );
  }
});

Deno.test("listFiles() lists the files of a folder in English collation order (any locale)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const names = ["stg.sql", "stg_orders.sql", "stg-x.sql", "a.yml", "B.sql", "int_9.sql"];
    for (const n of names) await Deno.writeTextFile(join(dir, n), "");
    const listed = (await listFiles(dir)).map((f) => f.slice(dir.length + 1));
    assert.deepEqual(listed, [...names].sort(english.compare));
    assert.deepEqual(listed, [
      "a.yml",
      "B.sql",
      "int_9.sql",
      "stg_orders.sql",
      "stg-x.sql",
      "stg.sql",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
