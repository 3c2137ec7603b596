/**
 * `wharf land <path|glob|url>...`: land deliveries into the raw schema,
 * exactly once, with lineage; `--watch` keeps landing files as they appear.
 *
 * @module
 */
import { Command } from "commander";
import { globals, projectConfig, userCwd } from "./context.ts";
import { durationOption } from "./duration.ts";
import { color, plural, table } from "./output.ts";
import { formatBytes, ProgressLine } from "./progress.ts";
import type { FileOutcome } from "../src/land/land_file.ts";
import type { Ignored } from "../src/land/land.ts";
import { load } from "./load.ts";

const STATUS: Record<FileOutcome["status"] | "ignored", string> = {
  landed: color.green("landed "),
  skipped: color.dim("skipped"),
  failed: color.red("failed "),
  ignored: color.dim("ignored"),
};

/** One log line for a finished file. */
export function outcomeLine(o: FileOutcome): string {
  const detail = o.status === "landed"
    ? `${plural(o.rows, "row")}, ${o.rejectedRows} rejected, ${
      formatBytes(o.size)
    }, batch ${o.batchId}, ${(o.durationMs / 1000).toFixed(2)}s${
      o.encoding === "windows-1252" ? ", read as Windows-1252 (it is not UTF-8)" : ""
    }${o.message ? ` (${o.message})` : ""}`
    : o.message ?? "";
  return `${STATUS[o.status]} ${o.source} ${o.file}: ${detail}`;
}

/** The `land` command. */
export function landCommand(): Command {
  return new Command("land")
    .description(
      "Land files, folders, globs or http(s) URLs into raw.* exactly once, with lineage and rejects",
    )
    .argument("<inputs...>", "files, folders (recursive), globs (quote them) or http(s):// URLs")
    .option(
      "--source <name>",
      "land every input as this source (names must fit its pattern, unless --field names the fields)",
    )
    .option(
      "--field <name=value>",
      "with --source: a delivery field the file names do not carry (repeatable), e.g. --field client=clientA",
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .option("--watch", "keep running: land files as they appear in the given folders")
    .option(
      "--settle <duration>",
      "with --watch: how long a file's size and time must stay unchanged (and no process write it) before it lands, e.g. 500ms, 2s; a file renamed into the folder lands at once",
      "2s",
    )
    .option("--debounce <duration>", "the older name of --settle")
    .action(
      async (
        inputs: string[],
        opts: {
          source?: string;
          field: string[];
          watch?: boolean;
          settle: string;
          debounce?: string;
        },
        self: Command,
      ) => {
        const { land } = await load<typeof import("../src/land/land.ts")>("../src/land/land.ts");
        const { UsageError } = await import("../src/engine/errors.ts");
        const g = globals(self);
        const fields: Record<string, string> = {};
        for (const f of opts.field) {
          const eq = f.indexOf("=");
          if (eq <= 0) {
            throw new UsageError(
              `Invalid --field "${f}": expected name=value (e.g. client=clientA)`,
            );
          }
          fields[f.slice(0, eq).trim()] = f.slice(eq + 1);
        }
        if (opts.field.length && opts.source === undefined) {
          throw new UsageError("--field needs --source: name the source the fields belong to");
        }
        if (opts.field.length && opts.watch) {
          throw new UsageError("--field is not available with --watch: land such files by name");
        }
        const config = await projectConfig(self);
        const progress = new ProgressLine();
        const callbacks = {
          onStart: (file: string, source: string) =>
            progress.start(`${source} ${file.split("/").pop()}`),
          onProgress: (_file: string, bytes: number, total?: number) =>
            progress.update(bytes, total),
          onFile: (o: FileOutcome) => {
            progress.clear();
            if (!g.json) console.log(outcomeLine(o));
          },
          onIgnored: (i: Ignored) => {
            progress.clear();
            if (!g.json) console.log(`${STATUS.ignored} ${i.file}: ${i.reason}`);
          },
        };
        if (opts.watch) {
          const { watchAndLand } = await load<typeof import("../src/land/watch.ts")>(
            "../src/land/watch.ts",
          );
          const [flag, value] = opts.debounce === undefined
            ? ["--settle", opts.settle]
            : ["--debounce", opts.debounce];
          const settleMs = durationOption(flag, value, "500ms, 2s");
          const controller = new AbortController();
          Deno.addSignalListener("SIGINT", () => controller.abort());
          Deno.addSignalListener("SIGTERM", () => controller.abort());
          console.error(`Watching ${inputs.join(", ")} (Ctrl-C to stop)`);
          await watchAndLand(config, inputs, {
            db: config.db,
            source: opts.source,
            cwd: userCwd(),
            settleMs,
            signal: controller.signal,
            onWaiting: (file, message) => {
              progress.clear();
              console.error(`waiting  ${file}: ${message}`);
            },
            ...callbacks,
          });
          return;
        }
        const summary = await land(config, inputs, {
          db: config.db,
          source: opts.source,
          fields: opts.field.length ? fields : undefined,
          cwd: userCwd(),
          ...callbacks,
        });
        if (g.json) {
          // A failed file's error goes out as its class and data (missing columns, other source …).
          console.log(JSON.stringify(
            summary,
            (_key, value) => {
              if (!(value instanceof Error)) return value;
              // `name` is an own property of wharf's errors; the exit code and cause are not data.
              const { exitCode: _exit, cause: _cause, name, ...data } = value as Error & {
                exitCode?: number;
              };
              return { name, ...data };
            },
            2,
          ));
        } else {
          const count = (s: FileOutcome["status"]) =>
            summary.outcomes.filter((o) => o.status === s).length;
          const rows = summary.outcomes.reduce((n, o) => n + o.rows, 0);
          const rejected = summary.outcomes.reduce((n, o) => n + o.rejectedRows, 0);
          if (summary.outcomes.length > 1) {
            console.log(
              "\n" + await table(
                ["status", "source", "file", "rows", "rejected", "batch"],
                summary.outcomes.map((o) => ({
                  status: o.status,
                  source: o.source,
                  file: o.file.split("/").pop(),
                  rows: o.rows,
                  rejected: o.rejectedRows,
                  batch: o.batchId ?? "",
                })),
              ),
            );
          }
          console.log(
            `\nDone in ${(summary.elapsedMs / 1000).toFixed(2)}s: ${count("landed")} landed (${
              plural(rows, "row")
            }, ${plural(rejected, "rejected line")} in wharf.rejects), ${
              count("skipped")
            } skipped as already landed, ${count("failed")} failed.`,
          );
        }
        if (!summary.ok) Deno.exitCode = 1;
      },
    );
}
