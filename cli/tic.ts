/**
 * `wharf tic <file.json.gz | file.json | https://…>`: stream a
 * Transparency-in-Coverage index into raw.tic_* in constant memory;
 * `wharf tic lookup` lands a payer's per-EIN lookups, and `wharf tic
 * files --state NY --network PPO` answers which files serve a state and
 * network.
 *
 * @module
 */
import { Command, Help, type Option } from "commander";
import { resolve } from "node:path";
import { collect, globals, projectConfig, userCwd } from "./context.ts";
import { plural } from "./output.ts";
import { formatBytes, ProgressLine } from "./progress.ts";
import { load } from "./load.ts";

/**
 * Help that shows which options are required (commander marks none):
 * "(required)" after their description, and named after the description of
 * a subcommand where its parent lists it.
 */
const SHOW_REQUIRED = {
  optionDescription(this: Help, option: Option): string {
    const text = Help.prototype.optionDescription.call(this, option);
    return option.mandatory ? `${text} (required)` : text;
  },
  subcommandDescription(this: Help, cmd: Command): string {
    const text = Help.prototype.subcommandDescription.call(this, cmd);
    const required = cmd.options.filter((o) => o.mandatory).map((o) => o.flags);
    return required.length ? `${text} (required: ${required.join(", ")})` : text;
  },
};

/** A path resolved against the user's folder, or a URL as given. */
function inputOf(input: string): string {
  return /^https?:\/\//i.test(input) ? input : resolve(userCwd(), input);
}

/** The `tic` command, with `lookup` and `files`. */
export function ticCommand(): Command {
  return new Command("tic")
    .description(
      "Stream a Transparency-in-Coverage table-of-contents index (file or URL, gzipped or not) into raw.tic_*",
    )
    .argument("<inputs...>", "index files (.json or .json.gz) or http(s) URLs")
    .configureHelp(SHOW_REQUIRED)
    .addCommand(lookupCommand())
    .addCommand(filesCommand())
    .action(async (inputs: string[], _opts: unknown, self: Command) => {
      const { landTic } = await load<typeof import("../src/tic/land_tic.ts")>(
        "../src/tic/land_tic.ts",
      );
      const g = globals(self);
      const config = await projectConfig(self);
      const summaries: Awaited<ReturnType<typeof landTic>>[] = [];
      // Ctrl-C (or SIGTERM) stops the index being read: it ends failed, its rows removed.
      // A second one ends the process at once (the next run removes what is left).
      const controller = new AbortController();
      const stop = (signal: "SIGINT" | "SIGTERM") => () => {
        if (controller.signal.aborted) Deno.exit(130);
        console.error(`\n${signal}: stopping; the index being read is removed (again to quit now)`);
        controller.abort(signal === "SIGINT" ? "SIGINT (Ctrl-C)" : "SIGTERM");
      };
      const onInt = stop("SIGINT"), onTerm = stop("SIGTERM");
      Deno.addSignalListener("SIGINT", onInt);
      Deno.addSignalListener("SIGTERM", onTerm);
      try {
        await landEach();
      } finally {
        Deno.removeSignalListener("SIGINT", onInt);
        Deno.removeSignalListener("SIGTERM", onTerm);
      }
      if (g.json) console.log(JSON.stringify(summaries, null, 2));
      if (controller.signal.aborted) Deno.exitCode = 130;
      else if (summaries.some((s) => s.status === "failed")) Deno.exitCode = 1;

      async function landEach(): Promise<void> {
        for (const input of inputs) {
          if (controller.signal.aborted) break;
          const source = inputOf(input);
          const progress = new ProgressLine();
          progress.start(`tic ${source.split("/").pop()}`);
          const started = performance.now();
          const summary = await landTic(config, source, {
            db: config.db,
            signal: controller.signal,
            onProgress: (p) => {
              const secs = (performance.now() - started) / 1000;
              progress.update(
                p.compressedBytes,
                p.totalBytes,
                `| ${formatBytes(p.bytes / Math.max(secs, 0.001))}/s decompressed | ${
                  plural(p.elements, "structure")
                } | ${plural(p.files, "file")}`,
              );
            },
            onRetry: (r) =>
              console.error(
                `resuming ${source} at byte ${r.at} of the download (attempt ${r.attempt}): ${r.error}`,
              ),
          });
          progress.clear();
          summaries.push(summary);
          for (const c of summary.cleaned) console.error(`cleaned up: ${c}`);
          for (const w of summary.warnings) console.error(`warning: ${w}`);
          if (!g.json) {
            const rate = summary.bytes / 1e6 / (summary.elapsedMs / 1000);
            console.log(
              summary.status === "complete"
                ? `complete ${source}: ${
                  summary.reportingEntityName || "(no reporting_entity_name)"
                } — ${plural(summary.elements, "reporting structure")}, ${
                  plural(summary.plans, "plan")
                }, ${plural(summary.files, "distinct file")}, ${formatBytes(summary.bytes)} in ${
                  (summary.elapsedMs / 1000).toFixed(2)
                }s (${rate.toFixed(0)} MB/s); index ${summary.indexId}`
                : summary.status === "duplicate"
                ? `skipped  ${source}: already landed as index ${summary.duplicateOf} (the same bytes); nothing added`
                : `failed   ${source}: ${summary.error} (nothing of it landed; recorded as failed, index ${summary.indexId})`,
            );
          }
        }
      }
    });
}

/** `wharf tic lookup <file|url>... | --ein N...`. */
function lookupCommand(): Command {
  return new Command("lookup")
    .description(
      "Land a payer's per-EIN lookup files (Anthem: https://…/anthem/<ein>.json) into raw.tic_lookup_files; the TiC models read state and network from their display names first",
    )
    .argument(
      "[inputs...]",
      "lookup files or http(s) URLs; the EIN is the nine-digit run in the file name, or --ein",
    )
    .option(
      "--ein <ein>",
      "with one input: its EIN; without inputs: fetch this EIN's lookup from tic.lookupUrl (repeatable)",
      collect,
    )
    .action(async (inputs: string[], opts: { ein?: string[] }, self: Command) => {
      const { UsageError, LandingError, UpstreamError } = await import("../src/engine/errors.ts");
      const { landLookup, lookupUrlFor } = await load<typeof import("../src/tic/land_lookup.ts")>(
        "../src/tic/land_lookup.ts",
      );
      const g = globals(self);
      const config = await projectConfig(self);
      const eins = opts.ein ?? [];
      let jobs: { input: string; ein?: string }[];
      if (inputs.length === 0) {
        if (!eins.length) {
          throw new UsageError(
            "Nothing to land: name lookup files or URLs, or --ein N to fetch from tic.lookupUrl",
          );
        }
        jobs = eins.map((ein) => ({ input: lookupUrlFor(config, ein), ein }));
      } else if (eins.length > 1 || (eins.length === 1 && inputs.length > 1)) {
        throw new UsageError(
          "--ein names the EIN of one lookup file: give one file with it, or name each file by its EIN (…/<ein>.json)",
        );
      } else {
        jobs = inputs.map((input) => ({ input: inputOf(input), ein: eins[0] }));
      }
      const summaries = [];
      let failed = false;
      for (const job of jobs) {
        try {
          const s = await landLookup(config, job.input, { db: config.db, ein: job.ein });
          summaries.push(s);
          if (!g.json) {
            const updated = s.lastupdated === null
              ? "no lastupdated"
              : `lastupdated ${s.lastupdated}`;
            console.log(
              s.added > 0
                ? `landed   ${s.source}: EIN ${s.ein}, ${updated} — ${
                  plural(s.entries, "entry", "entries")
                }, ${s.added} new; lookup ${s.lookupId}`
                : `skipped  ${s.source}: EIN ${s.ein}, ${updated} — ${
                  s.entries === 1 ? "its 1 entry was" : `all ${s.entries} entries were`
                } landed before; nothing added`,
            );
          }
        } catch (err) {
          if (!(err instanceof LandingError || err instanceof UpstreamError)) throw err;
          failed = true;
          summaries.push({ source: job.input, error: err.message });
          if (!g.json) console.log(`failed   ${job.input}: ${err.message}`);
        }
      }
      if (g.json) console.log(JSON.stringify(summaries, null, 2));
      if (failed) Deno.exitCode = 1;
    });
}

/** `wharf tic files --state NY --network PPO [--ein N]`. */
function filesCommand(): Command {
  return new Command("files")
    .description(
      "Print the in-network file URLs for a state and network, one per line; builds the TiC models first",
    )
    .usage("--state <code> --network <type> [options]")
    .configureHelp(SHOW_REQUIRED)
    .requiredOption("--state <code>", "USPS state code, e.g. NY")
    .requiredOption("--network <type>", "PPO, HMO, EPO or POS")
    .option("--ein <ein>", "only files of plans with this EIN")
    .action(
      async (opts: { state: string; network: string; ein?: string }, self: Command) => {
        const { findTicFiles } = await load<typeof import("../src/tic/find_tic_files.ts")>(
          "../src/tic/find_tic_files.ts",
        );
        const g = globals(self);
        const config = await projectConfig(self);
        const answer = await findTicFiles(config, {
          db: config.db,
          state: opts.state,
          network: opts.network,
          ein: opts.ein,
        });
        if (g.json) {
          const { build: _build, ...rest } = answer;
          console.log(JSON.stringify(rest, null, 2));
          return;
        }
        for (const f of answer.files) console.log(f.url);
        const bases = new Map<string, number>();
        for (const f of answer.files) {
          const k = `state ${f.state_basis}, network ${f.network_basis}`;
          bases.set(k, (bases.get(k) ?? 0) + 1);
        }
        console.error(
          `${plural(answer.files.length, "file")} for ${answer.state} ${answer.network}${
            answer.ein
              ? ` (EIN ${answer.ein}, linked to ${
                plural(answer.einFiles ?? 0, "in-network file")
              } of any state)`
              : ""
          }${
            bases.size ? `: ${[...bases].map(([k, n]) => `${n} by ${k}`).join("; ")}` : ""
          }. ${answer.unattributed} distinct in-network file${
            answer.unattributed === 1
              ? " (by path, over every landed index) has"
              : "s (by path, over every landed index) have"
          } no state or no network and cannot be found this way (marts.tic_unattributed_files).`,
        );
      },
    );
}
