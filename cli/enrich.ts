/**
 * `wharf enrich npi <list file | url | raw.table>`: enrich NPIs from the
 * NPI Registry, resumable, never losing one.
 *
 * @module
 */
import { Command } from "commander";
import { resolve } from "node:path";
import { globals, projectConfig, userCwd } from "./context.ts";
import { durationOption } from "./duration.ts";
import { formatDuration } from "../src/net/format_duration.ts";
import { plural } from "./output.ts";
import { formatCount, ProgressLine } from "./progress.ts";
import { load } from "./load.ts";

/** The `enrich` command (with its `npi` subcommand). */
export function enrichCommand(): Command {
  const enrich = new Command("enrich").description("Enrich landed data from outside sources");
  enrich.addCommand(
    new Command("npi")
      .description(
        "Enrich every NPI of a list from the CMS NPI Registry into raw.npi_responses and wharf.npi_ledger",
      )
      .argument(
        "<input>",
        "a file with one NPI per line (header optional), an http(s) URL, or raw.<table> with an npi column",
      )
      .option(
        "--registry <url>",
        "registry base URL (default: the config's npi.registry, else the public API)",
      )
      .option("--concurrency <n>", "requests in flight at most", "16")
      .option("--rps <n>", "requests started per second at most")
      .option("--timeout <duration>", "per-request time limit, e.g. 10s", "10s")
      .option(
        "--max-retry-wait <duration>",
        "longest Retry-After to honor; a longer one stops the run (its NPIs end failed, retryable)",
        "60s",
      )
      .option("--retry-failed", "retry only the NPIs in the failure ledger")
      .option("--refresh-older-than <duration>", "fetch again NPIs enriched longer ago, e.g. 30d")
      .addHelpText(
        "after",
        `
Retried: HTTP 408, 429 and 5xx, a request over --timeout, a connection refused, reset or cut off,
a host name that does not resolve, a body that is not JSON, an answer without the NPI asked. At
most 6 attempts per NPI in a run; before retry n a random wait between 0 and 250 ms × 2^(n−1), at
most 10 s, or longer when Retry-After asks. Other statuses and Errors answers are not retried.
When no request can connect at all, the run stops early with an error naming the registry.`,
      )
      .action(
        async (
          input: string,
          opts: Record<string, string | boolean | undefined>,
          self: Command,
        ) => {
          const { UsageError } = await import("../src/engine/errors.ts");
          const { enrichNpis } = await load<typeof import("../src/enrich/enrich_npi.ts")>(
            "../src/enrich/enrich_npi.ts",
          );
          const { NPI_REGISTRY } = await load<typeof import("../src/enrich/registry.ts")>(
            "../src/enrich/registry.ts",
          );
          const g = globals(self);
          const config = await projectConfig(self);
          const concurrency = Number(opts.concurrency);
          if (!Number.isInteger(concurrency) || concurrency < 1) {
            throw new UsageError(
              `Invalid --concurrency "${opts.concurrency}"`,
            );
          }
          const rps = opts.rps === undefined ? undefined : Number(opts.rps);
          if (rps !== undefined && !(rps > 0)) throw new UsageError(`Invalid --rps "${opts.rps}"`);
          const timeoutMs = durationOption("--timeout", String(opts.timeout), "500ms, 10s");
          if (timeoutMs === 0) {
            throw new UsageError(
              `Invalid --timeout "${opts.timeout}": a request needs some time, e.g. 500ms, 10s`,
            );
          }
          const maxRetryWaitMs = durationOption(
            "--max-retry-wait",
            String(opts.maxRetryWait),
            "30s, 5m",
          );
          const refresh = opts.refreshOlderThan === undefined
            ? undefined
            : durationOption("--refresh-older-than", String(opts.refreshOlderThan), "30d, 12h");
          const source = /^(https?:\/\/|raw\.)/i.test(input) ? input : resolve(userCwd(), input);
          const progress = new ProgressLine();
          progress.start("npi", formatCount("NPI"));
          // Ctrl-C (or SIGTERM) lets the requests under way end and saves them, saying so; a
          // second cuts those requests off (what is answered is still saved); a third quits.
          // The exit code is the shell's for that signal: 130 for SIGINT, 143 for SIGTERM.
          const controller = new AbortController();
          const cutOff = new AbortController();
          const exitCodes = { SIGINT: 130, SIGTERM: 143 };
          let by: "SIGINT" | "SIGTERM" = "SIGINT";
          const again = (signal: "SIGINT" | "SIGTERM") =>
            signal === "SIGINT" ? "Ctrl-C again" : "SIGTERM again";
          /** Whether the run said what the interruption waits for (it was asking then). */
          let told = false;
          const stop = (signal: "SIGINT" | "SIGTERM") => () => {
            progress.clear();
            if (cutOff.signal.aborted) Deno.exit(exitCodes[signal]);
            if (controller.signal.aborted) {
              console.error(
                `interrupted again: cutting off the requests in flight (their NPIs stay to ask again) and saving what is answered; ${
                  again(signal)
                } to quit without saving`,
              );
              cutOff.abort();
              return;
            }
            by = signal;
            controller.abort(signal === "SIGINT" ? "SIGINT (Ctrl-C)" : "SIGTERM");
            if (!told) {
              console.error(
                `interrupted: stopping (${
                  again(signal)
                } to stop now); what is done is kept and a rerun resumes`,
              );
            }
          };
          const onInt = stop("SIGINT"), onTerm = stop("SIGTERM");
          Deno.addSignalListener("SIGINT", onInt);
          Deno.addSignalListener("SIGTERM", onTerm);
          const summary = await enrichNpis(config, source, {
            signal: controller.signal,
            abortRequests: cutOff.signal,
            onInterrupt: (inFlight) => {
              told = true;
              console.error(
                inFlight
                  ? `interrupted: waiting up to ${formatDuration(timeoutMs)} for ${
                    plural(inFlight, "request")
                  } in flight to finish (${
                    again(by)
                  } to stop now); what is done is kept and a rerun resumes`
                  : `interrupted: no request in flight, saving what is answered; a rerun resumes`,
              );
            },
            db: config.db,
            registry: String(opts.registry ?? config.npi.registry ?? NPI_REGISTRY),
            concurrency,
            rps,
            timeoutMs,
            maxRetryWaitMs,
            retryFailed: Boolean(opts.retryFailed),
            refreshOlderThanMs: refresh,
            onProgress: (p) =>
              progress.update(
                p.done,
                p.total,
                `| ${p.enriched} ok, ${p.notFound} not found, ${p.failed} failed | ${
                  (p.requests / (p.elapsedMs / 1000)).toFixed(0)
                } req/s | ${p.retries} retries`,
              ),
          }).finally(() => {
            Deno.removeSignalListener("SIGINT", onInt);
            Deno.removeSignalListener("SIGTERM", onTerm);
          });
          progress.clear();
          // Cron must notice: any NPI of the list left failed (or pending) fails the run.
          const ok = !summary.states.failed && !summary.states.pending;
          if (g.json) console.log(JSON.stringify({ ok, ...summary }, null, 2));
          else {
            console.log(
              `${plural(summary.distinct, "distinct NPI")} (${
                plural(summary.duplicates, "duplicate line")
              }, ${summary.invalid} invalid, ${summary.alreadyDone} already done); fetched ${summary.fetched} this run with ${
                plural(summary.requests, "request")
              } (${plural(summary.retries, "retry", "retries")}${
                summary.breakerOpened
                  ? `, paused ${plural(summary.breakerOpened, "time")} by the circuit breaker`
                  : ""
              }) in ${(summary.elapsedMs / 1000).toFixed(1)}s.`,
            );
            console.log(
              `Ledger: ${Object.entries(summary.states).map(([k, v]) => `${k} ${v}`).join(", ")}.`,
            );
            const stop = summary.stopped;
            if (stop) {
              console.log(
                `Stopped early: the registry answered NPI ${stop.npi} with Retry-After "${stop.retryAfter}" (${
                  Math.round(stop.waitMs / 1000)
                } s), longer than --max-retry-wait (${Math.round(stop.capMs / 1000)} s); ${
                  plural(stop.notRequested, "NPI")
                } not requested. Run again after ${stop.retryAt}.`,
              );
            }
            if (summary.states.failed) {
              console.log(
                `${
                  plural(summary.states.failed, "NPI")
                } failed: the last error of each is in wharf.npi_ledger; retry them with --retry-failed.`,
              );
              for (const f of summary.failures) {
                console.log(`  ${plural(f.count, "NPI")}: ${f.error}`);
              }
              const shown = summary.failures.reduce((n, f) => n + f.count, 0);
              if (shown < summary.states.failed) {
                console.log(
                  `  ${plural(summary.states.failed - shown, "NPI")} for ${
                    plural(summary.failureReasons - summary.failures.length, "other reason")
                  } (wharf.npi_ledger's last_error).`,
                );
              }
              // Asked when most of what this run asked for could not reach the registry.
              const unreachable = summary.failures
                .filter((f) => /connection failed|timed out/.test(f.error))
                .reduce((n, f) => n + f.count, 0);
              if (unreachable > 0 && unreachable * 2 >= summary.fetched) {
                console.log(
                  `  Is the registry reachable from here? It was ${
                    String(opts.registry ?? config.npi.registry ?? NPI_REGISTRY)
                  }; pass --registry URL (or npi.registry in wharf.config.ts) for another.`,
                );
              }
            }
          }
          if (summary.interrupted && !g.json) {
            const left = summary.states.pending ?? 0;
            console.log(
              `Interrupted by ${summary.interrupted}: what was answered is saved in wharf.npi_ledger${
                left ? `; ${plural(left, "NPI")} not asked yet` : ""
              }. The same command again asks only for what is left.`,
            );
          }
          if (summary.interrupted) Deno.exitCode = exitCodes[by];
          else if (!ok) Deno.exitCode = 1;
        },
      ),
  );
  return enrich;
}
