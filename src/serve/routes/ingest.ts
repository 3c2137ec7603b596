/**
 * `POST /api/ingest/{source}`: land an uploaded file (multipart or raw
 * body) through the same code as `wharf land`. The upload streams to disk
 * within its limits (size, pauses, total time), then becomes a job of the
 * process's one landing queue; the request answers when the file is
 * committed, or 202 with the job to poll at `GET /api/ingest/jobs/{id}` when
 * that takes longer than `serve.ingestWaitMs`.
 *
 * @module
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import busboy from "busboy";
import { rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { ContentConflictError, WarehouseError, WharfError } from "../../engine/errors.ts";
import type { FieldsHint, Source } from "../../land/sources.ts";
import { formatFromName } from "../../land/detect.ts";
import {
  alreadyLandedMessage,
  landedNote,
  LISTED_TEXT_CHARS,
  REJECTS_LISTED,
} from "../../land/land_file.ts";
import { type LandingJob, QueueClosedError } from "../../land/landing_queue.ts";
import { requireToken } from "../auth.ts";
import type { AppDeps, IngestDeps } from "../deps.ts";
import { HttpError } from "../errors.ts";
import { closest } from "../../engine/suggest.ts";
import { noQuery } from "../no_query.ts";
import { tokenDocs } from "../token_docs.ts";
import {
  readBody,
  receiveUpload,
  tooLarge,
  UploadFile,
  type UploadLimits,
} from "../upload_file.ts";

const ERROR_TYPE_DOC =
  "The class of wharf's error when the landing failed: FileNameError (the name does not give the source's delivery fields), HeaderMismatchError (the header does not fit the source's columns), ContentConflictError (the content landed as another source), LandingError (the file cannot be read or landed), WarehouseBusyError (503: the warehouse stayed held). Errors of the request itself (token, file name, extension, size, time) have none.";

const ErrorBody = z.object({
  error: z.string(),
  type: z.string().optional().openapi({ description: ERROR_TYPE_DOC, example: "FileNameError" }),
}).passthrough().openapi("IngestError");

const Reject = z.object({
  line: z.number().int().openapi({
    description:
      "Where the record starts: the line in the file (the row of a sheet, the element of a JSON array)",
  }),
  error: z.string().openapi({
    description: "Why it was rejected, e.g. TOO MANY COLUMNS: expected 6 fields, found 7",
  }),
  text: z.string().openapi({
    description: `The record as delivered, its first ${LISTED_TEXT_CHARS} characters`,
  }),
}).openapi("Reject");

const Landed = z.object({
  job_id: z.string(),
  status: z.enum(["landed", "skipped"]),
  skipped_as_duplicate: z.boolean(),
  batch_id: z.number().nullable(),
  rows: z.number(),
  rejected_rows: z.number().openapi({ description: "Records rejected, all of them" }),
  rejects: z.array(Reject).openapi({
    description:
      `The first ${REJECTS_LISTED} rejected records, in file order (wharf.rejects holds every one, by batch_id)`,
  }),
  rejects_not_listed: z.number().int().openapi({
    description: "Rejected records beyond those listed in rejects",
  }),
  sha256: z.string().nullable(),
  message: z.string().nullable(),
}).openapi("Landed");

const Job = z.object({
  job_id: z.string(),
  status: z.enum(["queued", "landing", "landed", "skipped", "failed"]),
  file: z.string(),
  submitted_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  waiting: z.string().optional().openapi({
    description: "While the warehouse is held by another process: which",
  }),
  result: Landed.optional(),
  error: z.string().optional(),
  error_type: z.string().optional().openapi({ description: ERROR_TYPE_DOC }),
  http_status: z.number().optional().openapi({
    description: "What the upload would have answered, once finished",
  }),
}).openapi("IngestJob");

/** A JSON response of the OpenAPI document. */
function json(description: string, schema: z.ZodType = ErrorBody) {
  return { description, content: { "application/json": { schema } } };
}

/** Uploads and their jobs need the write token, whatever the configuration. */
const UPLOAD_ACCESS = tokenDocs(
  true,
  "Wrong token, the read token (uploads need the write token), or uploads disabled",
);

/** What an upload to a known source answers. */
const UPLOAD_RESPONSES = {
  200: json("The manifest entry", Landed),
  202: json("Still landing: poll the job", Job),
  ...UPLOAD_ACCESS.responses,
  400: json(
    "An unknown query parameter (named, with the closest), a multipart upload with a second file or a part that is not a file (named), " +
      "the file name does not fit the source's pattern (and no delivery fields were given), " +
      "or the file does not fit the source (extension, header), or it cannot be read",
  ),
  408: json("The upload paused too long or took too long"),
  409: json(
    "The same content already landed as another source (named in `source`, with `file` and `batch_id`)",
  ),
  413: json("Over the size limit"),
  503: json("The warehouse stayed busy (a build is running), or the server is stopping"),
};

const UPLOAD_DESCRIPTION =
  "Send the file as multipart/form-data (one file part, with its file name, and no other part) or as the raw body with ?filename=. " +
  "Requires `Authorization: Bearer <token>`. Answers when the file is committed, or 202 with a job " +
  "to poll when landing takes longer than serve.ingestWaitMs.";

const FILENAME = z.string().optional().openapi({
  description: "The file's name, with a raw body (a multipart upload gives its file part's)",
});

/** The upload route for any source; documented only when no source is known (uploads disabled, or none configured). */
const route = createRoute({
  method: "post",
  path: "/api/ingest/{source}",
  summary: "Land an uploaded file as a source",
  description: UPLOAD_DESCRIPTION,
  security: UPLOAD_ACCESS.security,
  request: {
    params: z.object({ source: z.string() }),
    query: z.object({ filename: FILENAME }).passthrough().openapi({
      description:
        "Besides filename: the delivery fields of a file whose name does not carry them, by the " +
        "names of the source pattern's groups (e.g. ?client=clientA&period=202307). They are part " +
        "of the delivery's identity: the same name and bytes with other fields is a new delivery",
    }),
  },
  responses: { ...UPLOAD_RESPONSES, 404: json("Unknown source") },
});

/**
 * The upload route of one source, as documented: its own path, with
 * `filename` and the source's delivery fields as its query parameters, so
 * a generated client has an operation per source taking exactly those. The
 * route for any source serves it.
 */
function sourceRoute(source: Source) {
  const fields = Object.fromEntries(source.groups.map((g) => [
    g,
    z.string().optional().openapi({
      description:
        `Delivery field "${g}" (the group of the pattern ${source.pattern}): give it when the file name does not carry it. ` +
        "Part of the delivery's identity: the same name and bytes with other fields is a new delivery",
    }),
  ]));
  return createRoute({
    method: "post",
    path: `/api/ingest/${source.name}`,
    summary: `Land an uploaded file as source ${source.name}`,
    description: UPLOAD_DESCRIPTION,
    security: UPLOAD_ACCESS.security,
    request: { query: z.object({ filename: FILENAME, ...fields }) },
    responses: UPLOAD_RESPONSES,
  });
}

const jobRoute = createRoute({
  method: "get",
  path: "/api/ingest/jobs/{id}",
  summary: "An upload's landing job",
  middleware: noQuery,
  security: UPLOAD_ACCESS.security,
  request: { params: z.object({ id: z.string() }) },
  responses: {
    ...UPLOAD_ACCESS.responses,
    200: json("The job", Job),
    400: json("A query parameter (it takes none)"),
    404: json("No such job (or long forgotten)"),
  },
});

/** The part of busboy's streaming multipart parser used here (the package ships no types). */
interface MultipartParser {
  write(chunk: Uint8Array): boolean;
  end(): void;
  on(
    event: "file",
    listener: (field: string, stream: FilePart, info: { filename: string }) => void,
  ): void;
  on(event: "field", listener: (field: string) => void): void;
  on(event: "error", listener: (err: unknown) => void): void;
  on(event: "close", listener: () => void): void;
}

/** A file part as busboy streams it. */
interface FilePart {
  on(event: "data", listener: (chunk: Uint8Array) => void): void;
  on(event: "limit", listener: () => void): void;
  resume(): void;
}

const createParser = busboy as unknown as (options: {
  headers: Record<string, string>;
  limits: { fileSize: number };
}) => MultipartParser;

/** The 403 of an upload or job sent with the read token. */
const READ_TOKEN_UPLOAD =
  "This token only reads: uploads need the write token (serve.token in wharf.config.ts, or WHARF_API_TOKEN)";

function authorize(deps: AppDeps, header: string | undefined): IngestDeps {
  const { ingest } = deps;
  if (!ingest) {
    throw new HttpError(
      403,
      "Uploads are disabled: configure serve.token in wharf.config.ts or WHARF_API_TOKEN",
    );
  }
  requireToken(header, {
    tokens: [ingest.token],
    what: "uploads",
    readOnly: { tokens: deps.readTokens ?? [], message: READ_TOKEN_UPLOAD },
  });
  return ingest;
}

/**
 * The file name an upload is landed under: its last path segment, at most
 * 255 bytes of UTF-8, without control characters.
 *
 * @throws {HttpError} 400 naming what is wrong.
 */
export function uploadName(raw: string | undefined): string {
  const name = basename((raw ?? "").replaceAll("\\", "/"));
  if (!name) {
    throw new HttpError(
      400,
      "Missing file name: pass ?filename=<name> with a raw body, or upload multipart with a file name",
    );
  }
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) {
    throw new HttpError(
      400,
      `Invalid file name ${JSON.stringify(name)}: it holds a control character (NUL, newline, …)`,
    );
  }
  const bytes = new TextEncoder().encode(name).length;
  if (bytes > 255) {
    throw new HttpError(
      400,
      `Invalid file name "${name.slice(0, 40)}…": ${bytes} bytes long, the limit is 255`,
    );
  }
  if (name === "." || name === "..") throw new HttpError(400, `Invalid file name "${name}"`);
  return name;
}

/**
 * Streams the one file part of a multipart body to `path`; returns its file name.
 *
 * @throws {HttpError} 400 naming a second file part or a part that is not a
 * file: an upload is one file, and no part is ignored.
 */
async function receiveMultipart(req: Request, path: string, limits: UploadLimits): Promise<string> {
  let bb: MultipartParser;
  try {
    bb = createParser({
      headers: Object.fromEntries(req.headers),
      limits: { fileSize: limits.maxBytes + 1 },
    });
  } catch (err) {
    throw new HttpError(400, `Malformed multipart upload: ${(err as Error).message}`);
  }
  let file: UploadFile | undefined;
  let first: { field: string; name: string } | undefined;
  let failure: unknown;
  const closed = new Promise<void>((resolve, reject) => {
    bb.on("close", resolve);
    bb.on(
      "error",
      (err) => reject(new HttpError(400, `Malformed multipart upload: ${(err as Error).message}`)),
    );
  });
  closed.catch(() => {});
  bb.on("field", (field) => {
    failure ??= new HttpError(
      400,
      `Unexpected part ${
        JSON.stringify(field)
      } in the multipart upload: it is not a file (it has no file name); send one file part, with its file name, and nothing else (delivery fields go in the query string)`,
    );
  });
  bb.on("file", (field, stream, info) => {
    if (first) {
      failure ??= new HttpError(
        400,
        `Unexpected second file in the multipart upload: part ${JSON.stringify(field)} (${
          JSON.stringify(info.filename)
        }) after part ${JSON.stringify(first.field)} (${
          JSON.stringify(first.name)
        }); upload one file a request`,
      );
    }
    if (failure) return stream.resume();
    try {
      first = { field, name: uploadName(info.filename) };
      file = UploadFile.create(path, limits.maxBytes);
    } catch (err) {
      failure = err;
      return stream.resume();
    }
    const sink = file;
    stream.on("data", (chunk) => {
      if (failure) return;
      try {
        sink.push(chunk);
      } catch (err) {
        failure = err;
      }
    });
    stream.on("limit", () => (failure ??= tooLarge(limits.maxBytes)));
  });
  try {
    await readBody(req.body!, limits, (chunk) => {
      bb.write(chunk);
      if (failure) throw failure;
    });
    bb.end();
    await closed;
    if (failure) throw failure;
    if (!file || !first) {
      throw new HttpError(400, "No file in the multipart upload: send it as a file part");
    }
    file.finish();
    return first.name;
  } catch (err) {
    file?.discard();
    throw err;
  }
}

function iso(d: Date | undefined): string | null {
  return d?.toISOString() ?? null;
}

/** What an upload answers for a finished job: status and body. */
function finishedAnswer(
  job: LandingJob,
  log: AppDeps["log"],
): { status: 200 | 400 | 409 | 500 | 503; body: Record<string, unknown>; retry?: boolean } {
  if (job.state === "done") {
    const outcome = job.outcomes![0]!;
    if (outcome.error instanceof ContentConflictError) {
      const e = outcome.error;
      // The server's paths are not the client's business: the earlier file by its name.
      const other = basename(e.otherFile);
      return {
        status: 409,
        body: {
          error: e.message.replaceAll(e.otherFile, other),
          type: e.name,
          source: e.otherSource,
          file: other,
          batch_id: e.batchId,
        },
      };
    }
    if (outcome.status === "failed") {
      return {
        status: 400,
        body: {
          error: outcome.message ?? `File "${job.label}" could not be landed`,
          type: outcome.error?.name,
        },
      };
    }
    const rejects = outcome.rejects ?? [];
    return {
      status: 200,
      body: {
        job_id: job.id,
        status: outcome.status,
        skipped_as_duplicate: outcome.status === "skipped",
        batch_id: outcome.batchId ?? null,
        rows: outcome.rows,
        rejected_rows: outcome.rejectedRows,
        rejects: rejects.map((r) => ({ line: r.line, error: r.error, text: r.text })),
        rejects_not_listed: outcome.rejectedRows - rejects.length,
        sha256: outcome.sha256 ?? null,
        // The earlier landing of the same content by its file name, not the server's path.
        message: outcome.status === "skipped" && outcome.sameAs
          ? alreadyLandedMessage(outcome.sameAs, { name: outcome.sameAs.fileName })
          : outcome.status === "landed"
          ? landedNote(outcome, { byFileName: true }) ?? null
          : outcome.message ?? null,
      },
    };
  }
  const err = job.error;
  if (err instanceof QueueClosedError) return { status: 503, body: { error: err.message } };
  if (err instanceof WarehouseError) {
    return {
      status: 503,
      body: { error: `The warehouse is busy: ${err.message}`, type: err.name },
      retry: true,
    };
  }
  if (err instanceof WharfError) {
    return { status: 400, body: { error: err.message, type: err.name } };
  }
  log?.({
    time: new Date().toISOString(),
    level: "error",
    event: "ingest_job",
    job: job.id,
    error: err instanceof Error ? err.stack : String(err),
  });
  return { status: 500, body: { error: "Internal error: see the server log" } };
}

/** A job as `GET /api/ingest/jobs/{id}` shows it. */
function jobBody(job: LandingJob, log: AppDeps["log"]): Record<string, unknown> {
  const body: Record<string, unknown> = {
    job_id: job.id,
    status: job.state === "done" ? job.outcomes![0]!.status : job.state,
    file: job.label,
    submitted_at: iso(job.submittedAt),
    started_at: iso(job.startedAt),
    finished_at: iso(job.finishedAt),
  };
  if (job.waiting) body.waiting = job.waiting;
  if (job.state === "done" || job.state === "failed") {
    const answer = finishedAnswer(job, log);
    if (answer.status === 200) body.result = answer.body;
    else {
      body.error = answer.body.error;
      body.error_type = answer.body.type;
    }
    body.http_status = answer.status;
  }
  return body;
}

/** How an upload names delivery fields, in messages asking for them: `?client=…&period=…`. */
export const QUERY_FIELDS: FieldsHint = (fields) => `?${fields.map((g) => `${g}=…`).join("&")}`;

/**
 * The delivery fields an upload names in its query (`?client=…&period=…`):
 * every key but `filename` must be a group of the source's pattern.
 *
 * @throws {HttpError} 400 naming an unknown key (with the closest known one)
 * or a repeated key.
 */
function deliveryFields(
  query: URLSearchParams,
  source: Source,
): Record<string, string> | undefined {
  const fields: Record<string, string> = {};
  for (const [key, value] of query) {
    if (key === "filename") continue;
    if (!source.groups.includes(key)) {
      const guess = closest(key, ["filename", ...source.groups]);
      throw new HttpError(
        400,
        `Unknown query parameter "${key}"${
          guess ? ` (did you mean "${guess}"?)` : ""
        }: besides "filename", an upload to "${source.name}" takes its delivery fields${
          source.groups.length
            ? ` (${source.groups.map((g) => `"${g}"`).join(", ")})`
            : " (it has none)"
        }`,
      );
    }
    if (key in fields) throw new HttpError(400, `Query parameter "${key}" is given twice`);
    fields[key] = value;
  }
  return Object.keys(fields).length ? fields : undefined;
}

/** The ingestion route group. */
export function ingestRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  const sources = deps.ingest?.sources ?? [];
  for (const source of sources) app.openAPIRegistry.registerPath(sourceRoute(source));
  app.openapi({ ...route, hide: sources.length > 0 }, async (c) => {
    const ingest = authorize(deps, c.req.header("authorization"));
    const { source } = c.req.valid("param");
    const src = ingest.sources.find((s) => s.name === source);
    if (!src) {
      const guess = closest(source, ingest.sources.map((s) => s.name));
      throw new HttpError(
        404,
        `Unknown source "${source}"${
          guess ? ` (did you mean "${guess}"?)` : ""
        }: known sources are ${ingest.sources.map((s) => `"${s.name}"`).join(", ")}`,
      );
    }
    const length = Number(c.req.header("content-length") ?? NaN);
    if (Number.isFinite(length) && length > ingest.maxBytes + 64 * 1024) {
      throw tooLarge(ingest.maxBytes);
    }
    const fields = deliveryFields(new URL(c.req.url).searchParams, src);
    const multipart = (c.req.header("content-type") ?? "").startsWith("multipart/form-data");
    const rawName = multipart ? undefined : uploadName(c.req.valid("query").filename);
    const body = c.req.raw.body;
    if (!body) {
      throw new HttpError(400, "Empty upload: send the file as the body or a multipart file part");
    }
    // A client that disconnects ends the body with an error; a server that stops aborts `signal`.
    const limits: UploadLimits = {
      maxBytes: ingest.maxBytes,
      idleTimeoutMs: ingest.idleTimeoutMs,
      timeoutMs: ingest.timeoutMs,
      signal: ingest.signal,
    };
    const dir = await Deno.makeTempDir({ dir: ingest.tmpDir, prefix: "upload_" });
    let job: LandingJob;
    try {
      const tmp = join(dir, "upload");
      const name = multipart
        ? await receiveMultipart(c.req.raw, tmp, limits)
        : (await receiveUpload(body, tmp, limits), rawName!);
      const format = formatFromName(name);
      if (!format || (src.format && src.format !== format)) {
        throw new HttpError(
          400,
          `File "${name}" does not fit source "${source}": wrong extension for ${
            src.format ?? "csv, txt, json, ndjson or xlsx"
          }`,
        );
      }
      const path = join(dir, name);
      await Deno.rename(tmp, path);
      job = ingest.queue.submit(
        name,
        async () => [await ingest.land(source, path, name, fields)],
        () => rm(dir, { recursive: true, force: true }),
      );
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      if (err instanceof QueueClosedError) throw new HttpError(503, err.message);
      throw err;
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      job.settled,
      new Promise<void>((r) => (timer = setTimeout(r, ingest.waitMs))),
    ]);
    clearTimeout(timer);
    if (job.state === "queued" || job.state === "landing") {
      c.header("Location", `/api/ingest/jobs/${job.id}`);
      return c.json(jobBody(job, deps.log) as z.infer<typeof Job>, 202);
    }
    const answer = finishedAnswer(job, deps.log);
    if (answer.retry) c.header("Retry-After", "5");
    return c.json(answer.body as z.infer<typeof Landed>, answer.status as 200);
  });
  app.openapi(jobRoute, (c) => {
    const ingest = authorize(deps, c.req.header("authorization"));
    const { id } = c.req.valid("param");
    const job = ingest.queue.get(id);
    if (!job) {
      throw new HttpError(404, `No ingest job "${id}": it never existed or was long forgotten`);
    }
    return c.json(jobBody(job, deps.log) as z.infer<typeof Job>, 200);
  });
  return app;
}
