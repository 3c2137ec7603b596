import assert from "node:assert/strict";
import { join } from "node:path";
import { REPO, runCli, tempProject } from "../helpers.ts";

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    if (e.isDirectory) await copyTree(join(from, e.name), join(to, e.name));
    else await Deno.copyFile(join(from, e.name), join(to, e.name));
  }
}

Deno.test("the demo prints the error of a model that fails, counts it, and exits 1, and notes the lines rejected at landing", async () => {
  await using p = await tempProject({
    // The healthcare project's configuration, models and macros, plus one model that fails.
    "wharf.config.ts": `export { default } from "${
      new URL(`file://${join(REPO, "wharf.config.ts")}`).href
    }";\n`,
    "models/marts/broken_totals.sql":
      "select member_id, cast(first_name as integer) as first_name_number from marts.members",
    "models/marts/broken.yml":
      "models:\n  - name: broken_totals\n    config: { materialized: table }\n",
  });
  for (const dir of ["models", "sql"]) await copyTree(join(REPO, dir), join(p.root, dir));
  // A delivery beside the generated ones, with a line of 14 fields where the header has 13.
  await p.write(
    "demo-data/waymark/Patient-membership-clientA-202309.csv",
    "member id,member first name,member middle name,member last name,gender,date of birth,address,city,state,zip,phone number,membership end date,ethnicity\n" +
      "9001,ANN,,SMITH,F,1980-01-02,1 Main St,Boston,MA,02130,6175551234,2024-12-31,,extra\n",
  );
  const r = await runCli(["--project", p.root, "demo", "--scale", "0.3"]);
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stdout,
    /\nModels and seeds: \d+ built, 1 failed, \d+ skipped\.\nTests: \d+ passed, \d+ warned, 0 failed, \d+ skipped\.\n\nError in model marts\.broken_totals:\n {2}Conversion Error: Could not convert string '\w+' to INT32/,
  );
  // Where the deliveries are comes first, as they are generated before anything lands.
  assert.match(
    r.stdout,
    new RegExp(`^Generated deliveries in ${join(p.root, "demo-data")}\nLanded \\d+ files `),
  );
  // The NPI hint names the list the demo landed.
  assert.match(
    r.stdout,
    /^ {2}raw\.npi_responses, wharf\.npi_ledger: land with `wharf enrich npi raw\.npi_list`$/m,
  );
  // The second landing is the late VisitPay file, and says so.
  assert.match(
    r.stdout,
    /^Landed \d+ files \([\d,]+ rows\), 0 already landed, 0 failed\.\nLanded the late VisitPay file, older than a visit file landed before it: HospitalABC_VisitPay_Visit_20240102_221500\.txt \(\d+ rows?\)\.$/m,
  );
  // What stays skipped for want of TiC and NPI data is told apart from what the failure held back.
  assert.match(r.stdout, /^\d+ nodes were skipped: what they read is not landed yet\.$/m);
  assert.match(
    r.stdout,
    /^ {2}\(the demo lands deliveries only: TiC indexes and NPI answers come from those commands\)$/m,
  );
  assert.doesNotMatch(r.stdout, /deno task demo/);
  // Its tables read in the pipeline's order, whichever model finished first: by layer, then model.
  const column = (title: string) => {
    const table = r.stdout.slice(r.stdout.indexOf(title)).split("\n\n")[0]!.split("\n").slice(3);
    return table.map((line) => line.split("|")[1]!.trim());
  };
  assert.deepEqual(column("Rows per layer:"), ["seeds", "staging", "intermediate", "marts"]);
  const layers = ["staging", "intermediate", "marts"];
  const rank = (id: string) => [layers.indexOf(id.split(".")[0]!), id] as const;
  for (const title of ["Rows rejected by checks", "Values nullified by checks"]) {
    const models = column(title);
    assert.ok(models.length > 0, title);
    const sorted = [...models].sort((a, b) => {
      const [ra, ia] = rank(a);
      const [rb, ib] = rank(b);
      return ra - rb || (ia < ib ? -1 : ia > ib ? 1 : 0);
    });
    assert.deepEqual(models, sorted, title);
  }
  // After the checks' tables, the lines rejected at landing, with the query that shows them.
  assert.match(
    r.stdout,
    new RegExp(
      `\\(in <model>__rejected_values\\):\\n[^]*?\\n\\nnote: 1 line of membership_client_a \\(Patient-membership-clientA-202309\\.csv\\) was rejected when landed \\(it is not in its raw table\\): see wharf\\.rejects \\(deno task wharf --project ${p.root} sql "select \\* from wharf\\.rejects where source = 'membership_client_a'"\\)\\n\\nModels and seeds: `,
    ),
  );
  // The closing lines: wharf sql, serve and docs, for this project.
  assert.match(
    r.stdout,
    new RegExp(
      `\\n {2}deno task wharf --project ${p.root} sql "select status, count\\(\\*\\) from marts\\.members group by status"\\n`,
    ),
  );
  assert.match(
    r.stdout,
    new RegExp(`\\n {2}deno task wharf --project ${p.root} sql +# a SQL shell`),
  );
  assert.match(r.stdout, new RegExp(`\\n {2}deno task wharf --project ${p.root} serve +# the API`));
  assert.match(
    r.stdout,
    new RegExp(`\\n {2}deno task wharf --project ${p.root} docs build +# the docs site`),
  );
  // What the closing line suggests works on the warehouse the demo built.
  const members = await runCli([
    "--project",
    p.root,
    "sql",
    "select status, count(*) as n from marts.members group by status order by 1",
    "--format",
    "csv",
  ]);
  assert.equal(members.code, 0, members.stderr);
  assert.match(members.stdout, /^status,n\nactive,\d+\ninactive,\d+\n$/);
  // Run again: nothing new, the late file named as such.
  const again = await runCli(["--project", p.root, "demo", "--scale", "0.3"]);
  assert.match(
    again.stdout,
    /^Nothing new to land: all \d+ files were landed before\.\nNothing new to land: the late VisitPay file was landed before\.$/m,
  );
});
