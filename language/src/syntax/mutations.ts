import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";

/**
 * A fuzzing corpus for everything that reads `.journey` text: seed files, plus a fast-check
 * generator of broken versions of them (tokens deleted, duplicated, swapped or replaced; random
 * bytes, brackets and keywords inserted; lines dropped; the text cut off mid-typing).
 *
 * Test-only: the parser's fuzz test uses it today, the checker's tests can feed the same broken
 * texts to later phases. Mutations are plain data, so a failing case prints as a readable recipe.
 */

/** A source text that uses most constructs of the language; valid, so that every mutation starts from a real file. */
export const builtInSeed = `/// One person, whichever way they reach us.
customer {
  identified by customer_id, email, loyalty_card

  customer_id  text
  loyalty_card text?
  first_name   text?
  email        email?
  phone        phone?
  country      country
  timezone     timezone = "Europe/Rome"
  loyalty_tier "none" | "silver" | "gold" = "none"
  birthday     date?
  visits       int = 0
  consent { email bool = false   sms bool = false }
}

event purchase {
  order_id text
  channel  "store" | "online"
  total    money
  items    list of { sku ref Product   category text   price money }
}
event page_view       { url url   sku ref Product? }
event cart_abandoned  { cart_id text   value money   url url }
event email_opened    { message text }
event signup          { source text? }
event unsubscribed    { channel "email" | "sms" | "push" }

object Product key sku { name text   category text   price money   stock int }

/// Spent over 500 in the last 90 days.
segment big_spenders = sum(purchase.total, last 90 days) > 500
segment engaged      = count(email_opened, last 30 days) >= 1
segment lapsed       = purchase ever and no purchase in last 180 days
segment recent       = purchase since signup or not (visits < 2 * 3 - 1)
segment italians     = country in ["IT", "SM", "VA"] and phone is set and birthday is not set
segment pricing_fans = count(page_view where url contains "/pricing", ever) > 2
segment champions    = rfm(purchase.total).recency >= 4 and first purchase.total / 2 > -10
list    vip_manual   // static: filled by journeys, imports or the API

score engagement {
  +5  on email_opened
  +10 on page_view where url contains "/pricing"
  -20 on unsubscribed
  halves every 30 days
}

template promo_email email {
  subject "{{ customer.first_name | default: 'Ciao' }}, offers picked for you"
  body    file "templates/promo.liquid"
}
template long_note email {
  subject 'A note'
  body """
    Dear {{ customer.first_name | default: "friend" }},
    thank you.
  """
}

policy {
  respect consent
  quiet hours 21:00 - 08:00 customer time
  at most 3 email per 7 days
  at most 1 sms per day
}
policy italy { quiet hours 22:00 - 07:30 in "Europe/Rome" }

journey promo_followup "Promo with SMS fallback" {
  when customer enters big_spenders
  entry once
  goal purchase within 7 days
  exit when unsubscribed
  on new version: drain

  promo: send email promo_email as promo
  wait for email_opened where message == promo.id up to 2 days
    else { send sms "Same offer for you: {{ links.promo }}" }
  wait 2 days
  if no purchase since email_opened {
    send sms "Your coupon: {{ 'SAVE10' | coupon }}"
  } else if engagement >= 50 {
    notify sales_team
  } else {
    add to list vip_manual
  }
}

/// One enrollment per cart.
journey abandoned_cart "Abandoned cart" {
  when cart_abandoned where value > 20 per cart_id
  entry always
  exit when purchase where cart_id == trigger.cart_id
  on new version: migrate { reminder -> reminder_v2 }

  wait 1 hour
  reminder: send email promo_email
  wait for purchase matching cart_id up to 1 day
    else { send sms "Your cart is still here: {{ trigger.url }}" }
}

journey birthday {
  when on customer.birthday at 09:00 customer time
  entry every 365 days
  wait until 10:30 in "Europe/Rome"
  wait until customer.birthday
  wait for best send time
  match customer.loyalty_tier {
    "gold" { send email promo_email }
    "silver", "none" { send push "Happy birthday!" }
    else { exit }
  }
}

journey weekly {
  when every monday at 10:00 customer time for engaged
  split {
    50% control { track weekly_control { week = 1  source = "split" } }
    50% { show in_app promo_email { title "Hi" recommend 4 Product like last purchase.items boost stock > 100 where price < 50 } }
  }
  holdout 10%
  experiment subject_test {
    50% a { send email promo_email }
    50% b { send sms "Hello" }
    pick winner by goal after 3 days
  }
}

journey from_api {
  when api
  set customer.loyalty_tier = "gold"
  remove from list vip_manual
  start journey weekly
  exit
}

journey leavers {
  when customer leaves engaged
  entry every 30 days
  on new version restart
  wait 3 weeks
  send webhook "https://example.com/hook"
}

journey nightly { when every day at 02:00  remove from vip_manual }
journey each_week { when every 7 days  wait 30 minutes  exit }
`;

const declarationStart = /^(?:customer|event|object|segment|list|score|template|journey|policy)\b/;

/** Splits a file into its top-level declarations (each with the doc comment above it): small seeds fuzz faster. */
export function splitDeclarations(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  const chunks: string[] = [];
  let current = "";
  let docs = "";
  for (const line of lines) {
    if (line.startsWith("///")) {
      docs += line;
      continue;
    }
    if (declarationStart.test(line) && current.trim() !== "") {
      chunks.push(current);
      current = "";
    }
    current += docs + line;
    docs = "";
  }
  current += docs;
  if (current.trim() !== "") chunks.push(current);
  return chunks;
}

/** Every `*.journey` file under a folder (recursively), sorted by path so runs are reproducible. */
export function journeyFilesUnder(folder: string): Array<{ path: string; text: string }> {
  if (!existsSync(folder)) return [];
  const found: Array<{ path: string; text: string }> = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && entry.name.endsWith(".journey")) found.push({ path, text: readFileSync(path, "utf8") });
    }
  };
  walk(folder);
  return found;
}

/** The repository's `examples/` folder (seen from this module, in `src/` or `dist/`). */
export const examplesFolder = fileURLToPath(new URL("../../../examples/", import.meta.url));

/** The fixture inputs of the parser's golden tests. */
export const syntaxFixturesFolder = fileURLToPath(new URL("../../src/syntax/__fixtures__/", import.meta.url));

/**
 * The seed texts: the built-in seed, every example file and every golden fixture that exists now,
 * each whole and split into its declarations (deduplicated, in a stable order).
 */
export function fuzzSeeds(folders: readonly string[] = [examplesFolder, syntaxFixturesFolder]): string[] {
  const whole = [builtInSeed, ...folders.flatMap((folder) => journeyFilesUnder(folder).map((file) => file.text))];
  const seeds = new Set<string>();
  for (const text of whole) {
    seeds.add(text);
    for (const chunk of splitDeclarations(text)) seeds.add(chunk);
  }
  return [...seeds];
}

// ── Mutations ───────────────────────────────────────────────────────────────

/** One edit to a text. Positions are taken modulo what exists, so any number is valid for any text. */
export type Mutation =
  | { kind: "deleteToken"; at: number }
  | { kind: "duplicateToken"; at: number }
  | { kind: "swapTokens"; at: number; distance: number }
  | { kind: "replaceToken"; at: number; by: string }
  | { kind: "insert"; at: number; text: string }
  | { kind: "deleteLine"; at: number }
  | { kind: "duplicateLine"; at: number }
  | { kind: "cut"; at: number };

/** A rough tokenizer (independent of the real lexer on purpose): words, numbers, strings, comments, operators, one char otherwise. */
const roughToken =
  /\s+|\/\/[^\n]*|"""[\s\S]*?"""|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|[A-Za-z_][A-Za-z0-9_]*|\d+(?:[.:]\d+)?%?|->|==|!=|<=|>=|[\s\S]/gu;

/** The text cut into pieces; `words` are the indexes of the pieces that are not white space. */
function pieces(text: string): { parts: string[]; words: number[] } {
  const parts = text.match(roughToken) ?? [];
  const words: number[] = [];
  parts.forEach((part, i) => {
    if (!/^\s+$/.test(part)) words.push(i);
  });
  return { parts, words };
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  return starts;
}

/** Applies one mutation. Pure: the same text and mutation always give the same result. */
export function applyMutation(text: string, mutation: Mutation): string {
  switch (mutation.kind) {
    case "insert": {
      const at = mutation.at % (text.length + 1);
      return text.slice(0, at) + mutation.text + text.slice(at);
    }
    case "cut":
      return text.slice(0, mutation.at % (text.length + 1));
    case "deleteLine":
    case "duplicateLine": {
      const starts = lineStarts(text);
      const line = mutation.at % starts.length;
      const start = starts[line] ?? 0;
      const end = starts[line + 1] ?? text.length;
      const content = text.slice(start, end);
      const rest = text.slice(end);
      return mutation.kind === "deleteLine"
        ? text.slice(0, start) + rest
        : text.slice(0, end) + (content.endsWith("\n") ? content : `\n${content}`) + rest;
    }
    default: {
      const { parts, words } = pieces(text);
      if (words.length === 0) return text;
      const index = words[mutation.at % words.length] as number;
      const word = parts[index] as string;
      switch (mutation.kind) {
        case "deleteToken":
          parts[index] = "";
          break;
        case "duplicateToken":
          parts[index] = `${word} ${word}`;
          break;
        case "replaceToken":
          parts[index] = mutation.by;
          break;
        case "swapTokens": {
          const other = words[(mutation.at + mutation.distance) % words.length] as number;
          parts[index] = parts[other] as string;
          parts[other] = word;
          break;
        }
      }
      return parts.join("");
    }
  }
}

/** Applies mutations in order. */
export function applyMutations(text: string, mutations: readonly Mutation[]): string {
  return mutations.reduce(applyMutation, text);
}

/** Words and symbols of the language: inserting them explores grammar states that random bytes rarely reach. */
export const languageWords = [
  "customer", "event", "object", "segment", "list", "score", "template", "journey", "policy",
  "identified", "by", "key", "ref", "of", "file", "when", "entry", "goal", "exit", "on", "new", "version",
  "drain", "migrate", "restart", "once", "always", "every", "within", "per", "matching", "enters", "leaves",
  "at", "api", "time", "send", "show", "wait", "for", "up", "to", "until", "else", "if", "match", "split",
  "holdout", "experiment", "set", "add", "remove", "from", "track", "notify", "start", "as", "recommend",
  "like", "boost", "pick", "winner", "after", "best", "where", "and", "or", "not", "no", "last", "first",
  "ever", "in", "since", "contains", "is", "true", "false", "respect", "consent", "quiet", "most", "halves",
  "days", "hour", "minutes", "weeks", "month", "email", "sms", "text", "money", "purchase", "x",
  "0", "2", "-1", "3.5", "99999999999999999999999", "50%", "09:00", "99:99", "24:60",
  "{", "}", "(", ")", "[", "]", ",", ".", ":", "->", "=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/",
  "|", "?", "\"", "'", "\"\"\"", "\"text\"", "'text'", "//", "///", "\\", "@", "#", "$", ";", "`", "!", "&", "~",
] as const;

const controlChar = fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code));
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const oddSpace = fc.constantFrom("\r", "\r\n", "\t", "\v", "\f", "\u00a0", "\u2028", "\u2029", "\ufeff", "\u200b", "\u0000", "\u007f");
const bracket = fc.constantFrom("{", "}", "(", ")", "[", "]");

/** Text to insert: random code points (any plane), control characters, odd spaces, brackets, or words of the language. */
export const insertion: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 6 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: fc.oneof(controlChar, loneSurrogate, oddSpace), minLength: 1, maxLength: 4 }) },
  { weight: 2, arbitrary: fc.array(bracket, { minLength: 1, maxLength: 8 }).map((chars) => chars.join("")) },
  {
    weight: 4,
    arbitrary: fc
      .array(fc.constantFrom(...languageWords), { minLength: 1, maxLength: 3 })
      .map((words) => ` ${words.join(" ")} `),
  },
);

const position = fc.nat();

/** One mutation, weighted towards the edits people make while typing. */
export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("deleteToken" as const), at: position }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("duplicateToken" as const), at: position }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("swapTokens" as const),
      at: position,
      distance: fc.oneof(fc.integer({ min: 1, max: 3 }), fc.nat()),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("replaceToken" as const), at: position, by: fc.constantFrom(...languageWords) }),
  },
  { weight: 5, arbitrary: fc.record({ kind: fc.constant("insert" as const), at: position, text: insertion }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deleteLine" as const), at: position }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("duplicateLine" as const), at: position }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("cut" as const), at: position }) },
);

/** A broken text: which seed it came from, the recipe, and the result. */
export interface Mutant {
  seed: number;
  mutations: Mutation[];
  text: string;
}

/** Broken versions of the seeds: one to `maxMutations` mutations applied to a seed picked by index. */
export function mutants(seeds: readonly string[], maxMutations = 4): fc.Arbitrary<Mutant> {
  if (seeds.length === 0) throw new Error("mutants() needs at least one seed text");
  return fc
    .record({
      seed: fc.nat({ max: seeds.length - 1 }),
      mutations: fc.array(mutation, { minLength: 1, maxLength: maxMutations }),
    })
    .map(({ seed, mutations }) => ({ seed, mutations, text: applyMutations(seeds[seed] as string, mutations) }));
}
