/**
 * A structured log that does not slow requests down: JSON lines gathered
 * in memory and written to stderr together, a few times a second.
 *
 * @module
 */

/** A log sink with a flush for shutdown. */
export interface JsonLog {
  write: (entry: Record<string, unknown>) => void;
  flush: () => void;
  close: () => void;
}

/** Creates a JSON-lines log on stderr, flushed every `intervalMs`. */
export function jsonLog(intervalMs = 200): JsonLog {
  const encoder = new TextEncoder();
  let lines: string[] = [];
  const flush = () => {
    if (lines.length === 0) return;
    const text = lines.join("\n") + "\n";
    lines = [];
    Deno.stderr.writeSync(encoder.encode(text));
  };
  const timer = setInterval(flush, intervalMs);
  return {
    write: (entry) => {
      lines.push(JSON.stringify(entry));
      if (lines.length >= 10_000) flush();
    },
    flush,
    close: () => {
      clearInterval(timer);
      flush();
    },
  };
}
