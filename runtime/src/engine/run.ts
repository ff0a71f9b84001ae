/**
 * A Run is one transaction's work for one customer: the customer's locked state, their active
 * enrollments, and what must happen after the commit (deliveries to queue, more evaluation).
 */
import type { LoadedJourney, LoadedProject } from "../model/project.js";
import type { SqlQueryable } from "../store/port.js";
import type { CustomerState, Population } from "./customer.js";
import type { TemplateRenderer } from "./render.js";

export type EnrollmentStateName = "active" | "waiting" | "completed" | "exited" | "failed";

export interface MessageRef {
  id: string;
  channel: string;
  template: string;
}

/** What an enrollment remembers between steps (the `context` column). */
export interface EnrollmentContext {
  /** The properties of the event that started it ({} for schedules, segments, the API). */
  trigger: Record<string, unknown>;
  /** What started it, for the trace and for `since`: an event name, `segment:<name>`, `schedule`, `date`, `journey:<name>`. */
  cause: string;
  /** `send … as alias`. */
  messages: Record<string, MessageRef>;
  /** Split and experiment arms taken, by node. */
  arms: Record<string, string>;
  /** When it reached the wait it is in (an event must come after this to end the wait). */
  waitSince?: string;
}

export interface Enrollment {
  id: string;
  journey: string;
  journeyVersion: string;
  customerId: string;
  correlationKey: string;
  state: EnrollmentStateName;
  node: string | null;
  context: EnrollmentContext;
  /** The version read from the row: the compare-and-set's expected value. */
  version: number;
  wakeAt: Date | null;
  enteredAt: Date;
  goalAt: Date | null;
  endReason: string | null;
}

export interface TraceEntry {
  enrollmentId: string;
  node: string | null;
  kind: string;
  detail: Record<string, unknown>;
}

/** What the engine gives every run. */
export interface EngineContext {
  project: LoadedProject;
  population: Population;
  renderer: TemplateRenderer;
  /** A journey version by (name, hash), from memory or the journey_versions table. */
  journeyVersion(db: SqlQueryable, journey: string, version: string): Promise<LoadedJourney>;
  /** The version new enrollments of a journey get. */
  currentVersion(journey: string): LoadedJourney | undefined;
}

export class Run {
  /** Send ids written to the outbox by this run: queued for delivery after the commit. */
  readonly sends: string[] = [];
  /** Events this run wrote (`track`): the customer needs another evaluation pass. */
  tracked = 0;
  readonly traces: TraceEntry[] = [];
  readonly enrollments = new Map<string, Enrollment>();
  /** Steps taken, as (journey, node): counted by the engine once the transaction commits. */
  readonly visited: [string, string][] = [];
  /**
   * When the event being applied happened: a wait an event leads to begins then, not when the
   * job runs, so a later event evaluated in the same batch still ends it.
   */
  eventTime: Date | undefined;

  constructor(
    readonly tx: SqlQueryable,
    readonly engine: EngineContext,
    readonly customer: CustomerState,
    readonly now: Date,
  ) {}

  get project(): LoadedProject {
    return this.engine.project;
  }

  trace(enrollment: Enrollment, node: string | null, kind: string, detail: Record<string, unknown> = {}): void {
    this.traces.push({ enrollmentId: enrollment.id, node, kind, detail });
  }
}

export function enrollmentFromRow(row: EnrollmentRow): Enrollment {
  return {
    id: row.id,
    journey: row.journey,
    journeyVersion: row.journey_version,
    customerId: row.customer_id,
    correlationKey: row.correlation_key,
    state: row.state as EnrollmentStateName,
    node: row.node,
    context: { trigger: {}, cause: "", messages: {}, arms: {}, ...(row.context as Partial<EnrollmentContext>) },
    version: row.version,
    wakeAt: row.wake_at,
    enteredAt: row.entered_at,
    goalAt: row.goal_at,
    endReason: row.end_reason,
  };
}

export type EnrollmentRow = {
  id: string;
  journey: string;
  journey_version: string;
  customer_id: string;
  correlation_key: string;
  state: string;
  node: string | null;
  context: unknown;
  version: number;
  wake_at: Date | null;
  entered_at: Date;
  goal_at: Date | null;
  end_reason: string | null;
};

export const ENROLLMENT_COLUMNS = "id, journey, journey_version, customer_id, correlation_key, state, node, context, version, wake_at, entered_at, goal_at, end_reason";
