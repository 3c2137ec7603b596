/** Test projects for the artifacts and state tests: the jaffle shop in dbt's layout, and plain SQL. */
import { join } from "node:path";
import { copyDir, REAL, REPO, type TempProject, tempProject } from "../helpers.ts";

/**
 * A copy of a jaffle shop fixture project (`dbt_jaffle_shop` or
 * `dbt_jaffle_shop_plain`) with the real jaffle shop seeds in `seeds`.
 */
export async function jaffleProject(
  fixture: "dbt_jaffle_shop" | "dbt_jaffle_shop_plain",
): Promise<TempProject> {
  const p = await tempProject();
  await copyDir(join(REPO, "tests", "fixtures", fixture), p.root);
  const seeds = join(p.root, fixture === "dbt_jaffle_shop" ? "data" : "models/seeds");
  await Deno.mkdir(seeds, { recursive: true });
  for (const name of ["raw_customers", "raw_orders", "raw_payments"]) {
    await Deno.copyFile(join(REAL, "jaffle_shop", `${name}.csv`), join(seeds, `${name}.csv`));
  }
  return p;
}
