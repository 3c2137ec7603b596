import assert from "node:assert/strict";
import { runCli } from "../helpers.ts";

Deno.test("wharf tic --help and wharf tic files --help say which options are required", async () => {
  const tic = await runCli(["tic", "--help"]);
  assert.equal(tic.code, 0, tic.stderr);
  // Where tic lists its commands, files names its required options.
  assert.match(
    tic.stdout.replace(/\s+/g, " "),
    / files \[options\] Print the in-network file URLs for a state and network, one per line; builds the TiC models first \(required: --state <code>, --network <type>\)/,
  );
  // lookup has none.
  assert.match(
    tic.stdout.replace(/\s+/g, " "),
    / lookup \[options\] \[inputs\.\.\.\] Land a payer's .*? first files/,
  );

  const files = await runCli(["tic", "files", "--help"]);
  assert.equal(files.code, 0, files.stderr);
  assert.match(
    files.stdout,
    /^Usage: wharf tic files --state <code> --network <type> \[options\]\n/,
  );
  assert.match(files.stdout, /^ {2}--state <code> +USPS state code, e\.g\. NY \(required\)$/m);
  assert.match(files.stdout, /^ {2}--network <type> +PPO, HMO, EPO or POS \(required\)$/m);
  assert.match(files.stdout, /^ {2}--ein <ein> +only files of plans with this EIN$/m);

  // Without them, commander's error names the first missing one.
  const missing = await runCli(["tic", "files", "--network", "PPO"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^error: required option '--state <code>' not specified\n/);
});
