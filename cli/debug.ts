/**
 * `wharf debug`: checks the project's files (wharf.config.ts, or
 * dbt_project.yml and the profile's target), selectors.yml, the DuckDB
 * extensions and attached databases, and the warehouse (read-only); prints
 * each check OK or ERROR and exits 1 when any failed.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import denoJson from "../deno.json" with { type: "json" };
import { globals } from "./context.ts";
import { color } from "./output.ts";
import { load } from "./load.ts";

interface Line {
  name: string;
  ok: boolean;
  detail: string;
}

/** The `debug` command. */
export function debugCommand(): Command {
  return new Command("debug")
    .description(
      "Check the project's files, the profile's target (dbt), selectors.yml, extensions, attached databases and the warehouse",
    )
    .action(async (_opts: unknown, self: Command) => {
      const { loadConfig } = await load<typeof import("../src/config.ts")>("../src/config.ts");
      const { WharfError } = await import("../src/engine/errors.ts");
      const g = globals(self);
      const lines: Line[] = [];
      const info = [
        `wharf ${denoJson.version}, Deno ${Deno.version.deno}`,
        `project folder: ${g.project}`,
      ];
      let config: Awaited<ReturnType<typeof loadConfig>> | undefined;
      try {
        config = await loadConfig(g.project, { profilesDir: g.profilesDir, target: g.target });
      } catch (err) {
        if (!(err instanceof WharfError)) throw err;
        lines.push({ name: "project", ok: false, detail: err.message });
      }
      if (config?.dbt) {
        const t = config.dbt.target;
        lines.push({
          name: "dbt_project.yml",
          ok: true,
          detail: `dbt project "${config.dbt.project}"`,
        });
        lines.push({
          name: "profile",
          ok: true,
          detail: t.file
            ? `${t.file}: profile "${t.profile}", target "${t.name}" (duckdb), ${
              t.buildInto ? `database "${t.buildInto}" (attached), ` : ""
            }schema "${t.schema}", ${config.threads} threads`
            : `no profiles.yml found (looked in --profiles-dir, $DBT_PROFILES_DIR, the project folder and ~/.dbt/): the defaults, schema "${t.schema}"`,
        });
      } else if (config) {
        const file = join(config.root, "wharf.config.ts");
        lines.push({
          name: "wharf.config.ts",
          ok: true,
          detail: existsSync(file)
            ? `project "${config.name}"`
            : `none: the defaults (project "${config.name}")`,
        });
        lines.push({
          name: "models folder",
          ok: existsSync(config.paths.models),
          detail: existsSync(config.paths.models)
            ? config.paths.models
            : `${config.paths.models} does not exist: this folder is no wharf project (no models/, no dbt_project.yml); pass --project`,
        });
      }
      if (config) {
        const { debugChecks } = await load<typeof import("../src/engine/run/debug_checks.ts")>(
          "../src/engine/run/debug_checks.ts",
        );
        lines.push(...await debugChecks(config, g.db));
      }
      const ok = lines.every((l) => l.ok);
      if (g.json) {
        console.log(JSON.stringify({ ok, checks: lines }, null, 2));
      } else {
        for (const i of info) console.log(i);
        const width = Math.max(...lines.map((l) => l.name.length));
        for (const l of lines) {
          console.log(
            `${l.ok ? color.green("OK   ") : color.red("ERROR")} ${
              l.name.padEnd(width)
            }  ${l.detail}`,
          );
        }
        console.log(
          ok ? "All checks passed." : `${lines.filter((l) => !l.ok).length} check(s) failed.`,
        );
      }
      if (!ok) Deno.exitCode = 1;
    });
}
