/**
 * dbt's project flags (`flags:` of dbt_project.yml, and the profile's older
 * `config:` block), through the CLI on a real DuckDB file: what wharf
 * applies, and what it refuses by name.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO, runCli, tempProject } from "../helpers.ts";

const MODELS = {
  "models/a.sql": "{{ config(materialized='table') }}\nselect 1 as id",
  "models/b.sql": "{{ config(materialized='table') }}\nselect 1 as id",
  "models/a_broken.sql": "{{ config(materialized='table') }}\nselect cast('x' as int) as id",
  "models/schema.yml": `version: 2
models:
  - name: a
    columns:
      - name: id
        data_tests:
          - unique
          - relationships: { to: ref('b'), field: id }
`,
};

/** The statuses of a `--json` run, by node id. */
function statuses(stdout: string): Record<string, string> {
  const summary = JSON.parse(stdout) as { results: { id: string; status: string }[] };
  return Object.fromEntries(summary.results.map((r) => [r.id, r.status]));
}

Deno.test("flags: fail_fast and indirect_selection set the defaults of --fail-fast and --indirect-selection", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\nflags:\n  fail_fast: true\n  indirect_selection: cautious\n",
    ...MODELS,
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, "--json", ...args]);
  // fail_fast: the first error stops the run; --no-fail-fast runs on.
  let r = await cli("run", "--threads", "1");
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(statuses(r.stdout), {
    "main.a": "success",
    "main.b": "skipped",
    "main.a_broken": "error",
  });
  // The skip names what stopped the run: the flag, not a --fail-fast nobody typed.
  const text = await runCli(["--project", p.root, "run", "--threads", "1"]);
  assert.match(
    text.stdout,
    /1 node was skipped: fail_fast \(dbt_project\.yml\) stopped the run when main\.a_broken errored\./,
  );
  r = await cli("run", "--threads", "1", "--no-fail-fast");
  assert.equal(r.code, 1, r.stderr);
  assert.deepEqual(statuses(r.stdout), {
    "main.a": "success",
    "main.b": "success",
    "main.a_broken": "error",
  });
  // cautious: a test of a selected model comes along only when all it reads is selected.
  r = await cli("build", "--select", "a");
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(Object.keys(statuses(r.stdout)), ["main.a", "test.unique_a_id"]);
  r = await cli("build", "--select", "a", "--indirect-selection", "eager");
  assert.deepEqual(Object.keys(statuses(r.stdout)).sort(), [
    "main.a",
    "test.relationships_a_id__id__ref_b_",
    "test.unique_a_id",
  ]);
});

Deno.test("flags: printer_width sets the result lines' width; flags of dbt's own parser and telemetry are accepted", async () => {
  await using p = await tempProject({
    "dbt_project.yml":
      "name: shop\nflags:\n  printer_width: 50\n  partial_parse: true\n  send_anonymous_usage_stats: true\n  require_generic_test_arguments_property: true\n  require_explicit_package_overrides_for_builtin_materializations: true\n",
    "models/a.sql": "select 1 as id",
  });
  const r = await runCli(["--project", p.root, "run"]);
  assert.equal(r.code, 0, r.stderr);
  // dbt's width 80 gives 44 dots here; 50 gives 14 (the status, name and timing fill the rest).
  assert.match(r.stdout, /OK {4}model main\.a \.{14} \[view in/);
});

Deno.test("flags: an unknown flag, a bad value and a value wharf cannot honour are errors naming them; --warn-unsupported downgrades the unsupported", async () => {
  await using p = await tempProject({
    "dbt_project.yml":
      "name: shop\nflags:\n  fail_fast: yes please\n  log_path: logs\n  write_json: false\n  indirect_selection: eagr\n",
    "models/a.sql": "select 1 as id",
  });
  let r = await runCli(["--project", p.root, "run"]);
  assert.equal(r.code, 2, r.stdout);
  assert.match(
    r.stderr,
    /dbt_project\.yml:3:14: flags\.fail_fast: expected true or false, got "yes please"/,
  );
  assert.match(
    r.stderr,
    /dbt_project\.yml:4:3: flags\.log_path: dbt's flag "log_path" is not read by wharf: remove it/,
  );
  assert.match(
    r.stderr,
    /dbt_project\.yml:5:15: flags\.write_json: write_json: false is not supported: wharf always writes target\/'s JSON artifacts/,
  );
  assert.match(
    r.stderr,
    /dbt_project\.yml:6:23: flags\.indirect_selection: expected eager, cautious, buildable, empty, got "eagr"/,
  );
  await Deno.writeTextFile(
    join(p.root, "dbt_project.yml"),
    "name: shop\nflags:\n  log_path: logs\n  write_json: false\n",
  );
  r = await runCli(["--project", p.root, "--warn-unsupported", "run"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: dbt_project\.yml:3:3: flags\.log_path: dbt's flag/);
  assert.match(r.stderr, /warning: dbt_project\.yml:4:15: flags\.write_json/);
});

Deno.test("profiles.yml's config: block holds the flags when dbt_project.yml has none, and is named as unread when it has", async () => {
  const profile = (config: string) =>
    `config:\n${config}shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: shop.duckdb\n`;
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\n",
    "profiles.yml": profile("  fail_fast: true\n  use_colors: false\n"),
    ...MODELS,
  });
  const cli = (...args: string[]) => runCli(["--project", p.root, "--json", ...args]);
  let r = await cli("run", "--threads", "1");
  assert.equal(r.code, 1, r.stderr);
  assert.equal(statuses(r.stdout)["main.b"], "skipped");
  await Deno.writeTextFile(join(p.root, "profiles.yml"), profile("  use_colours: false\n"));
  r = await cli("run");
  assert.equal(r.code, 2);
  assert.match(
    r.stderr,
    /profiles\.yml:2:3: config\.use_colours: unknown flag "use_colours" \(did you mean "use_colors"\?\)/,
  );
  await Deno.writeTextFile(
    join(p.root, "dbt_project.yml"),
    "name: shop\nflags:\n  fail_fast: false\n",
  );
  await Deno.writeTextFile(join(p.root, "profiles.yml"), profile("  fail_fast: true\n"));
  r = await cli("run", "--threads", "1");
  assert.equal(r.code, 1, r.stderr);
  assert.equal(statuses(r.stdout)["main.b"], "success");
  assert.match(
    r.stderr,
    /warning: .*profiles\.yml: its config: block is not read, as dbt_project\.yml has flags:/,
  );
});

Deno.test("flags: use_colors: false prints no colors on a terminal, where wharf colors by default", async () => {
  await using p = await tempProject({
    "dbt_project.yml": "name: shop\n",
    "models/a.sql": "select 1 as id",
  });
  // `script` gives the command a terminal, as a user's shell does.
  const onTerminal = async () => {
    // Whatever NO_COLOR the tests run with, the user's shell here has none.
    const command = [
      "env",
      "-u",
      "NO_COLOR",
      Deno.execPath(),
      "run",
      "--allow-all",
      `${REPO}/cli/main.ts`,
      "--project",
      p.root,
      "run",
    ]
      .map((a) => `'${a}'`).join(" ");
    const out = await new Deno.Command("script", {
      args: ["-qc", command, "/dev/null"],
      env: { INIT_CWD: p.root },
      stdout: "piped",
      stderr: "piped",
    }).output();
    return new TextDecoder().decode(out.stdout);
  };
  const ESC = "\x1b";
  const colored = await onTerminal();
  assert.ok(colored.includes(`${ESC}[32mOK   ${ESC}[0m model main.a`), colored);
  await Deno.writeTextFile(
    join(p.root, "dbt_project.yml"),
    "name: shop\nflags:\n  use_colors: false\n",
  );
  const plain = await onTerminal();
  assert.match(plain, /OK {4}model main\.a \.+ \[view in/);
  assert.ok(!plain.includes(ESC), plain);
});
