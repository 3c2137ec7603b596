/**
 * `wharf source freshness`: how old the newest row of each source table is,
 * against its `freshness:` rule; exit 1 when any is past `error_after` or
 * cannot be read, as dbt does. The results go to `target/sources.json`.
 *
 * @module
 */
import { Command } from "commander";
import { globals } from "./context.ts";
import { compilingConfig, withVars } from "./run_nodes.ts";
import { counted } from "./output.ts";
import { load } from "./load.ts";

/** `1 day 3 h`, `2 h 5 min`, `40 s` */
function age(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d} day${d === 1 ? "" : "s"}${h ? ` ${h} h` : ""}`;
  if (h) return `${h} h${m ? ` ${m} min` : ""}`;
  return m ? `${m} min` : `${s} s`;
}

/** The `source` command (with its `freshness` subcommand). */
export function sourceCommand(): Command {
  const source = new Command("source").description("Source tables: their freshness");
  const freshness = new Command("freshness")
    .description(
      "Check how old the newest row of each source table is, against its freshness: (warn_after, error_after)",
    )
    .option(
      "-s, --select <selector...>",
      "sources to check (source:name, source:name.table …)",
    )
    .option("--exclude <selector...>", "sources to leave out")
    .option("--selector <name>", "a selection named in the project's selectors.yml");
  withVars(freshness).action(
    async (
      opts: { select?: string[]; exclude?: string[]; selector?: string; vars?: string[] },
      self: Command,
    ) => {
      const { sourceFreshness } = await load<
        typeof import("../src/engine/run/source_freshness.ts")
      >("../src/engine/run/source_freshness.ts");
      const g = globals(self);
      const { vars, ...selection } = opts;
      const config = await compilingConfig(self, vars);
      const results = await sourceFreshness(config, { db: config.db, ...selection });
      const failed = results.some((r) => r.status === "error" || r.status === "runtime error");
      if (g.json) {
        console.log(JSON.stringify(results, null, 2));
      } else if (results.length === 0) {
        console.log(
          "No source table has a freshness: rule to check (add freshness: and loaded_at_field: to sources: in a YAML file)",
        );
      } else {
        const threshold = (t: { count: number; period: string } | undefined) =>
          t ? `${t.count} ${t.period}${t.count === 1 ? "" : "s"}` : undefined;
        results.forEach((r, i) => {
          const limits = [
            threshold(r.warnAfter) && `warn after ${threshold(r.warnAfter)}`,
            threshold(r.errorAfter) && `error after ${threshold(r.errorAfter)}`,
          ].filter(Boolean).join(", ");
          const detail = r.status === "runtime error"
            ? r.error
            : `newest ${r.loadedAtField ?? "load (loaded_at_query)"} ${r.maxLoadedAt}, ${
              age(r.ageSeconds!)
            } old; ${limits}`;
          console.log(
            `${i + 1} of ${results.length} ${
              r.status.toUpperCase().padEnd(13)
            } ${r.id} (${r.relation}): ${detail}`,
          );
        });
        const by = (s: string) => results.filter((r) => r.status === s).length;
        console.log(
          `Done: ${by("pass")} pass, ${counted(by("warn"), "warn")}, ${
            counted(by("error"), "error")
          }, ${by("runtime error")} runtime error${by("runtime error") === 1 ? "" : "s"}`,
        );
      }
      if (failed) Deno.exitCode = 1;
    },
  );
  source.addCommand(freshness);
  return source;
}
