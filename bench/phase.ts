/**
 * Benchmark phases in processes of their own, so each one's time and peak
 * RSS are its own.
 *
 * @module
 */
import { join } from "node:path";

/** Runs `bench/<worker> ...args` and parses the JSON line it prints. */
export async function runPhase<T>(worker: string, args: readonly string[]): Promise<T> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", join(import.meta.dirname!, worker), ...args],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`bench phase ${worker} ${args[0]} failed`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** This process's peak resident memory, MB (Linux). */
export function peakRssMb(): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"))?.[1] ?? 0) /
    1024;
}
