import type { NodemailerError, SendMailOptions, SMTPPoolSentMessageInfo, Transporter } from "nodemailer";
import { type Channel, ChannelError, expectChannel, type OutboundMessage, type SendContext, type SendResult } from "./port.js";

export interface EmailSettings {
  host: string;
  /** Default 587 (submission with STARTTLS), or 465 when `secure`. */
  port?: number;
  /** TLS from the first byte (port 465). False: STARTTLS when the server offers it. */
  secure?: boolean;
  /** Refuse to send over a server that does not offer STARTTLS. */
  requireTLS?: boolean;
  user?: string;
  /** Secret: from JOURNEY_SMTP_PASSWORD only. */
  password?: string;
  /** The sender, `"Shop" <news@shop.example>` or a bare address. */
  from: string;
  replyTo?: string;
  /** The domain in Message-ID (<send id@domain>); default the sender's domain. */
  messageIdDomain?: string;
  /** Connections kept open to the server. Default 5. */
  maxConnections?: number;
  /** Gives up on a connection or reply after this long. Default 30 s. */
  timeoutMs?: number;
}

/**
 * Email over SMTP (nodemailer, pooled connections). SMTP has no idempotency key, so a send cut
 * off after the message went out may have been delivered: not idempotent (it becomes `unknown`).
 * The send id is in Message-ID and X-Journey-Send-Id, so a duplicate can be traced and filtered.
 */
export class EmailChannel implements Channel {
  readonly name = "email";
  readonly idempotent = false;
  readonly #settings: EmailSettings;
  readonly #domain: string;
  #transport: Promise<Transporter<SMTPPoolSentMessageInfo>> | undefined;

  constructor(settings: EmailSettings) {
    const domain = settings.messageIdDomain ?? /@([^>\s]+)>?\s*$/.exec(settings.from)?.[1];
    if (!domain) {
      throw new Error(`email channel: the sender ${JSON.stringify(settings.from)} has no domain; write it as name@domain (JOURNEY_EMAIL_FROM)`);
    }
    this.#settings = settings;
    this.#domain = domain;
  }

  async send(message: OutboundMessage, ctx: SendContext): Promise<SendResult> {
    const email = expectChannel(message, "email");
    if (!/^[^\s@,;<>]+@[^\s@,;<>]+$/.test(email.to)) {
      throw new ChannelError(`send ${email.sendId}: email recipient ${JSON.stringify(email.to)} is not one address (name@domain)`, {
        retryable: false,
      });
    }
    ctx.signal?.throwIfAborted();
    const transport = await this.#open();
    const { subject, preheader, body, text } = email.content;
    const html = looksLikeHtml(body);
    const mail: SendMailOptions = {
      from: this.#settings.from,
      to: email.to,
      subject: subject ?? "",
      messageId: `<${ctx.idempotencyKey}@${this.#domain}>`,
      headers: { "X-Journey-Send-Id": ctx.idempotencyKey },
      ...(this.#settings.replyTo ? { replyTo: this.#settings.replyTo } : {}),
      ...(html
        ? { html: withPreheader(body, preheader), text: text ?? htmlToText(body) }
        : { text: preheader ? `${preheader}\n\n${text ?? body}` : (text ?? body) }),
    };
    try {
      const info = await transport.sendMail(mail);
      return { providerMessageId: queueId(info.response) ?? info.messageId };
    } catch (error) {
      throw classify(email.sendId, error as NodemailerError);
    }
  }

  async close(): Promise<void> {
    const transport = this.#transport;
    this.#transport = undefined;
    if (transport) (await transport).close();
  }

  #open(): Promise<Transporter<SMTPPoolSentMessageInfo>> {
    this.#transport ??= import("nodemailer").then(({ default: nodemailer }) => {
      const s = this.#settings;
      const timeout = s.timeoutMs ?? 30_000;
      return nodemailer.createTransport({
        pool: true,
        host: s.host,
        port: s.port ?? (s.secure ? 465 : 587),
        secure: s.secure ?? false,
        requireTLS: s.requireTLS ?? false,
        ...(s.user ? { auth: { user: s.user, pass: s.password ?? "" } } : {}),
        maxConnections: s.maxConnections ?? 5,
        // The pool would resend a message whose connection dropped mid-send: a duplicate we refuse.
        maxRequeues: 0,
        connectionTimeout: timeout,
        greetingTimeout: timeout,
        socketTimeout: timeout,
      });
    });
    return this.#transport;
  }
}

/** Failures before the message could have reached the server: retrying them cannot duplicate. */
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EDNS"]);
const TRANSIENT = new Set(["ECONNECTION", "ESOCKET", "ETIMEDOUT", "EDNS"]);

function classify(sendId: string, error: NodemailerError): ChannelError {
  const code = error.code;
  if (error.responseCode !== undefined) {
    // The server answered with a refusal: it did not take the message, so never ambiguous.
    const permanent = error.permanent ?? (error.responseCode >= 500 && error.responseCode !== 503);
    return new ChannelError(`send ${sendId}: the SMTP server refused it: ${error.response ?? error.message}`, {
      retryable: !permanent,
      status: error.responseCode,
      cause: error,
    });
  }
  if (code !== undefined && TRANSIENT.has(code)) {
    const beforeSending =
      NOT_SENT.has(error.originalCode ?? code) ||
      error.timeoutType === "CONNECT_TIMEOUT" ||
      error.timeoutType === "GREETING_TIMEOUT" ||
      error.timeoutType === "UPGRADE_TIMEOUT";
    return new ChannelError(`send ${sendId}: SMTP ${code}: ${error.message}`, { retryable: true, ambiguous: !beforeSending, cause: error });
  }
  return new ChannelError(`send ${sendId}: SMTP ${code ?? "error"}: ${error.message}`, { retryable: false, cause: error });
}

function looksLikeHtml(body: string): boolean {
  return /<\/?[a-z][\s\S]*?>/i.test(body);
}

/** The preview line mail clients show after the subject, hidden in the message itself. */
function withPreheader(html: string, preheader: string | undefined): string {
  if (!preheader) return html;
  const hidden = `<div style="display:none;max-height:0;overflow:hidden;opacity:0">${escapeHtml(preheader)}</div>`;
  return `${hidden}\n${html}`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A readable plain-text alternative: block ends become line breaks, links keep their target. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, "")
    .replace(/<a\s[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, (_, href: string, label: string) => `${label} (${href})`)
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<li[^>]*>/gi, "- ")
    .replace(/<\/(p|div|li|h[1-6]|tr|ul|ol)>/gi, "\n")
    .replace(/<[^>]+>/g, "")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/[ \t]+/g, " ")
    .replace(/ *\n */g, "\n")
    .replace(/\n{3,}/g, "\n\n")
    .trim();
}

function queueId(response: string | undefined): string | undefined {
  return response ? (/queued as ([^\s]+)/i.exec(response)?.[1] ?? response) : undefined;
}
