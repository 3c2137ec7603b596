/**
 * `POST /api/ingest/{source}`: land an uploaded file (multipart or raw
 * body) through the same code as `wharf land`. The upload is streamed to
 * disk, never held whole in memory, and refused past the size limit.
 *
 * @module
 */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import busboy from "busboy";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { basename, join } from "node:path";
import { formatFromName } from "../../land/detect.ts";
import type { AppDeps, IngestDeps } from "../deps.ts";
import { HttpError } from "../errors.ts";

const ErrorBody = z.object({ error: z.string() }).passthrough();

const route = createRoute({
  method: "post",
  path: "/api/ingest/{source}",
  summary: "Land an uploaded file as a source",
  description:
    "Send the file as multipart/form-data (the first file part) or as the raw body with ?filename=. " +
    "Requires `Authorization: Bearer <token>`.",
  security: [{ bearer: [] }],
  request: {
    params: z.object({ source: z.string() }),
    query: z.object({ filename: z.string().optional() }),
  },
  responses: {
    200: {
      description: "The manifest entry",
      content: {
        "application/json": {
          schema: z.object({
            status: z.enum(["landed", "skipped"]),
            skipped_as_duplicate: z.boolean(),
            batch_id: z.number().nullable(),
            rows: z.number(),
            rejected_rows: z.number(),
            sha256: z.string().nullable(),
            message: z.string().nullable(),
          }),
        },
      },
    },
    400: {
      description: "The file does not fit the source",
      content: { "application/json": { schema: ErrorBody } },
    },
    401: { description: "No bearer token", content: { "application/json": { schema: ErrorBody } } },
    403: {
      description: "Wrong token, or uploads disabled",
      content: { "application/json": { schema: ErrorBody } },
    },
    404: { description: "Unknown source", content: { "application/json": { schema: ErrorBody } } },
    413: {
      description: "Over the size limit",
      content: { "application/json": { schema: ErrorBody } },
    },
    503: {
      description: "The warehouse is busy (a build is running)",
      content: { "application/json": { schema: ErrorBody } },
    },
  },
});

/** The part of busboy's streaming multipart parser used here (the package ships no types). */
interface MultipartParser {
  write(chunk: Uint8Array): boolean;
  end(): void;
  once(event: "drain", listener: () => void): void;
  on(
    event: "file",
    listener: (field: string, stream: FilePart, info: { filename: string }) => void,
  ): void;
  on(event: "error", listener: (err: unknown) => void): void;
  on(event: "close", listener: () => void): void;
}

/** A file part as busboy streams it. */
interface FilePart {
  pipe<T>(destination: T): T;
  on(event: "limit" | "error", listener: (err?: unknown) => void): void;
}

const createParser = busboy as unknown as (options: {
  headers: Record<string, string>;
  limits: { files: number; fileSize: number };
}) => MultipartParser;

/** Compares secrets in time that does not depend on where they differ. */
function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

function authorize(ingest: IngestDeps | undefined, header: string | undefined): IngestDeps {
  if (!ingest) {
    throw new HttpError(
      403,
      "Uploads are disabled: configure serve.token in wharf.config.ts or WHARF_API_TOKEN",
    );
  }
  const token = /^Bearer\s+(.+)$/i.exec(header ?? "")?.[1];
  if (!token) {
    throw new HttpError(401, "Missing bearer token: send Authorization: Bearer <token>", {}, {
      "WWW-Authenticate": "Bearer",
    });
  }
  if (!sameSecret(token, ingest.token)) throw new HttpError(403, "Wrong bearer token");
  return ingest;
}

function tooLarge(max: number): HttpError {
  return new HttpError(413, `Upload too large: the limit is ${max} bytes`);
}

/** Streams `body` to `path`, at most `max` bytes. */
async function saveStream(
  body: ReadableStream<Uint8Array>,
  path: string,
  max: number,
): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true, truncate: true });
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) throw tooLarge(max);
    let off = 0;
    while (off < chunk.length) off += await file.write(chunk.subarray(off));
  }
}

/** Streams the first file part of a multipart body to `path`; returns its file name. */
function saveMultipart(req: Request, path: string, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let bb: MultipartParser;
    try {
      bb = createParser({
        headers: Object.fromEntries(req.headers),
        limits: { files: 1, fileSize: max },
      });
    } catch (err) {
      reject(new HttpError(400, `Malformed multipart upload: ${(err as Error).message}`));
      return;
    }
    let name: string | undefined;
    let writing: Promise<void> | undefined;
    bb.on("file", (_field, stream, info) => {
      name = basename(info.filename || "");
      const out = createWriteStream(path);
      writing = new Promise((done, fail) => {
        stream.on("limit", () => fail(tooLarge(max)));
        out.on("finish", () => done());
        out.on("error", fail);
        stream.on("error", fail);
      });
      stream.pipe(out);
    });
    bb.on(
      "error",
      (err) => reject(new HttpError(400, `Malformed multipart upload: ${(err as Error).message}`)),
    );
    bb.on("close", () => {
      if (!writing || !name) {
        reject(new HttpError(400, "No file in the multipart upload: send it as a file part"));
        return;
      }
      writing.then(() => resolve(name!), reject);
    });
    (async () => {
      // Feed the body with backpressure: wait for busboy to drain before the next chunk.
      for await (const chunk of req.body!) {
        if (!bb.write(chunk)) await new Promise<void>((r) => bb.once("drain", () => r()));
      }
      bb.end();
    })().catch((err) =>
      reject(new HttpError(400, `Upload interrupted: ${(err as Error).message}`))
    );
  });
}

/** The ingestion route group. */
export function ingestRoutes(deps: AppDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  app.openapi(route, async (c) => {
    const ingest = authorize(deps.ingest, c.req.header("authorization"));
    const { source } = c.req.valid("param");
    const src = ingest.sources.find((s) => s.name === source);
    if (!src) {
      throw new HttpError(
        404,
        `Unknown source "${source}": known sources are ${
          ingest.sources.map((s) => `"${s.name}"`).join(", ")
        }`,
      );
    }
    const length = Number(c.req.header("content-length") ?? NaN);
    if (Number.isFinite(length) && length > ingest.maxBytes + 64 * 1024) {
      throw tooLarge(ingest.maxBytes);
    }
    const body = c.req.raw.body;
    if (!body) {
      throw new HttpError(400, "Empty upload: send the file as the body or a multipart file part");
    }
    const dir = await Deno.makeTempDir({ dir: ingest.tmpDir, prefix: "upload_" });
    try {
      const tmp = join(dir, "upload");
      let name: string;
      if ((c.req.header("content-type") ?? "").startsWith("multipart/form-data")) {
        name = await saveMultipart(c.req.raw, tmp, ingest.maxBytes);
      } else {
        name = basename(c.req.valid("query").filename ?? "");
        if (!name) {
          throw new HttpError(
            400,
            "Missing file name: pass ?filename=<name> with a raw body, or upload multipart",
          );
        }
        await saveStream(body, tmp, ingest.maxBytes);
      }
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
      const outcome = await ingest.land(source, path, name);
      if (outcome.status === "failed") {
        throw new HttpError(400, outcome.message ?? `File "${name}" could not be landed`);
      }
      return c.json({
        status: outcome.status,
        skipped_as_duplicate: outcome.status === "skipped",
        batch_id: outcome.batchId ?? null,
        rows: outcome.rows,
        rejected_rows: outcome.rejectedRows,
        sha256: outcome.sha256 ?? null,
        message: outcome.message ?? null,
      }, 200);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
  return app;
}
