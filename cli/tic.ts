/**
 * `wharf tic <file.json.gz | file.json | https://…>`: stream a
 * Transparency-in-Coverage index into raw.tic_* in constant memory.
 *
 * @module
 */
import { Command } from "commander";
import { resolve } from "node:path";
import { globals, projectConfig, userCwd } from "./context.ts";
import { formatBytes, ProgressLine } from "./progress.ts";

/** The `tic` command. */
export function ticCommand(): Command {
  return new Command("tic")
    .description(
      "Stream a Transparency-in-Coverage table-of-contents index (file or URL, gzipped or not) into raw.tic_*",
    )
    .argument("<inputs...>", "index files (.json or .json.gz) or http(s) URLs")
    .action(async (inputs: string[], _opts: unknown, self: Command) => {
      const { landTic } = await import("../src/tic/land_tic.ts");
      const g = globals(self);
      const config = await projectConfig(self);
      const summaries = [];
      for (const input of inputs) {
        const source = /^https?:\/\//i.test(input) ? input : resolve(userCwd(), input);
        const progress = new ProgressLine();
        progress.start(`tic ${source.split("/").pop()}`);
        const started = performance.now();
        const summary = await landTic(config, source, {
          db: config.db,
          onProgress: (p) => {
            const secs = (performance.now() - started) / 1000;
            progress.update(
              p.compressedBytes,
              p.totalBytes,
              `| ${
                formatBytes(p.bytes / Math.max(secs, 0.001))
              }/s decompressed | ${p.elements} structures | ${p.files} files`,
            );
          },
          onRetry: (r) =>
            console.error(`resuming ${source} at byte ${r.at} (attempt ${r.attempt}): ${r.error}`),
        });
        progress.clear();
        summaries.push(summary);
        if (!g.json) {
          const rate = summary.bytes / 1e6 / (summary.elapsedMs / 1000);
          console.log(
            summary.status === "complete"
              ? `complete ${source}: ${
                summary.reportingEntityName ?? "?"
              } — ${summary.elements} reporting structures, ${summary.plans} plans, ${summary.files} distinct files, ${
                formatBytes(summary.bytes)
              } in ${(summary.elapsedMs / 1000).toFixed(2)}s (${
                rate.toFixed(0)
              } MB/s); index ${summary.indexId}`
              : summary.status === "duplicate"
              ? `skipped  ${source}: already landed as index ${summary.duplicateOf} (the same bytes); nothing added`
              : `failed   ${source}: ${summary.error} (nothing of it landed; recorded as failed, index ${summary.indexId})`,
          );
        }
      }
      if (g.json) console.log(JSON.stringify(summaries, null, 2));
      if (summaries.some((s) => s.status === "failed")) Deno.exitCode = 1;
    });
}
