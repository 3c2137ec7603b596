import assert from "node:assert/strict";
import {
  type DownloadRetryInfo,
  resumableDownload,
  type Validators,
} from "../../src/net/resumable_download.ts";
import {
  answer,
  cutOff,
  type FaultyRequest,
  faultyServer,
  rangeAnswer,
  rangeStart,
} from "./faulty_server.ts";
import { collect, fetchFailure } from "./helpers.ts";

const FAST = { baseDelayMs: 1, maxDelayMs: 5, timeoutMs: 5000 };

/** 200,000 bytes that differ from place to place, so a splice at the wrong offset shows. */
function file(seed: number, size = 200_000): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed * 7 + (i >> 8)) & 0xff);
}

/** What the server saw: the range asked and the If-Range sent. */
function asked(requests: FaultyRequest[]): string[] {
  return requests.map((r) => `${r.headers.range ?? "-"} ${r.headers["if-range"] ?? "-"}`);
}

Deno.test("resumableDownload() resumes each dropped connection with Range and If-Range, and the bytes are whole", async () => {
  const body = file(1);
  // Every answer stops 60,000 bytes after where it started: four requests in all.
  await using server = faultyServer((req) => {
    const from = rangeStart(req) ?? 0;
    const steps = from === 0
      ? cutOff(body, 60_000, { etag: '"v1"' })
      : rangeAnswer(body, from, { etag: '"v1"' });
    if (from + 60_000 < body.length) {
      steps[1] = { body: body.subarray(from, from + 60_000) };
    }
    return steps;
  });
  const retries: DownloadRetryInfo[] = [];
  // Two attempts in a row would not be enough, but every resume gets further.
  const download = await resumableDownload(`${server.base}/big.bin`, {
    ...FAST,
    attempts: 2,
    onRetry: (r) => retries.push(r),
  });
  assert.deepEqual([download.offset, download.total, download.notModified], [0, 200_000, false]);
  assert.deepEqual(await collect(download.body), body);
  assert.deepEqual(asked(server.requests), [
    "- -",
    'bytes=60000- "v1"',
    'bytes=120000- "v1"',
    'bytes=180000- "v1"',
  ]);
  assert.deepEqual(retries.map((r) => [r.attempt, r.at]), [[2, 60_000], [3, 120_000], [
    4,
    180_000,
  ]]);
  assert.match(retries[0]!.error, /^connection lost after 60000 of 200000 bytes: /);
});

Deno.test("resumableDownload(): a file whose ETag changed before the resume starts over with onRestart, and fails without", async () => {
  const v1 = file(1);
  const v2 = file(2, 150_000);
  const serve = (req: FaultyRequest) => {
    const from = rangeStart(req);
    if (from === undefined) return cutOff(v1, 70_000, { etag: '"v1"' });
    // Changed meanwhile: If-Range no longer matches, so the whole new file comes (RFC 9110 §13.1.5).
    return req.headers["if-range"] === '"v2"'
      ? rangeAnswer(v2, from, { etag: '"v2"' })
      : answer(200, v2, { etag: '"v2"' });
  };
  await using server = faultyServer(serve);
  const restarts: Validators[] = [];
  const received: Uint8Array[] = [];
  const download = await resumableDownload(`${server.base}/f`, {
    ...FAST,
    onRestart: (v) => {
      restarts.push(v);
      received.length = 0;
    },
  });
  for await (const chunk of download.body) received.push(chunk);
  assert.deepEqual(restarts, [{ etag: '"v2"', lastModified: undefined }]);
  assert.deepEqual(await collect(ReadableStream.from(received)), v2);
  assert.deepEqual([download.total, download.validators.etag], [150_000, '"v2"']);

  // A reader that has used the bytes already cannot start over: the stream fails.
  await using again = faultyServer(serve);
  const strict = await resumableDownload(`${again.base}/f`, FAST);
  const err = await fetchFailure(collect(strict.body));
  assert.equal(err.kind, "changed");
  assert.equal(
    err.message,
    `Cannot download "${again.base}/f" after 2 attempts: cannot resume at byte 70000: it changed (ETag "v1", now "v2")`,
  );
});

Deno.test("resumableDownload(): a server that resumes a changed file anyway, or ignores Range, cannot be spliced", async () => {
  const body = file(3);
  // It answers 206 to the new version without checking If-Range.
  await using careless = faultyServer((req) => {
    const from = rangeStart(req);
    return from === undefined
      ? cutOff(body, 50_000, { etag: '"a"' })
      : rangeAnswer(file(4), from, { etag: '"b"' });
  });
  const a = await fetchFailure(collect((await resumableDownload(`${careless.base}/f`, FAST)).body));
  assert.equal(a.kind, "changed");
  assert.equal(
    a.detail,
    'cannot resume at byte 50000: it changed (ETag "a", now "b"), and the server sent the rest of the new version',
  );

  // It answers every request with the whole file.
  await using whole = faultyServer(() => cutOff(body, 50_000));
  const b = await fetchFailure(collect((await resumableDownload(`${whole.base}/f`, FAST)).body));
  assert.equal(
    b.detail,
    "cannot resume at byte 50000: the server does not resume downloads (it answered a Range request with the whole file)",
  );
  // With onRestart it starts over (and still gives up when no attempt gets further).
  const c = await fetchFailure(
    collect((await resumableDownload(`${whole.base}/f`, { ...FAST, onRestart: () => {} })).body),
  );
  assert.equal(c.kind, "connection");
  assert.equal(c.attempts, 5);
});

Deno.test("resumableDownload(): after a careless 206 of a new version, a consumer with onRestart gets the new file whole", async () => {
  const v1 = file(10);
  const v2 = file(11, 120_000);
  await using server = faultyServer((req, n) =>
    n === 1
      ? cutOff(v1, 50_000, { etag: '"a"' })
      : rangeStart(req) !== undefined
      ? rangeAnswer(v2, rangeStart(req)!, { etag: '"b"' })
      : answer(200, v2, { etag: '"b"' })
  );
  const restarts: Validators[] = [];
  let received: Uint8Array[] = [];
  const download = await resumableDownload(`${server.base}/f`, {
    ...FAST,
    revalidate: { etag: '"a"' },
    onRestart: (v) => {
      restarts.push(v);
      received = [];
    },
  });
  for await (const chunk of download.body) received.push(chunk);
  assert.deepEqual(await collect(ReadableStream.from(received)), v2);
  assert.deepEqual(restarts, [{ etag: '"b"', lastModified: undefined }]);
  // The copy is revalidated by the first request only: the restart asks for the file itself.
  assert.deepEqual(
    server.requests.map((r) => `${r.headers.range ?? "-"} ${r.headers["if-none-match"] ?? "-"}`),
    ['- "a"', "bytes=50000- -", "- -"],
  );

  // Opening from a partial copy, the same answer just means: download it whole.
  await using again = faultyServer((req) =>
    rangeStart(req) !== undefined
      ? rangeAnswer(v2, rangeStart(req)!, { etag: '"b"' })
      : answer(200, v2, { etag: '"b"' })
  );
  const fresh = await resumableDownload(`${again.base}/f`, {
    ...FAST,
    resumeFrom: { offset: 50_000, validators: { etag: '"a"' } },
  });
  assert.deepEqual([fresh.offset, fresh.validators.etag], [0, '"b"']);
  assert.deepEqual(await collect(fresh.body), v2);
});

Deno.test("resumableDownload() resumes a body that stalls, and asks again a server that hangs", async () => {
  const body = file(5);
  await using stalling = faultyServer((req) => {
    const from = rangeStart(req);
    if (from !== undefined) return rangeAnswer(body, from);
    return [...cutOff(body, 90_000), { hang: true }];
  });
  const retries: DownloadRetryInfo[] = [];
  const download = await resumableDownload(`${stalling.base}/f`, {
    ...FAST,
    idleTimeoutMs: 200,
    onRetry: (r) => retries.push(r),
  });
  assert.deepEqual(await collect(download.body), body);
  assert.deepEqual(retries.map((r) => [r.at, r.error]), [[
    90_000,
    "no data for 200 ms after byte 90000",
  ]]);

  await using hanging = faultyServer((_req, n) => n === 1 ? [{ hang: true }] : answer(200, body));
  const second = await resumableDownload(`${hanging.base}/f`, { ...FAST, timeoutMs: 200 });
  assert.deepEqual(await collect(second.body), body);
  assert.equal(hanging.requests.length, 2);
});

Deno.test("resumableDownload() goes on from a partial copy, knows a complete one by 416, and starts over when it is stale", async () => {
  const body = file(6);
  await using server = faultyServer((req) => {
    const from = rangeStart(req);
    if (from === undefined) return answer(200, body, { etag: '"v1"' });
    if (req.headers["if-range"] !== '"v1"') return answer(200, body, { etag: '"v1"' });
    if (from >= body.length) {
      return answer(416, "", { "content-range": `bytes */${body.length}` });
    }
    return rangeAnswer(body, from, { etag: '"v1"' });
  });
  const url = `${server.base}/f`;
  const v1 = { etag: '"v1"' };
  const rest = await resumableDownload(url, {
    ...FAST,
    resumeFrom: { offset: 1234, validators: v1 },
  });
  assert.deepEqual([rest.offset, rest.total], [1234, 200_000]);
  assert.deepEqual(await collect(rest.body), body.subarray(1234));

  const complete = await resumableDownload(url, {
    ...FAST,
    resumeFrom: { offset: 200_000, validators: v1 },
  });
  assert.deepEqual([complete.offset, complete.total], [200_000, 200_000]);
  assert.equal((await collect(complete.body)).length, 0);

  const stale = await resumableDownload(url, {
    ...FAST,
    resumeFrom: { offset: 1234, validators: { etag: '"v0"' } },
  });
  assert.deepEqual([stale.offset, stale.validators.etag], [0, '"v1"']);
  assert.deepEqual(await collect(stale.body), body);

  // A copy longer than the file: 416 with another size, so the file is asked whole.
  const longer = await resumableDownload(url, {
    ...FAST,
    resumeFrom: { offset: 300_000, validators: v1 },
  });
  assert.equal(longer.offset, 0);
  assert.deepEqual(await collect(longer.body), body);
  assert.deepEqual(asked(server.requests), [
    'bytes=1234- "v1"',
    'bytes=200000- "v1"',
    'bytes=1234- "v0"',
    'bytes=300000- "v1"',
    "- -",
  ]);
});

Deno.test("resumableDownload() revalidates a copy: 304 keeps it, a changed file comes whole", async () => {
  const body = file(7, 1000);
  let etag = '"v1"';
  await using server = faultyServer((req) =>
    req.headers["if-none-match"] === etag ? answer(304) : answer(200, body, { etag })
  );
  const url = `${server.base}/f`;
  const same = await resumableDownload(url, { ...FAST, revalidate: { etag: '"v1"' } });
  assert.equal(same.notModified, true);
  assert.equal((await collect(same.body)).length, 0);
  etag = '"v2"';
  const changed = await resumableDownload(url, { ...FAST, revalidate: { etag: '"v1"' } });
  assert.deepEqual([changed.notModified, changed.validators.etag], [false, '"v2"']);
  assert.deepEqual(await collect(changed.body), body);
});

Deno.test("resumableDownload(): Retry-After before the body is waited for, a 404 is final, too much is refused", async () => {
  const body = file(8, 5000);
  await using server = faultyServer((req, n) => {
    if (req.path === "/missing") return answer(404, "gone");
    if (req.path === "/big") return answer(200, body);
    if (req.path === "/more") {
      // A 206 announcing the bytes up to 4999, then more than that, until the connection closes.
      return [
        { status: 206, headers: { "content-range": `bytes 10-4999/5000` } },
        { body: file(8, 6000).subarray(10) },
      ];
    }
    if (req.path === "/more-first") return cutOff(body, 10);
    return n === 1 ? answer(503, "", { "retry-after": "0" }) : answer(200, body);
  });
  const retried = await resumableDownload(`${server.base}/busy`, FAST);
  assert.deepEqual(await collect(retried.body), body);

  const missing = await fetchFailure(resumableDownload(`${server.base}/missing`, FAST));
  assert.deepEqual([missing.kind, missing.status, missing.attempts], ["status", 404, 1]);
  assert.equal(missing.message, `Cannot download "${server.base}/missing": HTTP 404 Not Found`);

  const big = await fetchFailure(
    resumableDownload(`${server.base}/big`, { ...FAST, maxBytes: 4096 }),
  );
  assert.deepEqual([big.kind, big.detail], [
    "too_large",
    "the file is larger than the 4096-byte cap",
  ]);

  const more = await fetchFailure(
    collect(
      (await resumableDownload(`${server.base}/more`, {
        ...FAST,
        resumeFrom: { offset: 10, validators: {} },
      })).body,
    ),
  );
  assert.deepEqual([more.kind, more.detail], [
    "too_large",
    "the server sent more than the 5000 bytes it announced",
  ]);
});

Deno.test("resumableDownload(): cancelling the body ends a retry's wait at once", async () => {
  const body = file(9);
  await using server = faultyServer((req) =>
    rangeStart(req) === undefined ? cutOff(body, 1000) : answer(503, "", { "retry-after": "30" })
  );
  const download = await resumableDownload(`${server.base}/f`, FAST);
  const reader = download.body.getReader();
  const first = await reader.read();
  assert.equal(first.value?.length, 1000);
  const waiting = reader.read(); // the connection ends: a resume, then a 30 s wait
  for (let i = 0; i < 100 && server.requests.length < 2; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(server.requests.length, 2);
  await reader.cancel();
  assert.deepEqual(await waiting, { done: true, value: undefined });
  assert.equal(server.requests.length, 2);
});
