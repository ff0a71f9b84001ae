/**
 * Segment messages (track, identify, page, screen, alias) read into what the store needs, with
 * every problem reported at its path in the message. Pure: no database.
 */
import { ANONYMOUS_ID, type IdentityKey } from "../identity/keys.js";
import type { LoadedProject } from "../model/project.js";
import type { FieldError, Validators } from "./validate.js";

type Data = Record<string, unknown>;

export type MessageType = "track" | "identify" | "page" | "screen" | "alias";

export interface ParsedMessage {
  type: MessageType;
  messageId?: string;
  keys: IdentityKey[];
  /** The stored event's name (`$identify` for identify); absent for alias. */
  eventName?: string;
  properties: Data;
  /** identify: the validated traits merged into the profile. */
  traits?: Data;
  context: Data;
  /** The message's timestamp as given (ISO with an offset), if any. */
  timestamp?: string;
  /** alias: the id being aliased to the userId. */
  previousId?: string;
}

export const IDENTIFY_EVENT = "$identify";
export const PAGE_EVENT = "page_view";
/** Properties analytics.js adds to every page call; dropped when the schema's page_view does not declare them. */
export const AUTOMATIC_PAGE_PROPERTIES = new Set(["path", "title", "referrer", "search", "url", "name", "category", "keywords"]);

const TYPES = new Set<string>(["track", "identify", "page", "screen", "alias"]);

const isObject = (value: unknown): value is Data => typeof value === "object" && value !== null && !Array.isArray(value);

export function parseMessage(
  project: LoadedProject,
  validators: Validators,
  raw: unknown,
  defaultType?: MessageType,
): { ok: true; message: ParsedMessage } | { ok: false; errors: FieldError[]; messageId?: string } {
  if (!isObject(raw)) return { ok: false, errors: [{ path: "(message)", message: `expected a message object, got ${JSON.stringify(raw)}` }] };
  const errors: FieldError[] = [];
  const messageId = typeof raw.messageId === "string" && raw.messageId !== "" ? raw.messageId : undefined;
  if (raw.messageId !== undefined && raw.messageId !== null && messageId === undefined) {
    errors.push({ path: "messageId", message: `expected a non-empty string, got ${JSON.stringify(raw.messageId)}` });
  }
  const fail = () => ({ ok: false as const, errors, ...(messageId !== undefined ? { messageId } : {}) });

  const type = raw.type ?? defaultType;
  if (typeof type !== "string" || !TYPES.has(type)) {
    const what = type === undefined ? "missing" : JSON.stringify(type);
    const extra = type === "group" ? " (group calls are not supported: send the company as customer traits)" : "";
    errors.push({ path: "type", message: `message type ${what}${extra}: expected one of track, identify, page, screen, alias` });
    return fail();
  }

  let timestamp: string | undefined;
  if (raw.timestamp !== undefined && raw.timestamp !== null) {
    const checked = validators.datetime(raw.timestamp, "timestamp");
    if (checked.ok) timestamp = checked.value;
    else errors.push(...checked.errors);
  }
  let context: Data = {};
  if (raw.context !== undefined && raw.context !== null) {
    if (isObject(raw.context)) context = raw.context;
    else errors.push({ path: "context", message: `expected an object, got ${JSON.stringify(raw.context)}` });
  }

  const keys: IdentityKey[] = [];
  const addKey = (kind: string, value: unknown, path: string) => {
    const checked = validators.identityValue(kind, value, path);
    if (checked.ok) keys.push({ kind, value: checked.value });
    else errors.push(...checked.errors);
  };
  const userKind = project.identity[0];
  if (raw.userId !== undefined && raw.userId !== null) {
    if (userKind === undefined) errors.push({ path: "userId", message: "the schema's customer declares no identity keys (`identified by …`), so userId has nowhere to go" });
    else addKey(userKind, raw.userId, "userId");
  }
  if (raw.anonymousId !== undefined && raw.anonymousId !== null) addKey(ANONYMOUS_ID, raw.anonymousId, "anonymousId");
  const identityKinds = [...project.identity, ANONYMOUS_ID];
  const contextTraits = context.traits;
  if (contextTraits !== undefined && contextTraits !== null) {
    if (!isObject(contextTraits)) errors.push({ path: "context.traits", message: `expected an object, got ${JSON.stringify(contextTraits)}` });
    else for (const kind of identityKinds) if (contextTraits[kind] !== undefined && contextTraits[kind] !== null) addKey(kind, contextTraits[kind], `context.traits.${kind}`);
  }

  const message: ParsedMessage = { type: type as MessageType, keys, properties: {}, context };
  if (messageId !== undefined) message.messageId = messageId;
  if (timestamp !== undefined) message.timestamp = timestamp;

  switch (message.type) {
    case "track": {
      if (typeof raw.event !== "string" || raw.event === "") {
        errors.push({ path: "event", message: `required: the event's name, one of ${[...project.events.keys()].join(", ")}` });
        break;
      }
      message.eventName = raw.event;
      const checked = validators.event(raw.event, raw.properties);
      if (checked.ok) message.properties = checked.value;
      else errors.push(...checked.errors);
      break;
    }
    case "identify": {
      const checked = validators.traits(raw.traits);
      if (!checked.ok) {
        errors.push(...checked.errors);
        break;
      }
      message.eventName = IDENTIFY_EVENT;
      message.traits = checked.value;
      message.properties = checked.value;
      for (const kind of identityKinds) {
        const value = checked.value[kind];
        if (value !== undefined && value !== null) addKey(kind, value, `traits.${kind}`);
      }
      break;
    }
    case "page":
    case "screen": {
      const pageView = project.events.get(PAGE_EVENT);
      if (!pageView) {
        errors.push({
          path: "type",
          message: `${message.type} calls are stored as the event ${PAGE_EVENT}, which the schema does not declare: add \`event ${PAGE_EVENT} { url url }\` to the schema, or send a track call`,
        });
        break;
      }
      const declared = new Set(pageView.fields.map((f) => f.name));
      const given = raw.properties ?? {};
      if (!isObject(given)) {
        errors.push({ path: "properties", message: `expected an object, got ${JSON.stringify(given)}` });
        break;
      }
      const properties: Data = {};
      for (const [key, value] of Object.entries(given)) {
        if (declared.has(key) || !AUTOMATIC_PAGE_PROPERTIES.has(key)) properties[key] = value;
      }
      if (declared.has("name") && properties.name === undefined && typeof raw.name === "string") properties.name = raw.name;
      message.eventName = PAGE_EVENT;
      const checked = validators.event(PAGE_EVENT, properties);
      if (checked.ok) message.properties = checked.value;
      else errors.push(...checked.errors);
      break;
    }
    case "alias": {
      if (typeof raw.previousId !== "string" || raw.previousId === "") {
        errors.push({ path: "previousId", message: "required: the id (an anonymousId or an old userId) to merge into userId's customer" });
      } else message.previousId = raw.previousId;
      if (raw.userId === undefined || raw.userId === null) errors.push({ path: "userId", message: "required: the customer the previousId is merged into" });
      break;
    }
  }

  if (keys.length === 0 && errors.length === 0) {
    errors.push({
      path: "userId",
      message: `a message needs a userId or an anonymousId (or one of ${identityKinds.join(", ")} in context.traits) to know whose it is`,
    });
  }
  return errors.length > 0 ? fail() : { ok: true, message };
}
