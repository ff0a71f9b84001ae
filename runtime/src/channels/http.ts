import { ChannelError } from "./port.js";

/**
 * One HTTP call to a provider, with its failure classified the same way for every HTTP channel:
 * network errors, 429 and 5xx are retryable (Retry-After honoured), every other non-2xx is
 * permanent, and a failure after the request may have reached the provider is marked ambiguous.
 */
export interface ProviderRequest {
  /** Names the provider in error messages ("Twilio", "FCM", "webhook https://…"). */
  provider: string;
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Gives up after this long (transport time, not journey time). */
  timeoutMs: number;
  signal?: AbortSignal;
  /** For an HTTP-date Retry-After; milliseconds since the epoch. */
  now: () => number;
}

export interface ProviderResponse {
  status: number;
  /** The body as text (an empty string when there is none). */
  text: string;
  headers: Headers;
}

/** Connection failures that happen before a byte of the request is sent: never ambiguous. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT"]);

const EXCERPT = 300;

export async function callProvider(request: ProviderRequest): Promise<ProviderResponse> {
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      // A redirect of a POST is a configuration problem to fix, not something to follow silently.
      redirect: "manual",
      signal,
    });
  } catch (error) {
    throw networkError(request, error, timeout.aborted);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    // The status line arrived, so the provider has the request; only its answer was lost.
    throw new ChannelError(`${request.provider}: the response to ${request.method} ${request.url} was cut off (${describe(error)})`, {
      retryable: true,
      ambiguous: true,
      status: response.status,
      cause: error,
    });
  }
  if (response.status >= 200 && response.status < 300) return { status: response.status, text, headers: response.headers };
  throw statusError(request, response.status, response.statusText, text, response.headers);
}

function networkError(request: ProviderRequest, error: unknown, timedOut: boolean): ChannelError {
  const code = errorCode(error);
  const notSent = code !== undefined && NOT_SENT.has(code);
  const what = timedOut ? `no answer within ${request.timeoutMs} ms` : describe(error);
  return new ChannelError(`${request.provider}: ${request.method} ${request.url} failed: ${what}`, {
    retryable: true,
    ambiguous: !notSent,
    cause: error,
  });
}

function statusError(request: ProviderRequest, status: number, statusText: string, body: string, headers: Headers): ChannelError {
  const excerpt = body.replace(/\s+/g, " ").trim().slice(0, EXCERPT);
  const answered = `${request.provider} answered ${status}${statusText ? ` ${statusText}` : ""} to ${request.method} ${request.url}`;
  const message = excerpt ? `${answered}: ${excerpt}` : answered;
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(headers.get("retry-after"), request.now());
    return new ChannelError(message, { retryable: true, status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
  }
  if (status >= 300 && status < 400) {
    const location = headers.get("location");
    return new ChannelError(`${answered}: a redirect${location ? ` to ${location}` : ""}; configure the final URL`, {
      retryable: false,
      status,
    });
  }
  return new ChannelError(message, { retryable: false, status });
}

/** Retry-After is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3); garbage is ignored. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function errorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const code = errorCode(error);
  const base = cause ? `${error.message}: ${cause.message}` : error.message;
  return code && !base.includes(code) ? `${base} (${code})` : base;
}
