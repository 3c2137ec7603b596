import assert from "node:assert/strict";
import { compileProject } from "../../src/engine/compile/compile_project.ts";
import { CompileError } from "../../src/engine/errors.ts";
import { runProject } from "../../src/engine/run/run_project.ts";
import { tempProject } from "../helpers.ts";

const MODELS = {
  "models/staging/customers.sql": "select * from (values (1), (2)) as t(id)",
  "models/staging/orders.sql":
    "select * from (values (10, 1), (11, 2), (12, 3)) as t(id, customer_id)",
};

function yaml(to: string): string {
  return `models:
  - name: orders
    columns:
      - name: customer_id
        tests:
          - relationships: { to: ${to}, field: id }
`;
}

for (const to of ["ref('customers')", 'ref("customers")', "customers", "staging.customers"]) {
  Deno.test(`a relationships test resolves "to: ${to}" like any reference and runs`, async () => {
    await using p = await tempProject({ ...MODELS, "models/staging/staging.yml": yaml(to) });
    const built = await runProject("build", p.config, { db: p.db });
    const test = built.results.find((r) => r.id.startsWith("test.relationships_"));
    assert.equal(test?.status, "fail", JSON.stringify(built.results));
    // Order 12 points at customer 3, which does not exist.
    assert.equal(test?.rows, 1);
  });
}

Deno.test("a relationships test naming an unknown model is a compile error with the closest name", async () => {
  await using p = await tempProject({
    ...MODELS,
    "models/staging/staging.yml": yaml("ref('custmers')"),
  });
  const err = await compileProject(p.config, { sources: [] }).then(() => undefined, (e) => e);
  assert.ok(err instanceof CompileError);
  assert.match(
    err.message,
    /refers to "custmers": no such model or seed \(did you mean "staging\.customers"\?\)/,
  );
});
