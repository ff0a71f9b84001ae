/** `journey dev` end to end, as docs/dev.md shows it: the real CLI, the example project and its sample week. */
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const bin = join(root, "compiler", "bin", "journey.js");

function journey(args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

interface Report {
  startupMs: number;
  from: string;
  until: string;
  customers: number;
  messages: number;
  rejected: unknown[];
  sends: { customer: string; journey: string; node: string; channel: string; template: string | null; text: string; deliveredAt: string }[];
  steps: Record<string, Record<string, number>>;
  enrollments: Record<string, Record<string, number>>;
}

describe("journey dev", () => {
  it("replays the example week and reports every send and every step", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "journey-dev-"));
    cpSync(join(root, "examples"), join(cwd, "examples"), { recursive: true });
    const run = await journey(["dev", "examples", "--json"], cwd);
    expect(run.stderr).toBe("");
    expect(run.status).toBe(0);
    const report = JSON.parse(run.stdout) as Report;
    expect(report).toMatchObject({ from: "2026-03-02T00:00:00.000Z", until: "2026-03-16T00:00:00.000Z", customers: 8, messages: 44, rejected: [] });
    const mario = report.sends.filter((s) => s.customer === "C-1002").map((s) => `${s.channel} ${s.template}`);
    expect(mario.slice(0, 2)).toEqual(["email promo_email", "sms promo_sms"]);
    const promo = report.sends.find((s) => s.template === "promo_email");
    expect(promo?.text).toBe("Mario, offers picked for you");
    expect(promo?.deliveredAt).toBe("2026-03-02T07:40:00.000Z");
    expect(report.steps.promo_fallback).toMatchObject({ promo: 1, promo_sms: 1, opened: 1 });
    expect(report.enrollments.abandoned_cart).toEqual({ completed: 1, exited: 1 });

    // The text report says the same for people.
    const text = await journey(["dev", "examples"], cwd);
    expect(text.status).toBe(0);
    expect(text.stdout).toContain("Mario Bianchi (C-1002, Europe/Rome)");
    expect(text.stdout).toMatch(/Mon 2 Mar, 08:40\s+email\s+promo_email\s+promo_fallback\/promo/);
    expect(text.stdout).toContain("“Mario, offers picked for you”");
    expect(text.stdout).toMatch(/promo_fallback: 1 completed/);
  }, 240_000);

  it("runs nothing when the project has an error, and says where", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "journey-dev-bad-"));
    cpSync(join(root, "examples"), join(cwd, "examples"), { recursive: true });
    writeFileSync(join(cwd, "examples", "broken.journey"), "segment oops = total_spent > 10\n");
    const run = await journey(["dev", "examples"], cwd);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("broken.journey");
  }, 60_000);

  it("names the file and line of sample data that is not JSON", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "journey-dev-data-"));
    cpSync(join(root, "examples"), join(cwd, "examples"), { recursive: true });
    writeFileSync(join(cwd, "examples", "data", "week.jsonl"), '{"type": "track", "timestamp": "2026-03-02T10:00:00Z"}\n{not json\n');
    const run = await journey(["dev", "examples"], cwd);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/week\.jsonl:2: not JSON/);
  }, 60_000);
});
