// Deterministic workspaces of `.journey` files for the front-end benchmark.
//
// Every byte comes from a seeded PRNG (mulberry32, integer arithmetic only) and fixed word lists:
// no Math.random, no clock, no locale, no file-system order. The same code writes the same bytes
// on every run and every machine; `node bench/generate.mjs` prints a SHA-256 per shape to compare.
//
// Shapes (all names are distinct within a shape, so the files of a shape could share a namespace):
//   many-small  1,000 files: a schema, a policy with base templates, segment files, template
//               files and journey files of 10–40 lines each
//   one-large   one file of exactly 20,000 lines
//   medium      50 files of exactly 400 lines each
//
// For each generated file the generator also records how many declarations and steps it wrote,
// so the benchmark can check that the parser read the text the way it was meant (not just
// without diagnostics). `jsonTwin()` makes a JSON document of the same UTF-8 byte size, for the
// JSON.parse baseline.

import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const WORKSPACES_DIR = join(here, "workspaces");
const SEED = 20240611;

// ── Seeded randomness ───────────────────────────────────────────────────────

function hashSeed(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h ^ SEED) >>> 0;
}

export class Rng {
  constructor(seed) {
    this.state = seed >>> 0;
  }
  /** A float in [0, 1): mulberry32. */
  next() {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi], both included. */
  int(lo, hi) {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick(list) {
    return list[Math.floor(this.next() * list.length)];
  }
  chance(p) {
    return this.next() < p;
  }
  /** Picks a key of `weights` ({ key: weight }) in proportion to its weight. */
  weighted(weights) {
    const entries = Object.entries(weights);
    let total = 0;
    for (const [, w] of entries) total += w;
    let x = this.next() * total;
    for (const [key, w] of entries) {
      x -= w;
      if (x < 0) return key;
    }
    return entries[entries.length - 1][0];
  }
}

const pad5 = (n) => String(n).padStart(5, "0");
const two = (n) => String(n).padStart(2, "0");

// ── Fixed vocabulary ────────────────────────────────────────────────────────

const SCHEMA = `/// One person, whichever way they reach us.
customer {
  identified by customer_id, email, loyalty_card   // plus the built-in anonymous_id

  customer_id     text
  loyalty_card    text?
  first_name      text?
  last_name       text?
  email           email?
  phone           phone?
  country         country
  timezone        timezone = "Europe/Rome"
  loyalty_tier    "none" | "silver" | "gold" = "none"
  points          int = 0
  birthday        date?
  signed_up_at    datetime
  last_campaign   text?
  preferred_store ref Store?
  favourite_tags  list of text
  /// What the customer agreed to receive.
  consent { email bool = false   sms bool = false   push bool = false }
}

event purchase {
  order_id text
  channel  "store" | "online"
  total    money
  store    ref Store?
  cart_id  text?
  items    list of { sku ref Product   category text   price money   quantity int = 1 }
}
event page_view            { url url   sku ref Product? }
event cart_abandoned       { cart_id text   value money   url url }
event email_opened         { message text }
event email_clicked        { message text   link url }
event landing_visited      { campaign text }
event unsubscribed         { channel "email" | "sms" | "push" }
event app_opened           { platform "ios" | "android" }
event review_left          { sku ref Product   rating int   text text? }
event subscription_renewed { plan text   amount money }
event support_ticket       { priority "low" | "normal" | "high"   topic text }
event store_visit          { store ref Store   minutes number }
event journey_milestone    { journey text   step int?   value money?   tier text? }
event offer_shown          { journey text }
event coupon_issued        { code text? }

/// The product catalogue, synced nightly.
object Product key sku { sku text   name text   category text   price money   stock int   tags list of text }
object Store key store_id { store_id text   name text   city text   country country   opens_at text }
`;
const SCHEMA_DECLS = 18; // customer + 15 events + 2 objects

const EVENTS = [
  "purchase",
  "page_view",
  "cart_abandoned",
  "email_opened",
  "email_clicked",
  "landing_visited",
  "unsubscribed",
  "app_opened",
  "review_left",
  "subscription_renewed",
  "support_ticket",
  "store_visit",
];
const ENGAGEMENT_EVENTS = ["email_opened", "email_clicked", "page_view", "app_opened", "landing_visited", "store_visit"];
const COUNTRIES = ['"IT"', '"FR"', '"DE"', '"ES"', '"PT"', '"NL"', '"BE"', '"AT"', '"CH"', '"SM"'];
const URL_PARTS = ['"/pricing"', '"/sale"', '"/new-in"', '"/outlet"', '"/gift-cards"', '"/stores"', '"/checkout"'];
const TITLES = [
  "Welcome series",
  "Abandoned cart",
  "Promo with SMS fallback",
  "Win-back after 90 days",
  "Birthday treat",
  "Store purchase, then an online visit",
  "Loyalty upgrade",
  "Review request",
  "Renewal reminder",
  "Weekly picks",
  "Back in stock",
  "Post-purchase cross-sell",
  "Pricing page follow-up",
  "Support satisfaction check",
  "Gold tier perks",
  "Lapsed app users",
];
const SMS_TEXTS = [
  '"Your coupon: {{ \'SAVE10\' | coupon }}"',
  '"Same offer for you: {{ links.promo }}"',
  '"Ciao {{ customer.first_name | default: \'there\' }}, your cart is still here: {{ trigger.url }}"',
  '"Last chance: 20% off until midnight. Reply STOP to opt out."',
  '"Buon compleanno! Un regalo da 10 € ti aspetta in negozio."',
  '"Your order {{ trigger.order_id }} has shipped."',
  '"We miss you, {{ customer.first_name | default: \'friend\' }}: here is 15% off your next visit."',
  '"Rate your last purchase in one tap: {{ links.review }}"',
  '"Points balance: {{ customer.points }}. Only {{ 1000 | minus: customer.points }} to Gold!"',
  '"Doors open at 9 for members only \\"early bird\\" sale"',
];
/** The trigger events whose fields an SMS text reads: a text is only sent where they exist. */
const TRIGGER_FIELDS = { url: ["cart_abandoned", "page_view"], order_id: ["purchase"] };
const NOTIFY_TEMPLATES = ["sales_team", "crm_webhook", "store_manager"];
const PUSH_TEXTS = [
  '"Something you liked is back in stock"',
  '"Your weekly picks are ready"',
  '"Finish your order before the price changes"',
  '"A new reward is waiting for you"',
  '"Flash sale: 2 hours left"',
];
const IN_APP_TEXTS = ['"Picked for you"', '"You might also like"', '"Members only"', '"Complete the look"'];
const COMMENTS = [
  "// keep the reminder short: most opens happen on mobile",
  "// marketing asked for a softer second touch",
  "// see the Q3 planning doc for the rationale",
  "// TODO: localise for the French market",
  "// stores close early on Sundays",
  "// the webhook updates the CRM opportunity",
  "// control group measured by the goal",
  "// do not send more than one SMS in this branch",
];
const LABEL_BASES = ["reminder", "promo", "followup", "nudge", "welcome", "last_call", "thanks", "upsell", "survey"];
const WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"];
const ZONES = ['"Europe/Rome"', '"Europe/Paris"', '"Europe/Berlin"', '"Europe/Madrid"', '"Europe/Lisbon"'];

// ── Building blocks ─────────────────────────────────────────────────────────

/**
 * The names declared so far in a shape (one namespace), so that what is generated refers to
 * things that exist, and the counters that keep every name distinct.
 */
class Context {
  constructor(rng) {
    this.rng = rng;
    this.unit = 0;
    this.segments = [];
    this.emailTemplates = [];
    this.pushTemplates = [];
    this.lists = [];
    this.scores = [];
    this.journeys = [];
    /** Journeys another journey may `start` (they do not read a trigger event). */
    this.startable = [];
  }
  /** A new step label, unique in the journey; `wait` labels are remembered for `migrate`. */
  newLabel(wait = false) {
    const label = `${this.rng.pick(LABEL_BASES)}_${this.labels.length + 1}`;
    this.labels.push(label);
    if (wait) this.waitLabels.push(label);
    return label;
  }
  /** In a journey with `on new version: migrate`, every step where customers wait gets a label. */
  labelWait(line) {
    return this.labelWaits && line.startsWith("wait") ? `${this.newLabel(true)}: ${line}` : line;
  }
  nextId() {
    this.unit += 1;
    return pad5(this.unit);
  }
  some(list, fallback) {
    return list.length > 0 ? this.rng.pick(list) : fallback;
  }
  segment() {
    return this.some(this.segments, "segment_base_engaged");
  }
  email() {
    return this.some(this.emailTemplates, "template_base_promo");
  }
  push() {
    return this.some(this.pushTemplates, "template_base_push");
  }
  list() {
    return this.some(this.lists, "list_base_vip");
  }
  score() {
    return this.some(this.scores, "score_base_engagement");
  }
}

function duration(rng, units = ["days", "days", "days", "hours", "weeks"]) {
  const unit = rng.pick(units);
  if (unit === "hours") return rng.chance(0.2) ? "1 hour" : `${rng.int(2, 48)} hours`;
  if (unit === "weeks") return rng.chance(0.2) ? "1 week" : `${rng.int(2, 8)} weeks`;
  if (unit === "minutes") return `${rng.pick([15, 30, 45, 90])} minutes`;
  return rng.chance(0.1) ? "1 day" : `${rng.int(2, 30)} days`;
}

function window(rng) {
  const r = rng.next();
  if (r < 0.1) return "ever";
  if (r < 0.2) return `since ${rng.pick(EVENTS)}`;
  return `last ${rng.pick([7, 14, 30, 60, 90, 180, 365])} days`;
}

function timeOfDay(rng) {
  return `${two(rng.int(7, 20))}:${rng.pick(["00", "15", "30", "45"])}`;
}

function timeZone(rng) {
  return rng.chance(0.7) ? "customer time" : `in ${rng.pick(ZONES)}`;
}

function countryList(rng) {
  const n = rng.int(1, 4);
  const chosen = [];
  for (let i = 0; i < n; i++) chosen.push(rng.pick(COUNTRIES));
  return `[${chosen.join(", ")}]`;
}

/** A condition on the customer: used by segments and by `if`. */
function condition(ctx, depth = 0) {
  const rng = ctx.rng;
  const kind = rng.int(0, depth > 0 ? 14 : 17);
  switch (kind) {
    case 0:
      return `sum(purchase.total, ${window(rng)}) > ${rng.int(1, 40) * 25}`;
    case 1:
      return `count(${rng.pick(ENGAGEMENT_EVENTS)}, ${window(rng)}) >= ${rng.int(1, 10)}`;
    case 2:
      return `${rng.pick(EVENTS)} ever and no ${rng.pick(["purchase", "app_opened", "store_visit"])} in last ${rng.pick([60, 90, 180])} days`;
    case 3:
      return `rfm(purchase.total).recency >= ${rng.int(2, 5)} and rfm(purchase.total).frequency >= ${rng.int(2, 5)}`;
    case 4:
      return `${ctx.score()} >= ${rng.int(2, 20) * 5} and loyalty_tier != "none"`;
    case 5:
      return `country in ${countryList(rng)}`;
    case 6:
      return `phone is set and consent.sms == true`;
    case 7:
      return `last purchase.channel == "${rng.pick(["store", "online"])}" and last purchase within ${rng.int(7, 60)} days`;
    case 8:
      return `avg(purchase.total, ${window(rng)}) > ${rng.int(20, 120)} or count(review_left where rating >= 4, last 365 days) >= 2`;
    case 9:
      return `not (count(email_opened, last ${rng.pick([30, 60, 90])} days) >= 1)`;
    case 10:
      return `${ctx.segment()} and points > ${rng.int(1, 50) * 100}`;
    case 11:
      return `count(page_view where url contains ${rng.pick(URL_PARTS)}, since purchase) >= ${rng.int(2, 6)}`;
    case 12:
      return `birthday is set and loyalty_tier in ["silver", "gold"]`;
    case 13:
      return `(sum(purchase.total, last 365 days) - sum(purchase.total, last 30 days)) / 12 > ${rng.int(10, 90)}`;
    case 14:
      return `loyalty_tier == "${rng.pick(["gold", "silver", "none"])}" and not (email is not set)`;
    case 15:
      return `(${condition(ctx, depth + 1)}) or ${ctx.segment()}`;
    case 16:
      return `${rng.pick(ENGAGEMENT_EVENTS)} in last ${rng.pick([3, 7, 14])} days and points * 2 + 10 > ${rng.int(100, 900)}`;
    default:
      return `first purchase within ${rng.int(30, 400)} days and count(purchase, ever) == 1`;
  }
}

/** A condition inside a journey (`if`): mostly customer conditions, some about the journey's own events. */
function journeyCondition(ctx) {
  const rng = ctx.rng;
  const r = rng.next();
  if (r < 0.15) return `no ${rng.pick(["purchase", "email_clicked", "app_opened"])} since ${rng.pick(["landing_visited", "email_opened", "page_view"])}`;
  if (r < 0.25) return `loyalty_tier == "${rng.pick(["gold", "silver", "none"])}"`;
  if (r < 0.35) return ctx.segment();
  if (r < 0.42) return `customer.points > ${rng.int(1, 30) * 50}`;
  if (r < 0.5) return `email_opened in last ${rng.pick([3, 7, 14])} days`;
  if (r < 0.56) return `not (${ctx.segment()} or ${ctx.segment()})`;
  return condition(ctx, 1);
}

/** An SMS text; one that reads `trigger.x` only in journeys whose trigger event has `x`. */
function smsText(ctx) {
  const text = ctx.rng.pick(SMS_TEXTS);
  const field = /trigger\.(\w+)/.exec(text)?.[1];
  if (field && !TRIGGER_FIELDS[field]?.includes(ctx.trigger)) return SMS_TEXTS[0];
  return text;
}

function sendLine(ctx, alias) {
  const rng = ctx.rng;
  const r = rng.next();
  if (r < 0.45) return `send email ${ctx.email()}${alias ? ` as ${alias}` : ""}`;
  if (r < 0.7) return `send sms ${smsText(ctx)}`;
  if (r < 0.85) return rng.chance(0.5) ? `send push ${ctx.push()}` : `send push ${rng.pick(PUSH_TEXTS)}`;
  if (r < 0.93) return `send webhook "https://hooks.example.com/crm/${rng.int(100, 999)}"`;
  return `show in_app ${rng.pick(IN_APP_TEXTS)}`;
}

/** One single-line step (never `exit`: that one is only ever placed last). */
function oneLineStep(ctx) {
  const rng = ctx.rng;
  const kind = rng.weighted({ send: 34, wait: 30, set: 7, list: 7, track: 5, notify: 4, holdout: 2, start: 3, waitFor: 8 });
  switch (kind) {
    case "send":
      return sendLine(ctx, rng.chance(0.1) ? `msg_${ctx.journeyStepCount + 1}` : undefined);
    case "wait": {
      const r = rng.next();
      if (r < 0.6) return `wait ${duration(rng)}`;
      if (r < 0.75) return `wait until ${timeOfDay(rng)}${rng.chance(0.7) ? ` ${timeZone(rng)}` : ""}`;
      if (r < 0.85) return `wait until customer.${rng.pick(["birthday", "signed_up_at"])}`;
      return "wait for best send time";
    }
    case "waitFor":
      return `wait for ${rng.pick(ENGAGEMENT_EVENTS)} up to ${duration(rng, ["days", "hours"])}`;
    case "set":
      return rng.chance(0.5)
        ? `set customer.points = customer.points + ${rng.int(1, 20) * 10}`
        : rng.chance(0.5)
          ? `set customer.loyalty_tier = "${rng.pick(["silver", "gold"])}"`
          : `set customer.last_campaign = "${ctx.journeyName}"`;
    case "list":
      return rng.chance(0.7)
        ? `add to ${rng.chance(0.7) ? "list " : ""}${ctx.list()}`
        : `remove from ${rng.chance(0.7) ? "list " : ""}${ctx.list()}`;
    case "track":
      return `track ${rng.pick(["journey_milestone", "offer_shown", "coupon_issued"])}`;
    case "notify":
      return `notify ${rng.pick(NOTIFY_TEMPLATES)}`;
    case "holdout":
      return `holdout ${rng.pick([5, 10, 15, 20])}%`;
    default:
      return ctx.startable.length > 0 ? `start journey ${rng.pick(ctx.startable)}` : `wait ${duration(rng)}`;
  }
}

/**
 * Steps filling exactly `budget` lines at indentation `ind`. Returns { lines, steps }.
 * Multi-line steps get a share of the budget; single-line steps fill what is left.
 */
function steps(ctx, budget, ind, depth) {
  const rng = ctx.rng;
  const out = [];
  let count = 0;
  const pad = "  ".repeat(ind);
  while (out.length < budget) {
    const remaining = budget - out.length;
    if (remaining >= 2 && rng.chance(0.05)) {
      out.push(pad + rng.pick(COMMENTS));
      continue;
    }
    if (remaining === 1 && depth > 0 && rng.chance(0.15)) {
      out.push(`${pad}exit`);
      count += 1;
      break;
    }
    const cap = depth === 0 ? 14 : depth === 1 ? 8 : 5;
    const canNest = depth < 3 && remaining >= 2;
    const kind = canNest ? rng.weighted({ one: 62, if: 10, match: 4, split: 5, experiment: 2, waitElse: 9, show: 4, track: 3 }) : "one";
    const alloc = Math.min(remaining, rng.int(2, cap));
    const step = multiLine(ctx, kind, alloc, ind, depth);
    if (step === undefined) {
      let line = ctx.labelWait(oneLineStep(ctx));
      if (!/^\w+: /.test(line) && rng.chance(0.12)) line = `${ctx.newLabel()}: ${line}`;
      out.push(pad + line);
      count += 1;
      ctx.journeyStepCount += 1;
    } else {
      out.push(...step.lines);
      count += step.steps;
    }
  }
  return { lines: out, steps: count };
}

/** A multi-line step in at most `alloc` lines, or undefined when it does not fit. */
function multiLine(ctx, kind, alloc, ind, depth) {
  const rng = ctx.rng;
  const pad = "  ".repeat(ind);
  const label = () => (rng.chance(0.15) ? `${ctx.newLabel()}: ` : "");
  const nested = (budget) => steps(ctx, budget, ind + 1, depth + 1);
  const nestedCase = (budget) => steps(ctx, budget, ind + 2, depth + 1); // inside `match {` / `split {` arms
  ctx.journeyStepCount += 1;
  switch (kind) {
    case "if": {
      if (alloc < 3) break;
      const lines = [`${pad}${label()}if ${journeyCondition(ctx)} {`];
      // if … { a } [else if … { b }] [else { c }]: split what is left between the bodies
      const elseIfs = alloc >= 9 && rng.chance(0.3) ? 1 : 0;
      const hasElse = alloc >= 5 + elseIfs * 2 && rng.chance(0.5);
      const bodies = 1 + elseIfs + (hasElse ? 1 : 0);
      let free = alloc - 1 - 2 * bodies; // each body needs ≥ 1 line, each separator/closer 1
      let inner = 1;
      for (let b = 0; b < bodies; b++) {
        const last = b === bodies - 1;
        const extra = last ? free : rng.int(0, free);
        free -= extra;
        const body = nested(1 + extra);
        inner += body.steps;
        lines.push(...body.lines);
        if (!last) lines.push(b < elseIfs ? `${pad}} else if ${journeyCondition(ctx)} {` : `${pad}} else {`);
        else lines.push(`${pad}}`);
      }
      return { lines, steps: inner };
    }
    case "match": {
      if (alloc < 4) break;
      const [subject, values] = rng.pick([
        ["loyalty_tier", ['"gold"', '"silver"', '"none"']],
        ["country", COUNTRIES],
        ["last purchase.channel", ['"store"', '"online"']],
        ["customer.points / 1000", ["0", "1", "2", "3"]],
      ]);
      const lines = [`${pad}${label()}match ${subject} {`];
      let count = 1;
      let free = alloc - 2;
      const cases = Math.min(values.length + 1, free, rng.int(2, 4));
      for (let c = 0; c < cases; c++) {
        const isElse = c === values.length || (c === cases - 1 && rng.chance(0.6));
        let head;
        if (isElse) head = "else";
        else if (subject === "country" && rng.chance(0.5)) head = `${values[c % values.length]}, ${values[(c + 5) % values.length]}`;
        else head = values[c % values.length];
        const left = free - (cases - c - 1); // keep one line for each case still to come
        if (left >= 3 && rng.chance(0.5)) {
          const budget = rng.int(1, Math.min(left - 2, 4));
          const body = nestedCase(budget);
          lines.push(`${pad}  ${head} {`, ...body.lines, `${pad}  }`);
          free -= budget + 2;
          count += body.steps;
        } else {
          ctx.journeyStepCount += 1;
          lines.push(`${pad}  ${head} { ${ctx.labelWait(oneLineStep(ctx))} }`);
          free -= 1;
          count += 1;
        }
      }
      lines.push(`${pad}}`);
      return { lines, steps: count };
    }
    case "split":
    case "experiment": {
      const isExperiment = kind === "experiment";
      if (alloc < (isExperiment ? 5 : 4)) break;
      const shares = rng.pick(alloc >= 6 ? [[50, 50], [70, 30], [90, 10], [34, 33, 33], [40, 30, 30], [50, 25, 25]] : [[50, 50], [80, 20]]);
      const names = ["a", "b", "c"];
      const lines = [isExperiment ? `${pad}${label()}experiment ${rng.pick(["subject_line", "channel_mix", "timing", "offer"])}_test {` : `${pad}${label()}split {`];
      let count = 1;
      let free = alloc - 2 - (isExperiment ? 1 : 0);
      for (let a = 0; a < shares.length; a++) {
        const name = isExperiment ? ` variant_${names[a]}` : rng.chance(0.3) ? ` ${a === shares.length - 1 ? "control" : `arm_${names[a]}`}` : "";
        const left = free - (shares.length - a - 1);
        if (left >= 3 && rng.chance(0.5)) {
          const budget = rng.int(1, Math.min(left - 2, 4));
          const body = nestedCase(budget);
          lines.push(`${pad}  ${shares[a]}%${name} {`, ...body.lines, `${pad}  }`);
          free -= budget + 2;
          count += body.steps;
        } else if (!isExperiment && a === shares.length - 1 && rng.chance(0.3)) {
          lines.push(`${pad}  ${shares[a]}%${name} { }`); // a control arm that does nothing
          free -= 1;
        } else {
          ctx.journeyStepCount += 1;
          lines.push(`${pad}  ${shares[a]}%${name} { ${ctx.labelWait(oneLineStep(ctx))} }`);
          free -= 1;
          count += 1;
        }
      }
      if (isExperiment) lines.push(`${pad}  pick winner by goal${rng.chance(0.7) ? ` after ${duration(rng, ["days"])}` : ""}`);
      lines.push(`${pad}}`);
      return { lines, steps: count };
    }
    case "waitElse": {
      const event = rng.pick(ENGAGEMENT_EVENTS);
      const where = event === "email_opened" && ctx.alias ? ` where message == ${ctx.alias}.id` : rng.chance(0.2) && event === "page_view" ? ` where url contains ${rng.pick(URL_PARTS)}` : "";
      const matching = ctx.correlation && rng.chance(0.5) ? ` matching ${ctx.correlation}` : "";
      const waitLabel = ctx.labelWaits ? `${ctx.newLabel(true)}: ` : label();
      const head = `${pad}${waitLabel}wait for ${ctx.correlation && matching ? "purchase" : event}${matching ? "" : where}${matching} up to ${duration(rng, ["days", "hours"])}`;
      if (alloc >= 3 && rng.chance(0.35)) {
        const body = nested(Math.min(alloc - 2, 4));
        return { lines: [`${head} else {`, ...body.lines, `${pad}}`], steps: 1 + body.steps };
      }
      ctx.journeyStepCount += 1;
      return { lines: [head, `${pad}  else { ${sendLine(ctx)} }`], steps: 2 };
    }
    case "show": {
      if (alloc < 3) break;
      const lines = [`${pad}${label()}show in_app ${rng.pick(IN_APP_TEXTS)} {`];
      if (rng.chance(0.7)) {
        lines.push(`${pad}  recommend ${rng.int(2, 8)} Product like last purchase.items boost stock > ${rng.int(1, 20) * 10}`);
      } else {
        lines.push(`${pad}  recommend ${rng.int(2, 8)} Product where category == "${rng.pick(["shoes", "bags", "beauty", "home"])}" and stock > 0`);
      }
      if (alloc >= 4 && rng.chance(0.5)) lines.push(`${pad}  title ${rng.pick(IN_APP_TEXTS)}`);
      lines.push(`${pad}}`);
      return { lines, steps: 1 };
    }
    case "track": {
      if (alloc < 3) break;
      const lines = [`${pad}${label()}track journey_milestone {`];
      const n = Math.min(alloc - 2, rng.int(1, 3));
      const fields = [
        `journey = "${ctx.journeyName}"`,
        `step = ${ctx.journeyStepCount}`,
        ctx.trigger === "cart_abandoned" ? "value = trigger.value * 1.1" : "value = customer.points * 1.1",
        `tier = loyalty_tier`,
      ];
      for (let i = 0; i < n; i++) lines.push(`${pad}  ${fields[i]}`);
      lines.push(`${pad}}`);
      return { lines, steps: 1 };
    }
  }
  ctx.journeyStepCount -= 1;
  return undefined;
}

// ── Declarations ────────────────────────────────────────────────────────────

/** A journey declaration of exactly `budget` lines (budget ≥ 8). */
function journey(ctx, budget) {
  const rng = ctx.rng;
  const id = ctx.nextId();
  const name = `journey_${id}`;
  ctx.journeyName = name;
  ctx.journeyStepCount = 0;
  ctx.labels = [];
  ctx.waitLabels = [];
  ctx.labelWaits = false;
  ctx.alias = undefined;
  ctx.correlation = undefined;
  ctx.trigger = undefined;

  const head = [];
  if (rng.chance(0.3)) head.push(`/// ${rng.pick(TITLES)}: generated journey ${id}.`);
  head.push(`journey ${name}${rng.chance(0.85) ? ` "${rng.pick(TITLES)} ${id}"` : ""} {`);
  const t = rng.next();
  if (t < 0.3) head.push(`  when customer ${rng.chance(0.8) ? "enters" : "leaves"} ${ctx.segment()}`);
  else if (t < 0.45) {
    ctx.correlation = "cart_id";
    ctx.trigger = "cart_abandoned";
    head.push(`  when cart_abandoned where value > ${rng.int(1, 10) * 10} per cart_id`);
  } else if (t < 0.65) {
    ctx.trigger = "page_view";
    head.push(`  when page_view where url contains ${rng.pick(URL_PARTS)}`);
  } else if (t < 0.72) {
    ctx.trigger = "purchase";
    head.push(`  when purchase where total > ${rng.int(2, 40) * 5} and channel == "${rng.pick(["store", "online"])}"`);
  } else if (t < 0.8) head.push(`  when on customer.birthday at ${timeOfDay(rng)} ${timeZone(rng)}`);
  else if (t < 0.92) {
    const every = rng.chance(0.6) ? rng.pick(WEEKDAYS) : duration(rng, ["days"]);
    head.push(`  when every ${every} at ${timeOfDay(rng)}${rng.chance(0.5) ? ` ${timeZone(rng)}` : ""} for ${ctx.segment()}`);
  } else head.push("  when api");
  const entry = rng.pick(["once", "once", "always", `every ${rng.int(2, 60)} days`]);
  head.push(`  entry ${entry}${rng.chance(0.2) ? "   // one enrolment at a time" : ""}`);
  head.push(
    rng.chance(0.7)
      ? `  goal purchase within ${rng.int(2, 30)} days`
      : `  goal purchase where total > ${rng.int(2, 20) * 10} within ${rng.int(2, 30)} days`,
  );
  if (rng.chance(0.5)) {
    head.push(
      ctx.correlation && rng.chance(0.6)
        ? "  exit when purchase where cart_id == trigger.cart_id"
        : `  exit when ${rng.pick(["unsubscribed", "unsubscribed where channel == \"email\"", "support_ticket where priority == \"high\""])}`,
    );
  }
  const version = rng.weighted({ none: 50, drain: 20, restart: 10, migrate: 20 });
  if (version !== "none") head.push("VERSION");
  ctx.labelWaits = version === "migrate";
  head.push("");

  // Lead with a send that has an alias sometimes, so a later wait can refer to it.
  const body = [];
  let stepCount = 0;
  let left = budget - head.length - 1;
  if (left >= 2 && rng.chance(0.3)) {
    ctx.alias = "promo";
    body.push(`  send email ${ctx.email()} as promo`);
    stepCount += 1;
    ctx.journeyStepCount += 1;
    left -= 1;
  }
  const rest = steps(ctx, Math.max(1, left), 1, 0);
  body.push(...rest.lines);
  stepCount += rest.steps;

  const versionIndex = head.indexOf("VERSION");
  if (versionIndex >= 0) {
    if (version === "migrate" && ctx.waitLabels.length > 0) {
      // Customers waiting at a step of the old version move onto one of this version's waits.
      const to = rng.pick(ctx.waitLabels);
      head[versionIndex] = `  on new version: migrate { ${to.replace(/_\d+$/, "")}_old -> ${to} }`;
    } else if (version === "migrate") head[versionIndex] = "  on new version: drain"; // no wait to move onto
    else head[versionIndex] = `  on new version${rng.chance(0.5) ? ":" : ""} ${version}`;
  }
  ctx.journeys.push(name);
  if (ctx.trigger === undefined) ctx.startable.push(name);
  return { name, lines: [...head, ...body, "}"], decls: 1, steps: stepCount };
}

const TEMPLATE_MAX_LINES = 9;

/** An email or push template: at most TEMPLATE_MAX_LINES lines. */
function template(ctx) {
  const rng = ctx.rng;
  const id = ctx.nextId();
  const kind = rng.weighted({ email: 6, push: 2, triple: 2 });
  if (kind === "push") {
    const name = `template_${id}_push`;
    ctx.pushTemplates.push(name);
    return {
      lines: [`template ${name} push {`, `  title ${rng.pick(PUSH_TEXTS)}`, `  body  "Tap to see what is new, {{ customer.first_name | default: 'friend' }}"`, "}"],
      decls: 1,
      steps: 0,
    };
  }
  const name = `template_${id}_${rng.pick(["promo", "reminder", "welcome", "winback", "digest"])}`;
  ctx.emailTemplates.push(name);
  const lines = [];
  if (rng.chance(0.3)) lines.push(`/// ${rng.pick(TITLES)}: the email.`);
  lines.push(`template ${name} email {`);
  lines.push(`  subject "{{ customer.first_name | default: 'Ciao' }}, ${rng.pick(["offers picked for you", "your cart is waiting", "welcome aboard", "we saved you a seat", "this week's picks"])}"`);
  if (rng.chance(0.4)) lines.push(`  preheader "${rng.pick(["Up to 30% off this week", "Free delivery over 50", "Members get early access"])}"`);
  if (kind === "triple") {
    lines.push('  body """', "    <p>Hi {{ customer.first_name | default: 'there' }},</p>", `    <p>${rng.pick(["Your points: {{ customer.points }}", "See you soon in store", "Thanks for being with us"])}</p>`, '  """');
  } else {
    lines.push(`  body    file "templates/${name}.liquid"`);
  }
  lines.push("}");
  return { lines, decls: 1, steps: 0 };
}

function score(ctx) {
  const rng = ctx.rng;
  const name = `score_${ctx.nextId()}_engagement`;
  const lines = [`score ${name} {`];
  const n = rng.int(2, 5);
  for (let i = 0; i < n; i++) {
    const event = rng.pick(ENGAGEMENT_EVENTS);
    const where = event === "page_view" && rng.chance(0.5) ? ` where url contains ${rng.pick(URL_PARTS)}` : "";
    lines.push(`  +${rng.int(1, 20)} on ${event}${where}`);
  }
  lines.push(`  -${rng.int(5, 30)} on unsubscribed`);
  if (rng.chance(0.7)) lines.push(`  halves every ${rng.pick([14, 30, 60, 90])} days`);
  lines.push("}");
  ctx.scores.push(name);
  return { lines, decls: 1, steps: 0 };
}

function segmentLine(ctx, suffix) {
  const name = `segment_${ctx.nextId()}_${suffix}`;
  const line = `segment ${name} = ${condition(ctx)}`;
  ctx.segments.push(name);
  return line;
}

const SEGMENT_SUFFIXES = ["big", "engaged", "lapsed", "champions", "ready", "local", "new", "loyal", "risk", "vip"];

/** Segments, lists and scores filling exactly `budget` lines. */
function segmentGroup(ctx, budget) {
  const rng = ctx.rng;
  const lines = [];
  let decls = 0;
  while (lines.length < budget) {
    const remaining = budget - lines.length;
    const r = rng.next();
    if (remaining >= 6 && r < 0.12) {
      const s = score(ctx);
      if (s.lines.length <= remaining) {
        lines.push(...s.lines);
        decls += 1;
        continue;
      }
      ctx.scores.pop();
    }
    if (remaining >= 3 && r < 0.25) {
      // a segment written over several lines
      const name = `segment_${ctx.nextId()}_${rng.pick(SEGMENT_SUFFIXES)}`;
      lines.push(`segment ${name} =`, `  ${condition(ctx)}`, `  ${rng.chance(0.5) ? "and" : "or"} ${condition(ctx)}`);
      ctx.segments.push(name);
      decls += 1;
      continue;
    }
    if (remaining >= 2 && r < 0.4) {
      lines.push(`/// ${rng.pick(["Spent over 500 in the last 90 days.", "Opened at least one email recently.", "Bought once, then went quiet.", "Ready for a sales call."])}`);
      continue;
    }
    if (r < 0.5) {
      const name = `list_${ctx.nextId()}_${rng.pick(["vip", "manual", "beta", "press"])}`;
      lines.push(`list ${name}${rng.chance(0.5) ? "   // static: filled by journeys, imports or the API" : ""}`);
      ctx.lists.push(name);
      decls += 1;
      continue;
    }
    lines.push(segmentLine(ctx, rng.pick(SEGMENT_SUFFIXES)));
    decls += 1;
  }
  return { lines, decls, steps: 0 };
}

function policy(ctx) {
  const rng = ctx.rng;
  return {
    lines: [
      `policy ${`marketing_${ctx.nextId()}`} {`,
      "  respect consent                          // no email without consent.email",
      `  quiet hours ${two(rng.int(20, 22))}:00 - ${two(rng.int(7, 9))}:00 customer time`,
      `  at most ${rng.int(2, 5)} email per 7 days`,
      `  at most 1 sms per ${rng.pick(["day", "2 days", "week"])}`,
      `  at most ${rng.int(1, 3)} push per day`,
      "}",
    ],
    decls: 1,
    steps: 0,
  };
}

/** Names every later file may use, declared first so the namespace is complete. */
function baseDeclarations(ctx) {
  const lines = [
    "// Shared building blocks referred to across the workspace.",
    "segment segment_base_engaged = count(email_opened, last 30 days) >= 1",
    "segment segment_base_big = sum(purchase.total, last 90 days) > 500",
    "list list_base_vip",
    "template template_base_promo email {",
    "  subject \"{{ customer.first_name | default: 'Ciao' }}, offers picked for you\"",
    '  body    file "templates/promo.liquid"',
    "}",
    "template template_base_push push {",
    '  title "Something new for you"',
    '  body  "Open the app to see it"',
    "}",
    ...NOTIFY_TEMPLATES.flatMap((name) => [`template ${name} webhook {`, `  url  "https://hooks.example.com/${name}"`, '  body "{\\"customer\\": \\"{{ customer.customer_id }}\\"}"', "}"]),
    "score score_base_engagement {",
    "  +5  on email_opened",
    '  +10 on page_view where url contains "/pricing"',
    "  -20 on unsubscribed",
    "  halves every 30 days",
    "}",
  ];
  ctx.segments.push("segment_base_engaged", "segment_base_big");
  ctx.lists.push("list_base_vip");
  ctx.emailTemplates.push("template_base_promo");
  ctx.pushTemplates.push("template_base_push");
  ctx.scores.push("score_base_engagement");
  return { lines, decls: 6 + NOTIFY_TEMPLATES.length, steps: 0 };
}

// ── Files and shapes ────────────────────────────────────────────────────────

function finish(path, parts) {
  const lines = [];
  let decls = 0;
  let stepCount = 0;
  for (const part of parts) {
    lines.push(...part.lines);
    decls += part.decls;
    stepCount += part.steps;
  }
  return { path, text: `${lines.join("\n")}\n`, lines: lines.length, decls, steps: stepCount };
}

const blank = { lines: [""], decls: 0, steps: 0 };
const schemaPart = () => ({ lines: SCHEMA.trimEnd().split("\n"), decls: SCHEMA_DECLS, steps: 0 });

/**
 * Fills exactly `target` lines with units (journeys, segment groups, templates) separated by
 * blank lines; what is too small for a unit is filled with one-line declarations.
 */
function fillFile(ctx, target, parts, journeyMax) {
  const rng = ctx.rng;
  let used = parts.reduce((n, p) => n + p.lines.length, 0);
  while (used < target) {
    if (used > 0 && target - used >= 2) {
      parts.push(blank);
      used += 1;
    }
    const remaining = target - used;
    const kind = rng.weighted({ journey: 62, segments: 26, templates: 12 });
    let part;
    if (kind === "journey" && remaining >= 10) part = journey(ctx, rng.int(10, Math.min(remaining, journeyMax)));
    else if (kind === "templates" && remaining >= TEMPLATE_MAX_LINES) part = template(ctx);
    else part = segmentGroup(ctx, Math.min(remaining, rng.int(3, 16)));
    parts.push(part);
    used += part.lines.length;
  }
  return parts;
}

function manySmall() {
  const ctx = new Context(new Rng(hashSeed("many-small")));
  const files = [];
  files.push(finish("schema.journey", [schemaPart()]));
  files.push(finish("policy.journey", [policy(ctx), blank, baseDeclarations(ctx)]));
  for (let i = 2; i < 1000; i++) {
    const target = ctx.rng.int(10, 40);
    const kind = i < 12 ? "segments" : ctx.rng.weighted({ journey: 70, segments: 20, templates: 10 });
    const n = pad5(i);
    if (kind === "segments") {
      files.push(finish(`segments_${n}.journey`, [{ lines: [`// Segments, group ${n}`], decls: 0, steps: 0 }, segmentGroup(ctx, target - 1)]));
    } else if (kind === "templates") {
      const parts = [];
      let used = 0;
      while (used < target) {
        if (used > 0) {
          parts.push(blank);
          used += 1;
        }
        const remaining = target - used;
        const part = remaining >= TEMPLATE_MAX_LINES ? template(ctx) : segmentGroup(ctx, remaining);
        parts.push(part);
        used += part.lines.length;
      }
      files.push(finish(`templates_${n}.journey`, parts));
    } else {
      // a journey, sometimes with its own email template on top
      const parts = [];
      if (target >= 20 && ctx.rng.chance(0.3)) parts.push(template(ctx), blank);
      const used = parts.reduce((k, p) => k + p.lines.length, 0);
      const made = journey(ctx, target - used);
      parts.push(made);
      files.push(finish(`${made.name}.journey`, parts));
    }
  }
  return files;
}

function oneLarge() {
  const ctx = new Context(new Rng(hashSeed("one-large")));
  const parts = [schemaPart(), blank, policy(ctx), blank, baseDeclarations(ctx)];
  return [finish("workspace.journey", fillFile(ctx, 20000, parts, 80))];
}

function medium() {
  const ctx = new Context(new Rng(hashSeed("medium")));
  const files = [];
  for (let i = 0; i < 50; i++) {
    const parts = i === 0 ? [schemaPart(), blank, policy(ctx), blank, baseDeclarations(ctx)] : [{ lines: [`// Part ${i + 1} of 50`], decls: 0, steps: 0 }];
    files.push(finish(`part_${pad5(i)}.journey`, fillFile(ctx, 400, parts, 60)));
  }
  return files;
}

export const SHAPES = {
  "many-small": manySmall,
  "one-large": oneLarge,
  medium,
};

/**
 * A JSON document of exactly `bytes` UTF-8 bytes, shaped like a journey export (nested objects,
 * arrays, short strings and numbers, indented by two spaces), made from `seed`.
 */
export function jsonTwin(bytes, seed) {
  const rng = new Rng(seed);
  const open = '{\n  "kind": "journey-export",\n  "items": [\n';
  const close = (padding) => `\n  ],\n  "note": "${padding}"\n}\n`;
  const items = [];
  let size = open.length + close("").length;
  for (let i = 0; ; i++) {
    const item = {
      name: `journey_${pad5(i)}`,
      title: rng.pick(TITLES),
      trigger: { event: rng.pick(EVENTS), where: { op: ">", field: "total", value: rng.int(1, 500) } },
      entry: rng.pick(["once", "always", "every 30 days"]),
      goal: { event: "purchase", withinDays: rng.int(1, 30) },
      steps: [],
    };
    const n = rng.int(1, 6);
    for (let s = 0; s < n; s++) {
      item.steps.push(
        rng.chance(0.5)
          ? { send: { channel: rng.pick(["email", "sms", "push"]), template: `template_${pad5(rng.int(0, 99999))}` } }
          : { wait: { amount: rng.int(1, 48), unit: rng.pick(["hours", "days"]) }, label: rng.chance(0.3) ? `reminder_${s}` : null, active: rng.chance(0.9) },
      );
    }
    const text = JSON.stringify(item, null, 2).replace(/^/gm, "    ");
    const extra = text.length + (items.length > 0 ? 2 : 0); // ",\n" between items
    if (size + extra > bytes) break;
    items.push(text);
    size += extra;
  }
  const padding = "x".repeat(bytes - size);
  const doc = open + items.join(",\n") + close(padding);
  if (Buffer.byteLength(doc) !== bytes) throw new Error(`jsonTwin: made ${Buffer.byteLength(doc)} bytes instead of ${bytes}`);
  return doc;
}

/** Generates one shape in memory: [{ path, text, lines, decls, steps }]. */
export function generate(shape) {
  const make = SHAPES[shape];
  if (!make) throw new Error(`unknown shape ${shape}: expected one of ${Object.keys(SHAPES).join(", ")}`);
  return make();
}

export function sha256(files) {
  const hash = createHash("sha256");
  for (const file of files) {
    hash.update(file.path);
    hash.update("\0");
    hash.update(file.text);
    hash.update("\0");
  }
  return hash.digest("hex");
}

const LIQUID_LINES = [
  "<p>Hi {{ customer.first_name | default: 'there' }},</p>",
  "<p>You have {{ customer.points }} points{% if customer.loyalty_tier == 'gold' %} and every gold perk{% endif %}.</p>",
  "<ul>{% for tag in customer.favourite_tags limit: 3 %}<li>{{ tag | capitalize }}</li>{% endfor %}</ul>",
  "<p>{% case customer.loyalty_tier %}{% when 'gold' %}Free delivery, always.{% when 'silver' %}Free delivery over 30.{% else %}Join the club.{% endcase %}</p>",
  "<p>Picked for you: <a href=\"{{ links.picks }}\">see them</a></p>",
  "<p>Your code: {{ 'SAVE10' | coupon }}</p>",
  "<p>See you in {{ customer.country | default: 'your shop' }}, {{ customer.last_name | default: '' | upcase }}.</p>",
];

/**
 * The Liquid files the templates read (`body file "templates/x.liquid"`, relative to the shape's
 * root): [{ path, text }], each made from its own name, so they never change the `.journey` text.
 */
export function templateBodies(files) {
  const paths = new Set();
  for (const file of files) for (const match of file.text.matchAll(/\bfile "([^"]+)"/g)) paths.add(match[1]);
  return [...paths].sort().map((path) => {
    const rng = new Rng(hashSeed(path));
    const lines = [LIQUID_LINES[0]];
    for (let i = rng.int(2, 5); i > 0; i--) lines.push(rng.pick(LIQUID_LINES.slice(1)));
    lines.push("<p>{{ links.unsubscribe }}</p>");
    return { path, text: `${lines.join("\n")}\n` };
  });
}

/** Writes a shape under bench/workspaces/<shape>/ (replacing what was there), with its template files. */
export function writeShape(shape, files) {
  const dir = join(WORKSPACES_DIR, shape);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const file of [...files, ...templateBodies(files)]) {
    mkdirSync(dirname(join(dir, file.path)), { recursive: true });
    writeFileSync(join(dir, file.path), file.text);
  }
  return dir;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const shape of Object.keys(SHAPES)) {
    const files = generate(shape);
    const dir = writeShape(shape, files);
    const bytes = files.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
    const lines = files.reduce((n, f) => n + f.lines, 0);
    console.log(`${shape.padEnd(10)} ${String(files.length).padStart(5)} files ${String(lines).padStart(7)} lines ${String(bytes).padStart(9)} bytes  sha256 ${sha256(files).slice(0, 16)}  → ${dir}`);
  }
}
