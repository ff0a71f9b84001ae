import type { FieldInfo, PolicyDecl, Symbols, Type } from "@journey/language";
import type { DataSchema, Field, FieldType, Policy, PolicyRule } from "../ir/schema.js";
import { byName, fail, isoDuration, required, type SourceMap, timeOfDay, zone } from "./common.js";
import type { ExpressionLowerer } from "./expressions.js";

/** The data schema: fields sorted by name (their order means nothing); identity keys as declared. */
export function lowerDataSchema(symbols: Symbols, expressions: ExpressionLowerer, sources: SourceMap): DataSchema {
  const fields = (map: Map<string, FieldInfo>): Field[] => [...map.values()].map((f) => field(f, expressions)).sort(byName);
  const identity = (symbols.customer?.node.members ?? []).flatMap((m) => (m.kind === "IdentityClause" ? m.keys.map((k) => k.text) : []));
  return {
    customer: { identity, fields: symbols.customer ? fields(symbols.customer.fields) : [] },
    events: [...symbols.events.values()]
      .map((e) => ({ name: e.name, ...(e.node.doc ? { doc: e.node.doc.text } : {}), fields: fields(e.fields), source: sources.range(e.file, e.node.span) }))
      .sort(byName),
    objects: [...symbols.objects.values()]
      .map((o) => ({
        name: o.name,
        key: required(o.node.key, `the key of object ${o.name}`).text,
        ...(o.node.doc ? { doc: o.node.doc.text } : {}),
        fields: fields(o.fields),
        source: sources.range(o.file, o.node.span),
      }))
      .sort(byName),
  };
}

function field(info: FieldInfo, expressions: ExpressionLowerer): Field {
  const value = expressions.defaultOf(info);
  return {
    name: info.name,
    type: fieldType(info.type, expressions),
    optional: info.optional,
    ...(value !== undefined ? { default: value } : {}),
    ...(info.file === undefined ? { builtin: true } : {}),
    ...(info.doc ? { doc: info.doc } : {}),
  };
}

function fieldType(type: Type, expressions: ExpressionLowerer): FieldType {
  switch (type.kind) {
    case "scalar":
      return { kind: "scalar", name: type.name };
    case "enum":
      return { kind: "enum", options: [...type.options] };
    case "list":
      return { kind: "list", element: fieldType(type.element, expressions) };
    case "record":
      return { kind: "record", fields: [...type.fields.values()].map((f) => field(f, expressions)).sort(byName) };
    case "ref":
      return { kind: "ref", object: type.object };
    case "event":
    case "error":
      return fail(`a field of type ${type.kind}`);
    default: {
      const unknown: never = type;
      return unknown;
    }
  }
}

export function lowerPolicy(node: PolicyDecl, file: string, sources: SourceMap): Policy {
  const rules = node.rules.map((rule): PolicyRule => {
    switch (rule.kind) {
      case "RespectConsent":
        return { kind: "respect_consent" };
      case "QuietHours":
        return { kind: "quiet_hours", from: timeOfDay(rule.from), to: timeOfDay(rule.to), zone: zone(rule.zone) };
      case "FrequencyCap": {
        const channel = required(rule.channel, "the channel of a cap").text;
        if (!["email", "sms", "push", "webhook", "in_app"].includes(channel)) fail(`a cap on the unknown channel \`${channel}\``);
        return { kind: "frequency_cap", channel: channel as "email", count: required(rule.count, "the count of a cap"), period: isoDuration(rule.period) };
      }
      default: {
        const unknown: never = rule;
        return unknown;
      }
    }
  });
  return {
    ...(node.name ? { name: node.name.text } : {}),
    ...(node.doc ? { doc: node.doc.text } : {}),
    rules,
    source: sources.range(file, node.span),
  };
}
