/**
 * The Segment-compatible HTTP API (/v1/track, /v1/identify, /v1/page, /v1/screen, /v1/alias,
 * /v1/batch) plus /v1/objects/:type for the catalogue. See docs/ingestion.md.
 */
import { createHash, randomUUID, timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { resolveCustomer } from "../identity/resolve.js";
import { type IngestDeps, type IngestResult, ingestMessages, rejectRow } from "./ingest.js";
import type { MessageType } from "./messages.js";
import { ingestObjects } from "./objects.js";
import { didYouMean } from "./validate.js";

export interface IngestLimits {
  /** Largest body of a single-message call, and largest message inside a batch (Segment: 32 KB). */
  bodyBytes?: number;
  /** Largest body of a batch or objects call (Segment: 500 KB). */
  batchBytes?: number;
  /** Most messages in one batch. */
  batchMessages?: number;
}

export interface IngestServerOptions extends IngestDeps {
  /** The engine's Engine.startJourney, for the API trigger (`POST /v1/journeys/:journey/start`). */
  startJourney?: (customerId: string, journey: string, properties: Record<string, unknown>, requestId: string) => Promise<string | undefined>;
  /** Accepted write keys (Segment's source keys). At least one. */
  writeKeys: string[];
  host?: string;
  port?: number;
  limits?: IngestLimits;
}

export interface IngestServer {
  url: string;
  close(): Promise<void>;
  fastify: FastifyInstance;
}

export const DEFAULT_LIMITS: Required<IngestLimits> = { bodyBytes: 32 * 1024, batchBytes: 500 * 1024, batchMessages: 2500 };

const SINGLE: Record<string, MessageType> = { track: "track", identify: "identify", page: "page", screen: "screen", alias: "alias" };

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The body's writeKey is authentication, not data. */
function withoutWriteKey(body: unknown): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body) || !("writeKey" in body)) return body;
  const { writeKey: _writeKey, ...rest } = body as Record<string, unknown>;
  return rest;
}

const digest = (key: string) => createHash("sha256").update(key).digest();

/** Where a JSON.parse error is, as position, line and column (V8 names the position in most messages). */
export function describeJsonError(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const match = /position (\d+)/.exec(message);
  const position = match ? Number(match[1]) : text.length;
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  const column = position - before.lastIndexOf("\n");
  const reason = message.replace(/\s*\(line \d+ column \d+\)/, "").replace(/ in JSON at position \d+/, "").replace(/ at position \d+/, "").replace(/, .*is not valid JSON$/s, "");
  return `malformed JSON at position ${position} (line ${line}, column ${column}): ${reason}`;
}

export async function startIngestServer(options: IngestServerOptions): Promise<IngestServer> {
  if (options.writeKeys.length === 0 || options.writeKeys.some((k) => k === "")) {
    throw new Error("startIngestServer: writeKeys must list at least one non-empty write key");
  }
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const keys = options.writeKeys.map(digest);
  const deps: IngestDeps = { store: options.store, project: options.project, clock: options.clock };
  if (options.onAccepted) deps.onAccepted = options.onAccepted;

  const app = Fastify({ logger: false, bodyLimit: limits.batchBytes });
  app.removeAllContentTypeParsers();
  // The body is kept as text: we parse it to report the error position and to store what was sent.
  app.addContentTypeParser(["application/json", "text/plain"], { parseAs: "string" }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error: { code?: string; statusCode?: number; message: string }, request, reply) => {
    if (error instanceof HttpError) return reply.code(error.status).send({ error: error.message });
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      const limit = request.routeOptions.bodyLimit ?? limits.batchBytes;
      return reply.code(413).send({ error: `request body over the limit of ${limit} bytes for ${request.url}; send smaller batches` });
    }
    if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      return reply.code(415).send({ error: `unsupported content type ${JSON.stringify(request.headers["content-type"] ?? "")}: send application/json` });
    }
    if (error.code === "FST_ERR_CTP_EMPTY_JSON_BODY" || error.statusCode === 400) return reply.code(400).send({ error: error.message });
    request.log.error(error);
    return reply.code(500).send({ error: `could not store the messages: ${error.message}` });
  });

  /** The write key from Basic auth (user name) or the body's writeKey; throws 401 when missing or unknown. */
  const authenticate = (request: FastifyRequest, body: unknown): void => {
    let key: string | undefined;
    const header = request.headers.authorization;
    if (header?.startsWith("Basic ")) {
      const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      key = colon >= 0 ? decoded.slice(0, colon) : decoded;
    }
    if (!key && typeof body === "object" && body !== null && typeof (body as { writeKey?: unknown }).writeKey === "string") {
      key = (body as { writeKey: string }).writeKey;
    }
    if (!key) throw new HttpError(401, "missing write key: send it as the Basic auth user name (password empty), or as writeKey in the body");
    const given = digest(key);
    if (!keys.some((k) => timingSafeEqual(k, given))) {
      throw new HttpError(401, "unknown write key: it is not one of the keys this server accepts; check the key the source is configured with");
    }
  };

  /** Authenticates and parses the body; malformed JSON (from an authenticated sender) is kept in rejected_events. */
  const readBody = async (request: FastifyRequest): Promise<unknown> => {
    const text = typeof request.body === "string" ? request.body : "";
    const hasHeaderKey = request.headers.authorization?.startsWith("Basic ") ?? false;
    if (hasHeaderKey) authenticate(request, undefined);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      if (!hasHeaderKey) authenticate(request, undefined);
      const message = text === "" ? "empty body: send a JSON object" : describeJsonError(text, error);
      await options.store.transaction((tx) =>
        rejectRow(tx, { now: new Date(options.clock.now()), errors: [{ path: "(body)", message }], payload: text, source: "api" }),
      );
      throw new HttpError(400, message);
    }
    if (!hasHeaderKey) authenticate(request, body);
    return body;
  };

  const respond = (reply: FastifyReply, result: IngestResult) => {
    const warnings = result.accepted.flatMap((a) => (a.warnings ?? []).map((warning) => ({ index: a.index, messageId: a.messageId, warning })));
    if (result.rejected.length === 0) return reply.code(200).send(warnings.length > 0 ? { success: true, warnings } : { success: true });
    return reply.code(400).send({
      success: false,
      accepted: result.accepted.length,
      rejected: result.rejected,
      ...(warnings.length > 0 ? { warnings } : {}),
    });
  };

  for (const [path, type] of Object.entries(SINGLE)) {
    app.post(`/v1/${path}`, { bodyLimit: limits.bodyBytes }, async (request, reply) => {
      const body = await readBody(request);
      const result = await ingestMessages(deps, [withoutWriteKey(body)], "api", {
        defaultType: type,
        maxMessageBytes: limits.bodyBytes,
      });
      return respond(reply, result);
    });
  }

  for (const path of ["/v1/batch", "/v1/import"]) {
    app.post(path, { bodyLimit: limits.batchBytes }, async (request, reply) => {
      const body = await readBody(request);
      const batch = (body as { batch?: unknown } | null)?.batch;
      if (!Array.isArray(batch)) throw new HttpError(400, 'expected a JSON object {"batch": [ …messages ]}');
      if (batch.length > limits.batchMessages) {
        throw new HttpError(413, `batch of ${batch.length} messages is over the limit of ${limits.batchMessages} messages; send smaller batches`);
      }
      // Segment's batch-level context and integrations apply to each message that has none.
      const shared = body as { context?: unknown };
      const messages = batch.map((m) =>
        typeof m === "object" && m !== null && !("context" in m) && shared.context !== undefined ? { ...m, context: shared.context } : m,
      );
      return respond(reply, await ingestMessages(deps, messages, "api", { maxMessageBytes: limits.bodyBytes }));
    });
  }

  app.post<{ Params: { type: string } }>("/v1/objects/:type", { bodyLimit: limits.batchBytes }, async (request, reply) => {
    const body = await readBody(request);
    const list = (body as { objects?: unknown } | null)?.objects;
    const objects = Array.isArray(list) ? list : [withoutWriteKey(body)];
    const { type } = request.params;
    if (!options.project.objects.has(type)) {
      const declared = [...options.project.objects.keys()];
      const hint = didYouMean(type, declared);
      throw new HttpError(404, `unknown object type "${type}"${hint ? ` (did you mean "${hint}"?)` : ""}: the schema declares ${declared.join(", ") || "no objects"}`);
    }
    const result = await ingestObjects(deps, type, objects, "api", (index) => (Array.isArray(list) ? `objects[${index}]` : ""));
    if (result.rejected.length === 0) return reply.code(200).send({ success: true, upserted: result.accepted.length });
    return reply.code(400).send({ success: false, upserted: result.accepted.length, rejected: result.rejected });
  });

  // The API trigger: another system starts a journey for a customer (`when api`, or any journey by name).
  app.post<{ Params: { journey: string } }>("/v1/journeys/:journey/start", { bodyLimit: limits.bodyBytes }, async (request, reply) => {
    const body = (await readBody(request)) as { userId?: unknown; anonymousId?: unknown; properties?: unknown; messageId?: unknown } | null;
    const { journey } = request.params;
    const start = options.startJourney;
    if (!start) throw new HttpError(501, "this server does not run journeys (started without an engine): use `journey serve` with its worker");
    if (!options.project.journeys.has(journey)) {
      const declared = [...options.project.journeys.keys()];
      const hint = didYouMean(journey, declared);
      throw new HttpError(404, `unknown journey "${journey}"${hint ? ` (did you mean "${hint}"?)` : ""}: the project has ${declared.join(", ")}`);
    }
    const userId = typeof body?.userId === "string" && body.userId !== "" ? body.userId : undefined;
    const anonymousId = typeof body?.anonymousId === "string" && body.anonymousId !== "" ? body.anonymousId : undefined;
    if (!userId && !anonymousId) throw new HttpError(400, "userId: a journey starts for a customer: send userId (or anonymousId)");
    const properties = body?.properties ?? {};
    if (typeof properties !== "object" || properties === null || Array.isArray(properties)) throw new HttpError(400, "properties: expected a JSON object");
    if (body?.messageId !== undefined && typeof body.messageId !== "string") throw new HttpError(400, "messageId: expected a string (it makes a retried request start the journey once)");
    const now = new Date(options.clock.now());
    const keys = [...(userId ? [{ kind: options.project.identity[0] ?? "customer_id", value: userId }] : []), ...(anonymousId ? [{ kind: "anonymous_id", value: anonymousId }] : [])];
    const { customerId } = await options.store.transaction((tx) => resolveCustomer(tx, options.project, keys, now));
    const requestId = typeof body?.messageId === "string" ? body.messageId : randomUUID();
    const enrollmentId = await start(customerId, journey, properties as Record<string, unknown>, requestId);
    return reply.code(200).send(enrollmentId ? { success: true, started: true, enrollmentId } : { success: true, started: false, reason: "the journey's entry rule or an active enrollment did not allow a new one" });
  });

  const address = await app.listen({ host: options.host ?? "127.0.0.1", port: options.port ?? 0 });
  return { url: address, close: () => app.close(), fastify: app };
}
