import { z } from "zod";
import type { Clock } from "../engine/clock.js";
import { EmailChannel, type EmailSettings } from "./email.js";
import { InAppChannel } from "./in-app.js";
import { type LogSink, logChannels } from "./log.js";
import { CHANNEL_NAMES, type Channel, type ChannelName } from "./port.js";
import { PushChannel, type PushSettings } from "./push.js";
import { SmsChannel, type SmsSettings } from "./sms.js";
import { WebhookChannel } from "./webhook.js";

/**
 * Channel settings: the non-secret part from the config file (`channels` section), everything also
 * from environment variables (which win), secrets ONLY from environment variables. The variable
 * names are listed in ENV and documented in docs/channels.md.
 */
export const ENV = {
  mode: "JOURNEY_CHANNELS",
  smtpHost: "JOURNEY_SMTP_HOST",
  smtpPort: "JOURNEY_SMTP_PORT",
  smtpSecure: "JOURNEY_SMTP_SECURE",
  smtpUser: "JOURNEY_SMTP_USER",
  smtpPassword: "JOURNEY_SMTP_PASSWORD",
  emailFrom: "JOURNEY_EMAIL_FROM",
  emailReplyTo: "JOURNEY_EMAIL_REPLY_TO",
  twilioAccountSid: "JOURNEY_TWILIO_ACCOUNT_SID",
  twilioAuthToken: "JOURNEY_TWILIO_AUTH_TOKEN",
  twilioMessagingServiceSid: "JOURNEY_TWILIO_MESSAGING_SERVICE_SID",
  twilioBaseUrl: "JOURNEY_TWILIO_BASE_URL",
  smsFrom: "JOURNEY_SMS_FROM",
  fcmProjectId: "JOURNEY_FCM_PROJECT_ID",
  fcmAccessToken: "JOURNEY_FCM_ACCESS_TOKEN",
  fcmBaseUrl: "JOURNEY_FCM_BASE_URL",
  webhookSecret: "JOURNEY_WEBHOOK_SECRET",
} as const;

/** Secret-looking keys someone may put in a config file, and the variable to use instead. */
const SECRET_KEYS: Record<string, Record<string, string>> = {
  email: { password: ENV.smtpPassword, pass: ENV.smtpPassword },
  sms: { authToken: ENV.twilioAuthToken, token: ENV.twilioAuthToken },
  push: { accessToken: ENV.fcmAccessToken, token: ENV.fcmAccessToken },
  webhook: { secret: ENV.webhookSecret, signingSecret: ENV.webhookSecret },
};

const timeoutMs = z.int().min(100).max(600_000).optional();
const rateLimitSchema = z.strictObject({ perSecond: z.number().positive(), burst: z.int().min(1).optional() });

export const channelsConfigSchema = z.strictObject({
  /** "log": every channel is a log sink (journey dev); "providers" (default): the real providers. */
  mode: z.enum(["providers", "log"]).optional(),
  email: z
    .strictObject({
      host: z.string().min(1).optional(),
      port: z.int().min(1).max(65535).optional(),
      secure: z.boolean().optional(),
      requireTLS: z.boolean().optional(),
      user: z.string().min(1).optional(),
      from: z.string().min(3).optional(),
      replyTo: z.string().min(3).optional(),
      messageIdDomain: z.string().min(1).optional(),
      maxConnections: z.int().min(1).max(100).optional(),
      timeoutMs,
    })
    .optional(),
  sms: z
    .strictObject({
      accountSid: z.string().min(1).optional(),
      from: z.string().min(1).optional(),
      messagingServiceSid: z.string().min(1).optional(),
      baseUrl: z.url().optional(),
      timeoutMs,
    })
    .optional(),
  push: z.strictObject({ projectId: z.string().min(1).optional(), baseUrl: z.url().optional(), timeoutMs }).optional(),
  webhook: z.strictObject({ timeoutMs }).optional(),
  in_app: z.strictObject({}).optional(),
  /** Sends per second per channel (per process for RateLimiter; per queue for BullMQ's limiter). */
  rateLimits: z.partialRecord(z.enum(CHANNEL_NAMES), rateLimitSchema).optional(),
});

export type ChannelsConfig = z.infer<typeof channelsConfigSchema>;

/** Channel settings that cannot work: names the setting and how to fix it. */
export class ChannelConfigError extends Error {
  override name = "ChannelConfigError";
}

/** Checks a `channels` config section (from a file: unknown shape) and explains every problem. */
export function parseChannelsConfig(raw: unknown, where = "channels"): ChannelsConfig {
  if (raw && typeof raw === "object") {
    for (const [channel, keys] of Object.entries(SECRET_KEYS)) {
      const section = (raw as Record<string, unknown>)[channel];
      if (!section || typeof section !== "object") continue;
      for (const [key, variable] of Object.entries(keys)) {
        if (key in section) {
          throw new ChannelConfigError(
            `${where}.${channel}.${key}: secrets are read only from environment variables; remove it from the config file and set ${variable}`,
          );
        }
      }
    }
  }
  const parsed = channelsConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${[where, ...issue.path.map(String)].join(".")}: ${issue.message}`);
    throw new ChannelConfigError(problems.join("\n"));
  }
  return parsed.data;
}

export interface ChannelsFromEnvOptions {
  /** Wall-clock by default; webhook timestamps must be wall time in production. */
  clock?: Clock;
  /** Where messages go in log mode (default: JSON lines on stdout). */
  logSink?: LogSink;
}

type Env = Record<string, string | undefined>;

/**
 * The channels this process can send through: a channel appears when its settings are present
 * (in_app always); half a configuration is an error, not a silently missing channel.
 */
export function channelsFromEnv(env: Env, config: unknown = {}, options: ChannelsFromEnvOptions = {}): Map<ChannelName, Channel> {
  const settings = parseChannelsConfig(config);
  const read = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const mode = read(ENV.mode) ?? settings.mode ?? "providers";
  if (mode === "log") return logChannels(options.logSink ?? process.stdout);
  if (mode !== "providers") throw new ChannelConfigError(`${ENV.mode}=${mode}: use "providers" or "log"`);

  const channels = new Map<ChannelName, Channel>();
  const email = emailSettings(settings, read);
  if (email) channels.set("email", build(() => new EmailChannel(email)));
  const sms = smsSettings(settings, read, options.clock);
  if (sms) channels.set("sms", build(() => new SmsChannel(sms)));
  const push = pushSettings(settings, read, options.clock);
  if (push) channels.set("push", build(() => new PushChannel(push)));
  const secret = read(ENV.webhookSecret);
  if (secret) {
    const timeout = settings.webhook?.timeoutMs;
    const clock = options.clock;
    channels.set("webhook", build(() => new WebhookChannel({ secret, ...(timeout ? { timeoutMs: timeout } : {}), ...(clock ? { clock } : {}) })));
  }
  channels.set("in_app", new InAppChannel());
  return channels;
}

type Read = (name: string) => string | undefined;

/** An adapter refusing its settings is a configuration error like any other. */
function build(make: () => Channel): Channel {
  try {
    return make();
  } catch (error) {
    throw new ChannelConfigError(error instanceof Error ? error.message : String(error));
  }
}

function emailSettings(config: ChannelsConfig, read: Read): EmailSettings | undefined {
  const file = config.email ?? {};
  const host = read(ENV.smtpHost) ?? file.host;
  const password = read(ENV.smtpPassword);
  if (!host) {
    if (password || read(ENV.emailFrom)) {
      throw new ChannelConfigError(`email: ${password ? ENV.smtpPassword : ENV.emailFrom} is set but no SMTP server: set ${ENV.smtpHost} (or channels.email.host)`);
    }
    return undefined;
  }
  const from = read(ENV.emailFrom) ?? file.from;
  if (!from) throw new ChannelConfigError(`email: no sender for SMTP server ${host}: set ${ENV.emailFrom} (or channels.email.from)`);
  const port = integer(read(ENV.smtpPort), ENV.smtpPort) ?? file.port;
  const secure = boolean(read(ENV.smtpSecure), ENV.smtpSecure) ?? file.secure;
  const user = read(ENV.smtpUser) ?? file.user;
  if (password && !user) throw new ChannelConfigError(`email: ${ENV.smtpPassword} is set but no user: set ${ENV.smtpUser} (or channels.email.user)`);
  const replyTo = read(ENV.emailReplyTo) ?? file.replyTo;
  return {
    host,
    from,
    ...(port === undefined ? {} : { port }),
    ...(secure === undefined ? {} : { secure }),
    ...(file.requireTLS === undefined ? {} : { requireTLS: file.requireTLS }),
    ...(user ? { user } : {}),
    ...(password ? { password } : {}),
    ...(replyTo ? { replyTo } : {}),
    ...(file.messageIdDomain ? { messageIdDomain: file.messageIdDomain } : {}),
    ...(file.maxConnections ? { maxConnections: file.maxConnections } : {}),
    ...(file.timeoutMs ? { timeoutMs: file.timeoutMs } : {}),
  };
}

function smsSettings(config: ChannelsConfig, read: Read, clock: Clock | undefined): SmsSettings | undefined {
  const file = config.sms ?? {};
  const accountSid = read(ENV.twilioAccountSid) ?? file.accountSid;
  const authToken = read(ENV.twilioAuthToken);
  if (!accountSid && !authToken) return undefined;
  if (!accountSid) throw new ChannelConfigError(`sms: ${ENV.twilioAuthToken} is set but no account: set ${ENV.twilioAccountSid} (or channels.sms.accountSid)`);
  if (!authToken) throw new ChannelConfigError(`sms: account ${accountSid} has no auth token: set ${ENV.twilioAuthToken}`);
  const from = read(ENV.smsFrom) ?? file.from;
  const messagingServiceSid = read(ENV.twilioMessagingServiceSid) ?? file.messagingServiceSid;
  if (!from && !messagingServiceSid) {
    throw new ChannelConfigError(`sms: no sender: set ${ENV.smsFrom} (a number like +15005550006) or ${ENV.twilioMessagingServiceSid}`);
  }
  const baseUrl = read(ENV.twilioBaseUrl) ?? file.baseUrl;
  return {
    accountSid,
    authToken,
    ...(from ? { from } : {}),
    ...(messagingServiceSid ? { messagingServiceSid } : {}),
    ...(baseUrl ? { baseUrl } : {}),
    ...(file.timeoutMs ? { timeoutMs: file.timeoutMs } : {}),
    ...(clock ? { clock } : {}),
  };
}

function pushSettings(config: ChannelsConfig, read: Read, clock: Clock | undefined): PushSettings | undefined {
  const file = config.push ?? {};
  const projectId = read(ENV.fcmProjectId) ?? file.projectId;
  const accessToken = read(ENV.fcmAccessToken);
  if (!projectId && !accessToken) return undefined;
  if (!projectId) throw new ChannelConfigError(`push: ${ENV.fcmAccessToken} is set but no project: set ${ENV.fcmProjectId} (or channels.push.projectId)`);
  if (!accessToken) throw new ChannelConfigError(`push: project ${projectId} has no access token: set ${ENV.fcmAccessToken}`);
  const baseUrl = read(ENV.fcmBaseUrl) ?? file.baseUrl;
  return {
    projectId,
    accessToken,
    ...(baseUrl ? { baseUrl } : {}),
    ...(file.timeoutMs ? { timeoutMs: file.timeoutMs } : {}),
    ...(clock ? { clock } : {}),
  };
}

function integer(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ChannelConfigError(`${name}=${value}: expected a port number (1-65535)`);
  return n;
}

function boolean(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === "true" || value === "1") return true;
  if (value === "false" || value === "0") return false;
  throw new ChannelConfigError(`${name}=${value}: expected true or false`);
}
