/**
 * Readiness is the conjunction of named checks that the app's services register (for example "kafka").
 * Liveness only says the event loop answers.
 */
export type ReadinessCheck = () => boolean | Promise<boolean>;

/** Something an operator should know that does not make the app unready (taking it out would not help). */
export type ReadinessNote = () => string | undefined;

export class HealthRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly notes = new Map<string, ReadinessNote>();
  private shuttingDown = false;

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Adds a note to the readiness answer (`notes.<name>`) whenever `note` returns text. */
  registerNote(name: string, note: ReadinessNote): void {
    this.notes.set(name, note);
  }

  /** Called at the start of a graceful shutdown so load balancers stop sending traffic. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async readiness(): Promise<{
    ready: boolean;
    checks: Record<string, boolean>;
    notes?: Record<string, string>;
  }> {
    const checks: Record<string, boolean> = {};
    for (const [name, check] of this.checks) {
      try {
        checks[name] = await check();
      } catch {
        checks[name] = false;
      }
    }
    if (this.shuttingDown) checks['shutdown'] = false;
    const ready = Object.values(checks).every(Boolean);
    const notes: Record<string, string> = {};
    for (const [name, note] of this.notes) {
      const text = note();
      if (text) notes[name] = text;
    }
    return Object.keys(notes).length > 0 ? { ready, checks, notes } : { ready, checks };
  }
}
