import { createToken, Lexer, type TokenType } from "chevrotain";

/**
 * Every word that may be used as a name: identifiers and keywords alike. Keywords are "soft":
 * where the grammar expects a name (a field, a declaration, after a dot) a keyword is a name too,
 * so a schema can have fields called `channel`, `time` or `consent`.
 */
export const Name = createToken({ name: "Name", pattern: Lexer.NA, label: "a name" });

export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  categories: [Name],
  label: "a name",
});

/** Keywords by their spelling; each is a Name too. */
export const keywords: Record<string, TokenType> = {};

function keyword(word: string, label = `\`${word}\``): TokenType {
  const token = createToken({
    name: word.charAt(0).toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: [Name],
    label,
  });
  keywords[word] = token;
  return token;
}

// Declarations
export const Customer = keyword("customer");
export const Event = keyword("event");
export const ObjectKw = keyword("object");
export const Segment = keyword("segment");
export const List = keyword("list");
export const Score = keyword("score");
export const Template = keyword("template");
export const Journey = keyword("journey");
export const Policy = keyword("policy");
// Schema
export const Identified = keyword("identified");
export const By = keyword("by");
export const Key = keyword("key");
export const Ref = keyword("ref");
export const Of = keyword("of");
export const File = keyword("file");
// Journey settings
export const When = keyword("when");
export const Entry = keyword("entry");
export const Goal = keyword("goal");
export const Exit = keyword("exit");
export const On = keyword("on");
export const New = keyword("new");
export const Version = keyword("version");
export const Drain = keyword("drain");
export const Migrate = keyword("migrate");
export const Restart = keyword("restart");
export const Once = keyword("once");
export const Always = keyword("always");
export const Every = keyword("every");
export const Within = keyword("within");
export const Per = keyword("per");
export const Matching = keyword("matching");
export const Enters = keyword("enters");
export const Leaves = keyword("leaves");
export const At = keyword("at");
export const Api = keyword("api");
export const Time = keyword("time");
// Steps
export const Send = keyword("send");
export const Show = keyword("show");
export const Wait = keyword("wait");
export const For = keyword("for");
export const Up = keyword("up");
export const To = keyword("to");
export const Until = keyword("until");
export const Else = keyword("else");
export const If = keyword("if");
export const Match = keyword("match");
export const Split = keyword("split");
export const Holdout = keyword("holdout");
export const Experiment = keyword("experiment");
export const Set = keyword("set");
export const Add = keyword("add");
export const Remove = keyword("remove");
export const From = keyword("from");
export const Track = keyword("track");
export const Notify = keyword("notify");
export const Start = keyword("start");
export const As = keyword("as");
export const Recommend = keyword("recommend");
export const Like = keyword("like");
export const Boost = keyword("boost");
export const Pick = keyword("pick");
export const Winner = keyword("winner");
export const After = keyword("after");
export const Best = keyword("best");
// Expressions
export const Where = keyword("where");
export const And = keyword("and");
export const Or = keyword("or");
export const Not = keyword("not");
export const No = keyword("no");
export const Last = keyword("last");
export const First = keyword("first");
export const Ever = keyword("ever");
export const In = keyword("in");
export const Since = keyword("since");
export const Contains = keyword("contains");
export const Is = keyword("is");
export const True = keyword("true");
export const False = keyword("false");
// Policies and scores
export const Respect = keyword("respect");
export const Consent = keyword("consent");
export const Quiet = keyword("quiet");
export const Most = keyword("most");
export const Halves = keyword("halves");

/** `minute(s) hour(s) day(s) week(s) month(s)`: a duration's unit (also a name elsewhere). */
export const Unit = createToken({
  name: "Unit",
  pattern: /(?:minute|hour|day|week|month)s?/,
  longer_alt: Identifier,
  categories: [Name],
  label: "a unit such as `days`",
});

// Literals (order matters: a time of day and a percentage before a plain number)
export const TimeOfDay = createToken({ name: "TimeOfDay", pattern: /\d{1,2}:\d{2}/, label: "a time such as `09:00`" });
export const Percent = createToken({ name: "Percent", pattern: /\d+(?:\.\d+)?%/, label: "a percentage such as `50%`" });
export const NumberLiteral = createToken({ name: "NumberLiteral", pattern: /\d+(?:\.\d+)?/, label: "a number" });
export const StringLiteral = createToken({ name: "StringLiteral", pattern: Lexer.NA, label: "a text in quotes" });
export const TripleString = createToken({
  name: "TripleString",
  pattern: /"""[\s\S]*?"""/,
  categories: [StringLiteral],
  label: "a text in quotes",
  line_breaks: true,
});
export const DoubleString = createToken({
  name: "DoubleString",
  pattern: /"(?:[^"\\\r\n]|\\.)*"/,
  categories: [StringLiteral],
  label: "a text in quotes",
});
export const SingleString = createToken({
  name: "SingleString",
  pattern: /'(?:[^'\\\r\n]|\\.)*'/,
  categories: [StringLiteral],
  label: "a text in quotes",
});
/** A string cut off by the end of its line: reported, and read as a string so the rest still parses. */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: /"""[\s\S]*|"(?:[^"\\\r\n]|\\.)*\\?|'(?:[^'\\\r\n]|\\.)*\\?/,
  categories: [StringLiteral],
  label: "a text in quotes",
  line_breaks: true,
});

// Comments: kept out of the parser, collected for doc comments and the formatter.
export const DocComment = createToken({ name: "DocComment", pattern: /\/\/\/[^\r\n]*/, group: "comments" });
export const LineComment = createToken({ name: "LineComment", pattern: /\/\/[^\r\n]*/, group: "comments" });
export const WhiteSpace = createToken({ name: "WhiteSpace", pattern: /[ \t\r\n\f\v\u00a0\ufeff]+/, group: Lexer.SKIPPED });

// Punctuation
export const LCurly = createToken({ name: "LCurly", pattern: /\{/, label: "`{`" });
export const RCurly = createToken({ name: "RCurly", pattern: /\}/, label: "`}`" });
export const LParen = createToken({ name: "LParen", pattern: /\(/, label: "`(`" });
export const RParen = createToken({ name: "RParen", pattern: /\)/, label: "`)`" });
export const LBracket = createToken({ name: "LBracket", pattern: /\[/, label: "`[`" });
export const RBracket = createToken({ name: "RBracket", pattern: /\]/, label: "`]`" });
export const Comma = createToken({ name: "Comma", pattern: /,/, label: "`,`" });
export const Dot = createToken({ name: "Dot", pattern: /\./, label: "`.`" });
export const Colon = createToken({ name: "Colon", pattern: /:/, label: "`:`" });
export const Arrow = createToken({ name: "Arrow", pattern: /->/, label: "`->`" });
export const EqEq = createToken({ name: "EqEq", pattern: /==/, label: "`==`" });
export const NotEq = createToken({ name: "NotEq", pattern: /!=/, label: "`!=`" });
export const LessEq = createToken({ name: "LessEq", pattern: /<=/, label: "`<=`" });
export const GreaterEq = createToken({ name: "GreaterEq", pattern: />=/, label: "`>=`" });
export const Less = createToken({ name: "Less", pattern: /</, label: "`<`" });
export const Greater = createToken({ name: "Greater", pattern: />/, label: "`>`" });
export const Equals = createToken({ name: "Equals", pattern: /=/, label: "`=`" });
export const Plus = createToken({ name: "Plus", pattern: /\+/, label: "`+`" });
export const Minus = createToken({ name: "Minus", pattern: /-/, label: "`-`" });
export const Star = createToken({ name: "Star", pattern: /\*/, label: "`*`" });
export const Slash = createToken({ name: "Slash", pattern: /\//, label: "`/`" });
export const Pipe = createToken({ name: "Pipe", pattern: /\|/, label: "`|`" });
export const Question = createToken({ name: "Question", pattern: /\?/, label: "`?`" });

// Longest first, so that `once` is not read as `on` + `ce`.
const keywordTokens = Object.entries(keywords)
  .sort(([a], [b]) => b.length - a.length)
  .map(([, token]) => token);

export const allTokens: TokenType[] = [
  WhiteSpace,
  DocComment,
  LineComment,
  TripleString,
  DoubleString,
  SingleString,
  UnterminatedString,
  TimeOfDay,
  Percent,
  NumberLiteral,
  Arrow,
  EqEq,
  NotEq,
  LessEq,
  GreaterEq,
  Less,
  Greater,
  Equals,
  LCurly,
  RCurly,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Dot,
  Colon,
  Plus,
  Minus,
  Star,
  Slash,
  Pipe,
  Question,
  ...keywordTokens,
  Unit,
  Identifier,
  Name,
  StringLiteral,
];

/** Every real token is also an `AnyToken`: what the parser skips after a mistake. */
export const AnyToken = createToken({ name: "AnyToken", pattern: Lexer.NA });
for (const token of allTokens) {
  const isCategory = token.PATTERN === Lexer.NA;
  const skipped = token.GROUP !== undefined;
  if (!isCategory && !skipped) (token.CATEGORIES ??= []).push(AnyToken);
}
allTokens.push(AnyToken);

/** Tokens that start a top-level declaration: where the parser resumes after garbage. */
export const declarationStarts: TokenType[] = [Customer, Event, ObjectKw, Segment, List, Score, Template, Journey, Policy];

/** Words that start a line of their own: declarations, journey settings and steps. */
export const statementStarts: TokenType[] = [
  ...declarationStarts,
  When,
  Entry,
  Goal,
  Exit,
  Send,
  Show,
  Wait,
  If,
  Match,
  Split,
  Holdout,
  Experiment,
  Set,
  Add,
  Remove,
  Track,
  Notify,
  Start,
];

export const journeyLexer = new Lexer(allTokens, {
  ensureOptimizations: false,
  positionTracking: "onlyOffset",
});
