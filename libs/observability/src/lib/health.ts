/**
 * Readiness is the conjunction of named checks that the app's services register (for example "kafka").
 * Liveness only says the event loop answers.
 */
export type ReadinessCheck = () => boolean | Promise<boolean>;

export class HealthRegistry {
  private readonly checks = new Map<string, ReadinessCheck>();
  private shuttingDown = false;

  register(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Called at the start of a graceful shutdown so load balancers stop sending traffic. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  async readiness(): Promise<{ ready: boolean; checks: Record<string, boolean> }> {
    const checks: Record<string, boolean> = {};
    for (const [name, check] of this.checks) {
      try {
        checks[name] = await check();
      } catch {
        checks[name] = false;
      }
    }
    if (this.shuttingDown) checks['shutdown'] = false;
    return { ready: Object.values(checks).every(Boolean), checks };
  }
}
