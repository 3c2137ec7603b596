import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO, tempProject } from "../helpers.ts";

/**
 * Runs `deno task --config <wharf>/deno.json wharf …args` from `cwd`, as a
 * user runs wharf on a project of their own: the task runs in wharf's
 * folder, and Deno passes `cwd` as INIT_CWD (none inherited from this run).
 */
async function taskFrom(cwd: string, args: readonly string[]) {
  const env = Deno.env.toObject();
  delete env.INIT_CWD;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "--config", join(REPO, "deno.json"), "wharf", ...args],
    cwd,
    clearEnv: true,
    env: { ...env, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("deno task --config <wharf>/deno.json wharf … from a project's folder reads relative paths there", async () => {
  await using p = await tempProject({
    "wharf.config.ts":
      'export default { sources: [{ name: "members", pattern: /^members_\\d+\\.csv$/ }] };\n',
    "models/.keep": "",
    "in/members_1.csv": "id,name\n1,Ann\n2,Bo\n3,Cy,extra\n",
    "q.sql": "select count(*) as n from raw.members",
    "models/staging/stg_members.sql": "select * from raw.members\n",
  });
  // The project is the folder the task was started from; `in/` and `--db` are read there.
  const land = await taskFrom(p.root, ["--db", "wh.duckdb", "land", "in/"]);
  assert.equal(land.code, 0, land.stderr + land.stdout);
  assert.match(land.stdout, /landed +members .*members_1\.csv/);
  assert.ok(await exists(join(p.root, "wh.duckdb")));
  assert.ok(!(await exists(join(REPO, "wh.duckdb"))));
  const sql = await taskFrom(p.root, [
    "--db",
    "wh.duckdb",
    "sql",
    "-f",
    "q.sql",
    "--format",
    "csv",
    "-o",
    "n.csv",
  ]);
  assert.equal(sql.code, 0, sql.stderr + sql.stdout);
  assert.equal(await Deno.readTextFile(join(p.root, "n.csv")), "n\n2\n");
  // --project and --db, from another folder.
  await Deno.mkdir(join(p.root, "elsewhere"));
  const query = "select count(*) as n from raw.members";
  const other = await taskFrom(join(p.root, "elsewhere"), [
    "--project",
    "..",
    "--db",
    "../wh.duckdb",
    "--json",
    "sql",
    query,
  ]);
  assert.equal(other.code, 0, other.stderr + other.stdout);
  assert.match(other.stdout, /"n": ?"?2/);
  // The commands build's notes suggest run from the folder it was started in.
  const build = await taskFrom(p.root, ["--db", "wh.duckdb", "build"]);
  assert.equal(build.code, 0, build.stderr + build.stdout);
  assert.ok(
    (build.stdout + build.stderr).includes(
      `see wharf.rejects (deno task --config ${join(REPO, "deno.json")} wharf --db ${
        join(p.root, "wh.duckdb")
      } sql`,
    ),
    build.stdout + build.stderr,
  );
});

Deno.test("deno task --config <wharf>/deno.json wharf demo --data DIR writes the deliveries under the folder it was started from", async () => {
  await using p = await tempProject();
  const r = await taskFrom(p.root, [
    "--project",
    REPO,
    "--db",
    "demo.duckdb",
    "demo",
    "--data",
    "deliveries",
    "--scale",
    "0.1",
  ]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, new RegExp(`Generated deliveries in ${join(p.root, "deliveries")}\\n`));
  assert.ok(await exists(join(p.root, "deliveries", "planted.json")));
  assert.ok(!(await exists(join(REPO, "deliveries"))));
});
