import assert from "node:assert/strict";
import { runCli, tempProject } from "../helpers.ts";

Deno.test("compile's problems name a kind starting with a vowel with 'an': an ephemeral model, an intersection", async () => {
  await using p = await tempProject({
    "models/staging/e.sql": "select 1 as id",
    "models/staging/staging.yml":
      'models:\n  - name: e\n    config: { materialized: ephemeral, pre_hook: "select 1" }\n',
    "selectors.yml":
      "selectors:\n  - name: x\n    definition:\n      intersection:\n        - exclude: [{ method: tag, value: a }]\n",
  });
  const r = await runCli(["--project", p.root, "--db", p.db, "compile"]);
  assert.equal(r.code, 2, r.stdout);
  assert.match(
    r.stderr,
    /staging\.yml:3:\d+: models\[0\]\.config: an ephemeral model is not built, so its hooks would never run: remove them\n/,
  );
  assert.match(
    r.stderr,
    /selectors\.yml:5:\d+: selectors\[0\]\.definition\.intersection: an intersection needs at least one definition besides exclude:/,
  );
});
