/**
 * Progress for long work: a redrawn line on a terminal (bytes, rate, ETA),
 * nothing in pipes and CI, where each finished item gets a plain log line.
 *
 * @module
 */

/** Human-readable byte count. */
export function formatBytes(n: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 && i > 0 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** Whether progress lines should be drawn: a terminal on stderr, not CI. */
export function showProgress(): boolean {
  return Deno.stderr.isTerminal() && !Deno.env.get("CI");
}

/** A count of `one`s (`many` for more than one): how a progress line counts what is not bytes. */
export function formatCount(one: string, many = `${one}s`): (n: number) => string {
  return (n) => `${Math.round(n)} ${Math.round(n) === 1 ? one : many}`;
}

/** A single progress line on stderr, redrawn in place. */
export class ProgressLine {
  #label = "";
  #format: (n: number) => string = formatBytes;
  #started = 0;
  #last = 0;
  readonly #enabled: boolean;
  readonly #encoder = new TextEncoder();

  constructor(enabled = showProgress()) {
    this.#enabled = enabled;
  }

  /** Starts a new item, counted in bytes unless `format` says otherwise (e.g. {@linkcode formatCount}). */
  start(label: string, format: (n: number) => string = formatBytes): void {
    this.#label = label;
    this.#format = format;
    this.#started = performance.now();
    this.#last = 0;
  }

  /** Redraws with `done` of `total` (bytes, or as `start` was told), at most ten times a second. */
  update(done: number, total?: number, extra = ""): void {
    if (!this.#enabled) return;
    const now = performance.now();
    if (now - this.#last < 100) return;
    this.#last = now;
    const secs = (now - this.#started) / 1000;
    const rate = secs > 0 ? done / secs : 0;
    const pct = total ? ` ${Math.min(100, (100 * done) / total).toFixed(0)}%` : "";
    const eta = total && rate > 0 ? ` ETA ${Math.max(0, (total - done) / rate).toFixed(0)}s` : "";
    const width = 24;
    const bar = total
      ? `[${"#".repeat(Math.round((width * Math.min(done, total)) / total)).padEnd(width, ".")}]`
      : "";
    const format = this.#format;
    const text = `${this.#label} ${bar}${pct} ${format(done)}${
      total ? ` of ${format(total)}` : ""
    } ${format(rate)}/s${eta}${extra ? ` ${extra}` : ""}`;
    Deno.stderr.writeSync(this.#encoder.encode(`\r\x1b[2K${text.slice(0, 160)}`));
  }

  /** Clears the line. */
  clear(): void {
    if (this.#enabled) Deno.stderr.writeSync(this.#encoder.encode("\r\x1b[2K"));
  }
}
