/**
 * One measured phase of `deno task bench tic`, in its own process so its
 * peak RSS is its own: `gunzip <file>` (DecompressionStream, counting
 * bytes), `zlib <file>` (node:zlib's gunzip, which wharf uses) or
 * `tic <file> <db>` (wharf tic). Prints `{"ms", "bytes", "peakRssMb"}`.
 *
 * @module
 */
import { createReadStream } from "node:fs";
import { createGunzip } from "node:zlib";
import { resolveConfig } from "../src/config.ts";
import { peakRssMb } from "./phase.ts";
import { landTic } from "../src/tic/land_tic.ts";

const [mode, file, db] = Deno.args;
const start = performance.now();
let bytes = 0;
if (mode === "gunzip") {
  using f = await Deno.open(file!);
  for await (const chunk of f.readable.pipeThrough(new DecompressionStream("gzip"))) {
    bytes += chunk.length;
  }
} else if (mode === "zlib") {
  for await (const chunk of createReadStream(file!).pipe(createGunzip({ chunkSize: 1 << 17 }))) {
    bytes += (chunk as Uint8Array).length;
  }
} else {
  const summary = await landTic(resolveConfig(Deno.cwd()), file!, { db });
  if (summary.status !== "complete") throw new Error(summary.error ?? "failed");
  bytes = summary.bytes;
}
console.log(JSON.stringify({ ms: performance.now() - start, bytes, peakRssMb: peakRssMb() }));
