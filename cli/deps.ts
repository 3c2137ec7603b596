/**
 * `wharf deps`: a dbt project's packages, and what is missing. wharf
 * downloads nothing: hub and git packages are installed where the network
 * allows (`dbt deps`, or a copy of the package's folder) under
 * `dbt_packages/`, and `wharf deps` checks that they are there. Exits 1
 * when a package is missing or cannot be read.
 *
 * @module
 */
import { Command } from "commander";
import { globals } from "./context.ts";
import { load } from "./load.ts";

/** The `deps` command. */
export function depsCommand(): Command {
  return new Command("deps")
    .description(
      "dbt projects: list the packages of packages.yml and where each is; hub and git packages must already be installed (wharf downloads nothing)",
    )
    .action(async (_opts: unknown, self: Command) => {
      const { UsageError, formatLocation } = await import("../src/engine/errors.ts");
      const { readDbtProject } = await load<typeof import("../src/engine/dbt/dbt_project.ts")>(
        "../src/engine/dbt/dbt_project.ts",
      );
      const { missingPackage, readPackages } = await load<
        typeof import("../src/engine/dbt/packages.ts")
      >("../src/engine/dbt/packages.ts");
      const g = globals(self);
      const project = await readDbtProject(g.project);
      if (!project) {
        throw new UsageError(
          `"${g.project}" has no dbt_project.yml: wharf deps checks the packages of a dbt project`,
        );
      }
      const set = await readPackages(g.project, project.packagesInstallPath);
      const listed = new Set(set.specs.map((s) => s.found).filter((n) => n !== undefined));
      const extra = set.packages.filter((p) => !listed.has(p.name));
      const missing = set.specs.filter((s) => s.found === undefined && s.kind !== "local");
      if (g.json) {
        console.log(JSON.stringify(
          {
            packages: set.specs.map((s) => ({
              kind: s.kind,
              source: s.source,
              version: s.version ?? null,
              name: s.found ?? null,
              path: set.packages.find((p) => p.name === s.found)?.rel ?? null,
              installed: s.found !== undefined,
            })),
            unlisted: extra.map((p) => ({ name: p.name, path: p.rel })),
            problems: [
              ...missing.map((m) =>
                `${m.file}:${m.line ?? ""}: ${missingPackage(m, set.installPath)}`
              ),
              ...set.issues.map((i) => `${formatLocation(i.location)}: ${i.message}`),
            ],
          },
          null,
          2,
        ));
      } else {
        if (set.specs.length === 0 && extra.length === 0) {
          console.log(`${project.name} uses no packages (no packages.yml or dependencies.yml).`);
        }
        for (const s of set.specs) {
          const pkg = set.packages.find((p) => p.name === s.found);
          const what = `${s.kind} ${s.source}${s.version ? ` (${s.version})` : ""}`;
          console.log(
            pkg
              ? `ok       ${what}: package ${pkg.name} in ${pkg.rel}`
              : s.kind === "local"
              ? `missing  ${what}: no dbt project there`
              : `missing  ${what}: not installed under ${set.installPath}/`,
          );
        }
        for (const p of extra) {
          console.log(
            `ok       installed ${p.name} in ${p.rel} (not in packages.yml; used as dbt uses it)`,
          );
        }
        for (const s of missing) {
          console.log(`\n${s.file}:${s.line ?? ""}: ${missingPackage(s, set.installPath)}`);
        }
        for (const i of set.issues) console.log(`\n${formatLocation(i.location)}: ${i.message}`);
      }
      if (missing.length || set.issues.length) Deno.exitCode = 1;
    });
}
