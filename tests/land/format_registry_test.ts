import assert from "node:assert/strict";
import { join } from "node:path";
import { ConfigError, LandingError } from "../../src/engine/errors.ts";
import { formatFromName, inspectFile } from "../../src/land/detect.ts";
import { FORMATS } from "../../src/land/formats/index.ts";
import { compileSources } from "../../src/land/sources.ts";

Deno.test("every registered format is told by each of its extensions, gzipped or not", () => {
  assert.deepEqual(FORMATS.map((f) => f.name), ["csv", "json", "ndjson", "xlsx"]);
  for (const format of FORMATS) {
    for (const ext of format.extensions) {
      assert.equal(formatFromName(`Patient-claim-clientA-202307${ext}`), format.name);
      assert.equal(formatFromName(`members${ext.toUpperCase()}.gz`), format.name);
    }
  }
  assert.equal(formatFromName("orders.parquet"), undefined);
  assert.equal(formatFromName("members.ndjson.txt"), "csv");
});

Deno.test("a source's format must be a registered one", () => {
  assert.throws(
    () => compileSources([{ name: "s", pattern: /x/, format: "parquet" as unknown as "csv" }]),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message ===
        'Invalid format "parquet" in sources[0] ("s") in wharf.config.ts: use csv, json, ndjson, xlsx, or leave it out to go by the file\'s extension',
  );
  assert.equal(
    compileSources([{ name: "s", pattern: /x/, format: "ndjson" }])[0]!.format,
    "ndjson",
  );
});

Deno.test("inspectFile() names every extension when it cannot tell a file's format, and goes by the source's format", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "orders.parquet");
    await Deno.writeTextFile(path, '{"id": 1}\n{"id": 2}\n');
    const [source] = compileSources([{ name: "orders", pattern: /orders/ }]);
    await assert.rejects(
      () => inspectFile(path, "orders.parquet", source!),
      (e: unknown) =>
        e instanceof LandingError &&
        e.message ===
          'Cannot tell the format of "orders.parquet": use a .csv, .txt, .tsv, .psv, .dat, .json, .ndjson, .jsonl or .xlsx name (optionally .gz), or set "format" on source "orders"',
    );
    const [ndjson] = compileSources([{ name: "orders", pattern: /orders/, format: "ndjson" }]);
    assert.deepEqual(await inspectFile(path, "orders.parquet", ndjson!), {
      format: "ndjson",
      gzip: false,
      encoding: "utf-8",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
