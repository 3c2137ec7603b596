import assert from "node:assert/strict";
import { resolveConfig } from "../../src/config.ts";
import type { CoalesceConfig } from "../../src/serve/coalesce_config.ts";

const base: CoalesceConfig = { model: "marts.prices", key: "sku", fields: ["price"] };

/** The error resolving `serve.coalesce` as `coalesce` gives. */
function refusal(coalesce: unknown): string {
  try {
    resolveConfig("/tmp", { serve: { coalesce: coalesce as CoalesceConfig } });
  } catch (err) {
    assert.equal((err as Error).name, "ConfigError");
    return (err as Error).message;
  }
  assert.fail(`${JSON.stringify(coalesce)} was accepted`);
}

Deno.test("serve.coalesce fills the source column in, and is absent by default", () => {
  assert.equal(resolveConfig("/tmp", {}).serve.coalesce, undefined);
  assert.deepEqual(resolveConfig("/tmp", { serve: { coalesce: base } }).serve.coalesce, {
    model: "marts.prices",
    key: "sku",
    source: "source",
    asOf: undefined,
    fields: ["price"],
  });
  const shop = { ...base, source: "shop", asOf: "checked_at" };
  assert.deepEqual(resolveConfig("/tmp", { serve: { coalesce: shop } }).serve.coalesce, {
    ...shop,
    fields: ["price"],
  });
});

Deno.test("serve.coalesce.rejected takes the key and source of serve.coalesce and _failed_checks unless told", () => {
  const resolved = (rejected: CoalesceConfig["rejected"]) =>
    resolveConfig("/tmp", { serve: { coalesce: { ...base, source: "shop", rejected } } })
      .serve.coalesce?.rejected;
  assert.deepEqual(resolved({ relation: "marts.prices__rejected" }), {
    relation: "marts.prices__rejected",
    key: "sku",
    source: "shop",
    reason: "_failed_checks",
  });
  assert.deepEqual(
    resolved({ relation: "audit.bad_prices", key: "item", source: "vendor", reason: "why" }),
    { relation: "audit.bad_prices", key: "item", source: "vendor", reason: "why" },
  );
});

Deno.test("serve.coalesce refuses, naming the key and what it expects: unknown keys, bad names, clashes", () => {
  const cases: [unknown, string][] = [
    [
      { ...base, feilds: ["x"] },
      'Invalid "serve.coalesce.feilds" in wharf.config.ts: unknown key (did you mean "fields"?): it takes "model", "key", "source", "asOf", "fields", "rejected"',
    ],
    [
      { ...base, model: "prices" },
      'Invalid "serve.coalesce.model" in wharf.config.ts: expected a relation of the warehouse, "schema.name", got "prices" (the server answers from snapshots of the warehouse file: a model built into an attached database is not in them)',
    ],
    [
      { ...base, model: "lake.marts.prices" },
      'Invalid "serve.coalesce.model" in wharf.config.ts: expected a relation of the warehouse, "schema.name", got "lake.marts.prices" (the server answers from snapshots of the warehouse file: a model built into an attached database is not in them)',
    ],
    [
      { ...base, key: "sku; drop" },
      'Invalid "serve.coalesce.key" in wharf.config.ts: expected a column name (letters, digits and _, not starting with a digit), got "sku; drop"',
    ],
    [
      { model: "marts.prices", fields: ["price"] },
      'Invalid "serve.coalesce.key" in wharf.config.ts: expected a column name (letters, digits and _, not starting with a digit), got undefined',
    ],
    [
      { ...base, key: "explain" },
      `Invalid "serve.coalesce.key" in wharf.config.ts: "explain" is the API's own query parameter`,
    ],
    [
      { ...base, fields: [] },
      'Invalid "serve.coalesce.fields" in wharf.config.ts: expected a non-empty list of column names, got []',
    ],
    [
      { ...base, fields: ["price", "Price"] },
      'Invalid "serve.coalesce.fields[1]" in wharf.config.ts: "Price" is already serve.coalesce.fields[0]',
    ],
    [
      { ...base, fields: ["sku"] },
      'Invalid "serve.coalesce.fields[0]" in wharf.config.ts: "sku" is already serve.coalesce.key',
    ],
    [
      { ...base, fields: ["price", "strategy"] },
      'Invalid "serve.coalesce.fields[1]" in wharf.config.ts: "strategy" is a key of explained answers (?explain=true): rename the field',
    ],
    [
      { ...base, rejected: { relation: "marts.prices__rejected", reasons: "why" } },
      'Invalid "serve.coalesce.rejected.reasons" in wharf.config.ts: unknown key (did you mean "reason"?): it takes "relation", "key", "source", "reason"',
    ],
    [
      { ...base, rejected: "marts.prices__rejected" },
      'Invalid "serve.coalesce.rejected" in wharf.config.ts: expected { relation, key?, source?, reason? }, got "marts.prices__rejected"',
    ],
    [
      { ...base, rejected: { relation: "prices__rejected" } },
      'Invalid "serve.coalesce.rejected.relation" in wharf.config.ts: expected a relation of the warehouse, "schema.name", got "prices__rejected" (the server answers from snapshots of the warehouse file: a model built into an attached database is not in them)',
    ],
    [
      { ...base, rejected: { relation: "marts.prices" } },
      'Invalid "serve.coalesce.rejected.relation" in wharf.config.ts: "marts.prices" is serve.coalesce.model: name the relation its rejected rows go to (a checked model\'s is "marts.prices__rejected")',
    ],
    [
      { ...base, rejected: { relation: "marts.prices__rejected", reason: "source" } },
      'Invalid "serve.coalesce.rejected.reason" in wharf.config.ts: "source" is already serve.coalesce.rejected.source',
    ],
    [
      { ...base, rejected: { relation: "marts.prices__rejected", key: "1sku" } },
      'Invalid "serve.coalesce.rejected.key" in wharf.config.ts: expected a column name (letters, digits and _, not starting with a digit), got "1sku"',
    ],
    [
      "marts.prices",
      'Invalid "serve.coalesce" in wharf.config.ts: expected { model, key, fields }, got "marts.prices"',
    ],
  ];
  for (const [coalesce, message] of cases) assert.equal(refusal(coalesce), message);
});

Deno.test("serve.upstreams without serve.coalesce is an error: they would never be asked", () => {
  assert.throws(
    () => resolveConfig("/tmp", { serve: { upstreams: ["http://127.0.0.1:9/x"] } }),
    {
      name: "ConfigError",
      message:
        'Invalid "serve.upstreams" in wharf.config.ts: upstreams answer the coalescing endpoint, which needs serve.coalesce ({ model, key, fields })',
    },
  );
});
