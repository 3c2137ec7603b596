import assert from "node:assert/strict";
import { enrichNpis } from "../../src/enrich/enrich_npi.ts";
import { cliCommand, REPO, runCli, tempProject } from "../helpers.ts";
import { query } from "../land/helpers.ts";
import { fakeRegistry, validNpis } from "./fake_registry.ts";
import { FAST, npiProject } from "./helpers.ts";

async function ledger(db: string): Promise<Record<string, unknown>[]> {
  return await query(
    db,
    "select npi, state, retryable, last_error is not null as has_error from wharf.npi_ledger order by npi",
  );
}

Deno.test("every NPI ends enriched, not found, invalid or failed: none lost under 30% faults, concurrency bounded", async () => {
  await using p = await tempProject();
  const config = await npiProject(p);
  const npis = await validNpis(300);
  const list = ["npi", ...npis, ...npis.slice(0, 20), "1234567890", "12345", ""].join("\n");
  const file = await p.write("npis.txt", list);
  await using registry = fakeRegistry({
    faults: { tooMany: 0.08, serverError: 0.08, html: 0.05, drop: 0.05, slow: 0.04, slowMs: 1000 },
  });
  const summary = await enrichNpis(config, file, {
    db: p.db,
    registry: registry.url,
    concurrency: 8,
    maxAttempts: 12,
    ...FAST,
  });
  assert.deepEqual([summary.distinct, summary.duplicates, summary.invalid], [302, 20, 2]);
  const expectNotFound = npis.filter((n) => Number(n) % 17 === 0).length;
  const expectRejected = npis.filter((n) => Number(n) % 17 !== 0 && Number(n) % 19 === 0).length;
  assert.deepEqual(summary.states, {
    enriched: 300 - expectNotFound - expectRejected,
    failed: expectRejected,
    invalid: 2,
    not_found: expectNotFound,
  });
  assert.ok(summary.retries > 20, `${summary.retries} retries`);
  assert.ok(registry.maxInFlight <= 8, `max in flight ${registry.maxInFlight}`);
  // Invalid NPIs cost no request.
  assert.equal(registry.arrivals.get("1234567890"), undefined);
  const rejected = await query(
    p.db,
    "select last_error, retryable from wharf.npi_ledger where state = 'failed' limit 1",
  );
  if (expectRejected) {
    assert.deepEqual(rejected, [{
      last_error: "number: Field number contains special characters",
      retryable: false,
    }]);
  }
  // A rerun fetches nothing new.
  const again = await enrichNpis(config, file, { db: p.db, registry: registry.url, ...FAST });
  assert.equal(again.fetched, 0);
});

Deno.test("Retry-After is honored, and a run that cannot get through leaves retryable failures for --retry-failed", async () => {
  await using p = await tempProject();
  const config = await npiProject(p);
  const npis = await validNpis(3, 200000000);
  const file = await p.write("npis.txt", npis.join("\n"));
  await using limited = fakeRegistry({ faults: { tooMany: 1, retryAfter: "1" } });
  const started = performance.now();
  const summary = await enrichNpis(config, file, {
    db: p.db,
    registry: limited.url,
    maxAttempts: 2,
    ...FAST,
  });
  assert.ok(performance.now() - started >= 1000, "waited for Retry-After");
  for (const npi of npis) {
    const [a, b] = limited.arrivals.get(npi)!;
    assert.ok(b! - a! >= 950, `second request ${b! - a!} ms after the first`);
  }
  assert.deepEqual(summary.states, { failed: 3 });
  assert.deepEqual((await ledger(p.db)).map((r) => [r.state, r.retryable, r.has_error]), [
    ["failed", true, true],
    ["failed", true, true],
    ["failed", true, true],
  ]);
  await using healthy = fakeRegistry();
  const retried = await enrichNpis(config, file, {
    db: p.db,
    registry: healthy.url,
    retryFailed: true,
    ...FAST,
  });
  assert.equal(retried.fetched, 3);
  assert.equal(
    (retried.states.enriched ?? 0) + (retried.states.not_found ?? 0) + (retried.states.failed ?? 0),
    3,
  );
  assert.equal(
    retried.states.failed ?? 0,
    npis.filter((n) => Number(n) % 19 === 0 && Number(n) % 17 !== 0).length,
  );
});

Deno.test("a Retry-After over the cap stops the run at once: the NPIs end failed (retryable), saying so", async () => {
  await using p = await tempProject();
  const config = await npiProject(p);
  const npis = await validNpis(20, 210000000);
  const file = await p.write("npis.txt", npis.join("\n"));
  await using registry = fakeRegistry({ faults: { tooMany: 1, retryAfter: "99999999" } });
  const summary = await enrichNpis(config, file, {
    db: p.db,
    registry: registry.url,
    concurrency: 2,
    ...FAST,
  });
  // Only the requests in flight when the first answer came: no retry, no hang.
  assert.ok(registry.requests <= 2, `${registry.requests} requests`);
  assert.deepEqual(summary.states, { failed: 20 });
  assert.equal(summary.retries, 0);
  assert.equal(summary.stopped?.retryAfter, "99999999");
  assert.equal(summary.stopped?.waitMs, 99_999_999_000);
  assert.equal(summary.stopped?.capMs, 60_000);
  assert.equal(summary.stopped?.notRequested, 20 - registry.requests);
  assert.equal(summary.fetched, registry.requests);
  const rows = await query(
    p.db,
    "select npi, retryable, attempts, http_status, last_error from wharf.npi_ledger order by npi",
  );
  const asked = rows.filter((r) => Number(r.attempts) === 1);
  assert.equal(asked.length, registry.requests);
  for (const r of asked) {
    assert.equal(r.http_status, 429);
    assert.match(
      String(r.last_error),
      /^HTTP 429 with Retry-After "99999999"; not retried: the registry asked to wait 1157 d \(Retry-After "99999999"\), longer than the 60 s cap \(--max-retry-wait\): run again after \d{4}-/,
    );
  }
  for (const r of rows.filter((r) => Number(r.attempts) === 0)) {
    assert.equal(r.retryable, true);
    assert.match(String(r.last_error), /^not requested: the registry asked to wait 1157 d/);
  }
});

Deno.test("enrich npi: Retry-After 3600 ends the run at once with exit 1, and the output says when to come back", async () => {
  await using p = await tempProject();
  const npis = await validNpis(10, 240000000);
  const file = await p.write("npis.txt", npis.join("\n"));
  await using registry = fakeRegistry({ faults: { tooMany: 1, retryAfter: "3600" } });
  const args = ["--project", REPO, "--db", p.db, "enrich", "npi", file, "--registry", registry.url];
  const run = await runCli([...args, "--concurrency", "1"]);
  assert.equal(run.code, 1, run.stderr);
  assert.equal(registry.requests, 1);
  assert.match(
    run.stdout,
    /\nLedger: failed 10\.\nStopped early: the registry answered NPI \d{10} with Retry-After "3600" \(3600 s\), longer than --max-retry-wait \(60 s\); 9 NPIs not requested\. Run again after \d{4}-\d\d-\d\dT[\d:.]+Z\.\n10 NPIs failed/,
  );
  // A --max-retry-wait that is not a duration is a usage error.
  const bad = await runCli([...args, "--max-retry-wait", "soon"]);
  assert.equal(bad.code, 2);
  assert.match(
    bad.stderr,
    /error: Invalid --max-retry-wait "soon": expected a whole number and a unit \(ms, s, m, h or d\), e\.g\. 30s, 5m/,
  );
});

Deno.test("an invalid Retry-After (-5) gets the normal exponential backoff", async () => {
  await using p = await tempProject();
  const config = await npiProject(p);
  const [npi] = await validNpis(1, 220000000);
  const file = await p.write("npis.txt", npi!);
  await using registry = fakeRegistry({ faults: { tooMany: 1, retryAfter: "-5" } });
  const summary = await enrichNpis(config, file, {
    db: p.db,
    registry: registry.url,
    maxAttempts: 4,
    backoffMs: 60,
    backoffCapMs: 1000,
    random: () => 1, // the whole backoff, no jitter
    timeoutMs: 1000,
  });
  assert.deepEqual(summary.states, { failed: 1 });
  const at = registry.arrivals.get(npi!)!;
  assert.equal(at.length, 4);
  // 60, 120, 240 ms between attempts (timers may fire a little late, never early).
  [60, 120, 240].forEach((wait, i) =>
    assert.ok(at[i + 1]! - at[i]! >= wait - 5, `gap ${i}: ${at[i + 1]! - at[i]!} ms`)
  );
  const [row] = await query(p.db, "select retryable, last_error from wharf.npi_ledger");
  assert.deepEqual(row, {
    retryable: true,
    last_error: 'HTTP 429 with Retry-After "-5" (not a valid value: normal backoff)',
  });
});

Deno.test("a Retry-After HTTP-date is honored", async () => {
  await using p = await tempProject();
  const config = await npiProject(p);
  const [npi] = await validNpis(1, 230000000);
  const file = await p.write("npis.txt", npi!);
  // Two seconds ahead, in whole seconds: a wait of 1 to 2 s.
  const retryAfter = () => new Date(Date.now() + 2000).toUTCString();
  await using registry = fakeRegistry({ faults: { tooMany: 1, retryAfter } });
  await enrichNpis(config, file, { db: p.db, registry: registry.url, maxAttempts: 2, ...FAST });
  const [a, b] = registry.arrivals.get(npi!)!;
  assert.ok(b! - a! >= 990, `second request ${b! - a!} ms after the first`);
});

Deno.test("the circuit breaker pauses everyone when most requests fail, then resumes on its own", async () => {
  await using p = await tempProject();
  const config = await npiProject(p);
  const npis = await validNpis(40, 300000000);
  const file = await p.write("npis.txt", npis.join("\n"));
  await using registry = fakeRegistry({ faults: { serverError: 0.9 } });
  const summary = await enrichNpis(config, file, {
    db: p.db,
    registry: registry.url,
    concurrency: 4,
    maxAttempts: 30,
    ...FAST,
    breaker: { window: 10, threshold: 0.8, pauseMs: 30 },
  });
  assert.ok(summary.breakerOpened > 0);
  assert.equal(summary.states.pending ?? 0, 0);
  assert.equal(Object.values(summary.states).reduce((a, b) => a + b, 0), 40);
});

Deno.test("the NPI list can come from a landed raw table", async () => {
  await using p = await tempProject();
  const config = await npiProject(p);
  const npis = await validNpis(5, 600000000);
  const { land } = await import("../../src/land/land.ts");
  const file = await p.write("npi-list.txt", ["npi", ...npis, npis[0]].join("\n"));
  assert.ok((await land(config, [file], { db: p.db })).ok);
  await using registry = fakeRegistry();
  const summary = await enrichNpis(config, "raw.npi_list", {
    db: p.db,
    registry: registry.url,
    ...FAST,
  });
  assert.deepEqual([summary.distinct, summary.duplicates, summary.fetched], [5, 1, 5]);
  await assert.rejects(
    () => enrichNpis(config, "raw.nope", { db: p.db, registry: registry.url }),
    /No table raw\.nope in the warehouse/,
  );
});

Deno.test("enrich npi against a registry it cannot reach fails fast naming the address and what to do; an export of nothing enriched warns", async () => {
  await using p = await tempProject();
  const list = await p.write("list.txt", "npi\n1234567893\n");
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const registry = `http://127.0.0.1:${(closed.addr as Deno.NetAddr).port}/api/`;
  closed.close();
  const r = await runCli(["--db", p.db, "enrich", "npi", list, "--registry", registry], p.root);
  assert.equal(r.code, 1, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `^error: Cannot reach the NPI registry "${
        registry.replaceAll(".", "\\.")
      }": connection failed: .* \\(NPI 1234567893\\), and no request of this run \\(6\\) got an answer; in wharf\\.npi_ledger, 1 NPI asked now failed \\(retryable\\), 0 NPIs not asked still pending\\. Check the network and the address \\(--registry URL, or npi\\.registry in wharf\\.config\\.ts\\), then run the same command again: it asks for every NPI left\\.$`,
      "m",
    ),
  );
  // An export of nothing enriched says so.
  const out = await runCli(
    ["--project", REPO, "--db", p.db, "export", "npi-by-state", `${p.root}/out`],
    p.root,
  );
  assert.equal(out.code, 0, out.stderr);
  assert.match(
    out.stderr,
    /^warning: no NPI is enriched yet \(Failed\.csv says why for 1\): run `wharf enrich npi <list>` first$/m,
  );
});

Deno.test("enrich npi stops after the breaker's probe when no request of the run can connect: a few requests, not six per NPI, and the ledger resumes", async () => {
  await using p = await tempProject();
  const config = await npiProject(p);
  const npis = await validNpis(200, 720000000);
  const file = await p.write("npis.txt", npis.join("\n"));
  // A registry that accepts each connection and closes it at once: every request fails to connect.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let connections = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      connections++;
      conn.close();
    }
  })();
  const registry = `http://127.0.0.1:${(listener.addr as Deno.NetAddr).port}/api/`;
  try {
    await assert.rejects(
      () =>
        enrichNpis(config, file, {
          db: p.db,
          registry,
          concurrency: 4,
          ...FAST,
          breaker: { window: 10, threshold: 0.8, pauseMs: 50 },
        }),
      (err: Error) => {
        assert.equal(err.name, "UpstreamError");
        assert.match(
          err.message,
          new RegExp(`^Cannot reach the NPI registry "${registry}": connection failed: `),
        );
        return true;
      },
    );
  } finally {
    listener.close();
    await accepting.catch(() => {});
  }
  // The first wave and the probe after the pause: nowhere near 6 attempts for each of 200 NPIs.
  assert.ok(connections < 40, `${connections} connections`);
  const states = await query(
    p.db,
    "select state, retryable, count(*)::INT as n from wharf.npi_ledger group by all order by all",
  );
  const pending = states.find((r) => r.state === "pending")?.n as number;
  const failed = states.find((r) => r.state === "failed")?.n as number;
  assert.deepEqual(states.map((r) => [r.state, r.retryable]), [["failed", true], [
    "pending",
    false,
  ]]);
  assert.equal(failed + pending, 200);
  // The next run, against a registry that answers, asks for every NPI left.
  await using healthy = fakeRegistry();
  const again = await enrichNpis(config, file, { db: p.db, registry: healthy.url, ...FAST });
  assert.equal(again.fetched, 200);
  assert.equal(again.states.pending ?? 0, 0);
});

Deno.test("enrich npi's summary says how many failed NPIs its top three reasons leave out, and asks about reachability only when most requests could not get through", async () => {
  await using p = await tempProject();
  const npis = await validNpis(12, 700000000);
  // Four NPIs the registry answers with four different errors; the rest answer normally.
  const answers = new Map(
    npis.slice(0, 4).map((npi, i) => [
      npi,
      JSON.stringify({ Errors: [{ field: "number", number: "0" + i, description: `error ${i}` }] }),
    ]),
  );
  await using registry = fakeRegistry({ answers });
  const list = await p.write("list.txt", ["npi", ...npis].join("\n"));
  const r = await runCli(["--db", p.db, "enrich", "npi", list, "--registry", registry.url], p.root);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.split("\n");
  const at = lines.findIndex((l) => l.startsWith("4 NPIs failed"));
  assert.ok(at >= 0, r.stdout);
  assert.equal(
    lines.slice(at + 1, at + 4).filter((l) => /^ {2}1 NPI: .*error \d/.test(l)).length,
    3,
  );
  assert.equal(lines[at + 4], "  1 NPI for 1 other reason (wharf.npi_ledger's last_error).");
  assert.doesNotMatch(r.stdout, /reachable/);
});

Deno.test("Ctrl-C stops enrich npi once the requests under way end: they are saved, exit 130, and the rerun asks only for the rest", async () => {
  await using p = await tempProject();
  const npis = await validNpis(60, 710000000);
  await using registry = fakeRegistry({ latencyMs: 100 });
  const list = await p.write("list.txt", ["npi", ...npis].join("\n"));
  const args = [
    ...["--db", p.db, "enrich", "npi", list, "--registry", registry.url],
    ...["--concurrency", "2"],
  ];
  const child = cliCommand(args, { cwd: p.root }).spawn();
  // Some answers in, most of the list not asked yet.
  while (registry.requests < 6) await new Promise((r) => setTimeout(r, 20));
  child.kill("SIGINT");
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 130, new TextDecoder().decode(out.stderr));
  const saved = Number(/^Ledger: .*enriched (\d+)/m.exec(stdout)?.[1] ?? 0) +
    Number(/not_found (\d+)/.exec(stdout)?.[1] ?? 0) +
    Number(/ failed (\d+)/.exec(stdout)?.[1] ?? 0);
  const pending = Number(/pending (\d+)/.exec(stdout)?.[1]);
  assert.ok(saved >= 6 && pending > 0 && saved + pending === 60, stdout);
  assert.match(
    stdout,
    new RegExp(
      `^Interrupted by SIGINT \\(Ctrl-C\\): what was answered is saved in wharf\\.npi_ledger; ${pending} NPIs not asked yet\\. The same command again asks only for what is left\\.$`,
      "m",
    ),
  );
  // Every answer the registry finished was saved: the rerun asks for the others alone.
  const asked = new Set(registry.answered.keys());
  const again = await runCli(args, p.root);
  // (Exit 1: the fake registry answers some NPIs with its Errors, which stay failed.)
  assert.equal(again.code, 1, again.stderr);
  assert.match(again.stdout, new RegExp(`fetched ${pending} this run`));
  assert.match(again.stdout, /^Ledger: (?!.*pending)/m);
  assert.ok([...asked].every((npi) => registry.answered.get(npi) === 1), "no NPI answered twice");
});

Deno.test("Ctrl-C on enrich npi says at once what it waits for; a second Ctrl-C cuts the requests in flight off: exit 130, the ledger exact for the rerun", async () => {
  await using p = await tempProject();
  const npis = await validNpis(30, 735000000);
  // Every request is held a minute: only the interruption ends them.
  await using held = fakeRegistry({ latencyMs: 60_000 });
  const list = await p.write("list.txt", ["npi", ...npis].join("\n"));
  const args = ["--db", p.db, "enrich", "npi", list, "--concurrency", "3"];
  const child = cliCommand([...args, "--registry", held.url, "--timeout", "50s"], {
    cwd: p.root,
  }).spawn();
  const stdout = new Response(child.stdout).text();
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  /** Reads stderr until `pattern` shows, within `ms`; returns how long that took. */
  const waitFor = async (pattern: RegExp, ms: number) => {
    const start = performance.now();
    const deadline = setTimeout(() => child.kill("SIGKILL"), ms);
    while (!pattern.test(seen)) {
      const { value, done } = await stderr.read();
      if (done) break;
      seen += value;
    }
    clearTimeout(deadline);
    assert.match(seen, pattern);
    return performance.now() - start;
  };
  while (held.requests < 3) await new Promise((r) => setTimeout(r, 20));
  child.kill("SIGINT");
  const told = await waitFor(/\n?interrupted: .*\n/, 10_000);
  assert.ok(told < 5000, `${told} ms`);
  assert.match(
    seen,
    /^interrupted: waiting up to 50 s for 3 requests in flight to finish \(Ctrl-C again to stop now\); what is done is kept and a rerun resumes$/m,
  );
  child.kill("SIGINT");
  // Far below the 50 s the requests could still take.
  const watchdog = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const status = await child.status;
  clearTimeout(watchdog);
  for (let r = await stderr.read(); !r.done; r = await stderr.read()) seen += r.value;
  assert.equal(status.code, 130, seen);
  assert.match(seen, /^interrupted again: cutting off the requests in flight/m);
  const out = await stdout;
  assert.match(out, /^Ledger: failed 3, pending 27\.$/m);
  const failed = await query(
    p.db,
    "select retryable, last_error from wharf.npi_ledger where state = 'failed'",
  );
  assert.deepEqual(
    failed,
    [0, 1, 2].map(() => ({
      retryable: true,
      last_error: "request cut off: interrupted twice by SIGINT (Ctrl-C)",
    })),
  );
  // The same command against a registry that answers asks for all 30, once each.
  await using healthy = fakeRegistry();
  const again = await runCli([...args, "--registry", healthy.url, "--json"], p.root);
  assert.equal(JSON.parse(again.stdout).fetched, 30, again.stderr);
  assert.ok(npis.every((npi) => healthy.arrivals.get(npi)?.length === 1));
});

for (
  const [signal, code, by] of [["SIGINT", 130, "SIGINT \\(Ctrl-C\\)"], [
    "SIGTERM",
    143,
    "SIGTERM",
  ]] as const
) {
  Deno.test(`${signal} ends enrich npi at once even while every request waits out a long Retry-After: exit ${code}, the ledger resumable`, async () => {
    await using p = await tempProject();
    const npis = await validNpis(30, 730000000);
    // Every answer asks to wait 3000 s (under the cap given): the whole run holds.
    await using limited = fakeRegistry({ faults: { tooMany: 1, retryAfter: "3000" } });
    const list = await p.write("list.txt", ["npi", ...npis].join("\n"));
    const args = ["--db", p.db, "enrich", "npi", list, "--concurrency", "2"];
    const child = cliCommand(
      [...args, "--registry", limited.url, "--max-retry-wait", "2h"],
      { cwd: p.root },
    ).spawn();
    while (limited.requests < 2) await new Promise((r) => setTimeout(r, 20));
    child.kill(signal);
    // A watchdog, far beyond the prompt stop and far below the hold: waiting out 3000 s is the bug.
    const watchdog = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const out = await child.output();
    clearTimeout(watchdog);
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, code, new TextDecoder().decode(out.stderr));
    // The two first requests, and at most the two that passed the breaker before its hold.
    const asked = limited.requests;
    assert.ok(asked >= 2 && asked <= 4, `${asked} requests`);
    assert.match(stdout, new RegExp(`^Ledger: failed ${asked}, pending ${30 - asked}\\.$`, "m"));
    assert.match(
      stdout,
      new RegExp(`^Interrupted by ${by}: .*; ${30 - asked} NPIs not asked yet\\.`, "m"),
    );
    const failed = await query(
      p.db,
      "select retryable, last_error from wharf.npi_ledger where state = 'failed'",
    );
    for (const r of failed) {
      assert.equal(r.retryable, true);
      assert.match(
        String(r.last_error),
        new RegExp(`^HTTP 429 with Retry-After "3000"; then interrupted by ${by}$`),
      );
    }
    // The same command against a registry that answers asks for all 30 again, once each.
    await using healthy = fakeRegistry();
    const again = await runCli([...args, "--registry", healthy.url, "--json"], p.root);
    assert.equal(JSON.parse(again.stdout).fetched, 30, again.stderr);
    assert.ok(npis.every((npi) => healthy.arrivals.get(npi)?.length === 1));
  });
}

Deno.test("an NPI list that is a CSV gives its npi column; one without a header or an npi column, or with no valid NPI, fails naming the file", async () => {
  await using p = await tempProject();
  const config = await npiProject(p);
  const npis = await validNpis(3, 740000000);
  await using registry = fakeRegistry();
  const csv = await p.write(
    "providers.csv",
    `name,NPI,state\n"SMITH, JOHN",${npis[0]},NY\nACME,${npis[1]},CA\n"DOE, JANE",${npis[0]},NY\n`,
  );
  const fromCsv = await enrichNpis(config, csv, { db: p.db, registry: registry.url, ...FAST });
  assert.deepEqual([fromCsv.distinct, fromCsv.duplicates, fromCsv.invalid], [2, 1, 0]);
  assert.deepEqual([...registry.arrivals.keys()].sort(), [npis[0], npis[1]].sort());
  const tsv = await p.write("providers.tsv", `npi\tname\n${npis[2]}\tX\n`);
  assert.equal(
    (await enrichNpis(config, tsv, { db: p.db, registry: registry.url, ...FAST })).fetched,
    1,
  );
  const noColumn = await p.write("no-npi.csv", `id,name\n${npis[0]},X\n`);
  await assert.rejects(
    () => enrichNpis(config, noColumn, { db: p.db, registry: registry.url }),
    {
      name: "WharfError",
      message:
        `Cannot read the NPI list "${noColumn}": it looks like a CSV ("," between values) and its header ("id", "name") names no "npi" column; name the column of NPIs "npi", or give one NPI per line`,
    },
  );
  const noHeader = await p.write("no-header.csv", `${npis[0]},X\n`);
  await assert.rejects(
    () => enrichNpis(config, noHeader, { db: p.db, registry: registry.url }),
    /looks like a CSV \("," between values\) without a header row; expected one NPI per line, or a header row naming an "npi" column$/,
  );
  // A list whose every value is invalid fails (exit 1) naming the file and its first bad lines.
  const bad = await p.write("bad.txt", "npi\n12345\nabc\n\n1234567890\n999\n");
  const before = await query(p.db, "select count(*)::INT as n from wharf.npi_ledger");
  const r = await runCli(["--db", p.db, "enrich", "npi", bad, "--registry", registry.url], p.root);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(
    r.stderr.trim(),
    `error: No valid NPI in "${bad}": all 4 values fail the NPI check (10 digits, the last a Luhn check digit over 80840 and the first nine): line 2 "12345", line 3 "abc", line 5 "1234567890", …; expected one NPI per line (a header line allowed), or a CSV with an "npi" column`,
  );
  assert.deepEqual(await query(p.db, "select count(*)::INT as n from wharf.npi_ledger"), before);
});

Deno.test("enrich npi --json: the counts add up to the list, across a rerun and an interrupted run", async () => {
  await using p = await tempProject();
  const config = await npiProject(p);
  const npis = await validNpis(20, 750000000);
  await using registry = fakeRegistry();
  // Eight NPIs done by an earlier run; the list repeats three and holds two invalid values.
  const early = await p.write("early.txt", npis.slice(0, 8).join("\n"));
  await enrichNpis(config, early, { db: p.db, registry: registry.url, ...FAST });
  const list = await p.write(
    "list.txt",
    ["npi", ...npis, ...npis.slice(0, 3), "1234567890", "12345"].join("\n"),
  );
  const r = await runCli(
    ["--db", p.db, "--json", "enrich", "npi", list, "--registry", registry.url],
    p.root,
  );
  const s = JSON.parse(r.stdout);
  assert.deepEqual(
    [s.lines, s.distinct, s.duplicates, s.invalid, s.alreadyDone, s.total, s.notAsked],
    [25, 22, 3, 2, 8, 12, 0],
  );
  assert.equal(s.enriched + s.notFound + s.failed + s.notAsked, s.total);
  assert.equal(s.invalid + s.alreadyDone + s.total, s.distinct);
  assert.equal(Object.values(s.states as Record<string, number>).reduce((a, b) => a + b), 22);
  assert.equal(s.fetched, 12);
  assert.ok(npis.every((npi) => registry.arrivals.get(npi)?.length === 1), "each NPI asked once");
  // Interrupted after three results: the rest of this run's NPIs are notAsked, and pending.
  const more = await validNpis(30, 760000000);
  const stop = new AbortController();
  const cut = await enrichNpis(config, await p.write("more.txt", more.join("\n")), {
    db: p.db,
    registry: registry.url,
    concurrency: 1,
    ...FAST,
    signal: stop.signal,
    onProgress: (q) => q.done >= 3 && stop.abort("test"),
  });
  assert.ok(cut.notAsked > 0 && cut.notAsked === cut.states.pending, JSON.stringify(cut));
  assert.equal(cut.enriched + cut.notFound + cut.failed + cut.notAsked, cut.total);
  assert.equal(cut.invalid + cut.alreadyDone + cut.total, cut.distinct);
});
