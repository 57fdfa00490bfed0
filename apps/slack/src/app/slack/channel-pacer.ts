/**
 * At most one message per `intervalMs` per channel (Slack allows about one per second per channel, with short
 * bursts). Callers for one channel are served one after another; a 429's Retry-After pushes the channel's next
 * slot back. `now` and `sleep` are injectable so tests need no real time.
 */
export class ChannelPacer {
  private readonly next = new Map<string, number>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  /** Runs `send` in the channel's next free slot. */
  run<T>(channel: string, send: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(channel) ?? Promise.resolve();
    const turn = previous
      .catch(() => undefined)
      .then(async () => {
        const wait = (this.next.get(channel) ?? 0) - this.now();
        if (wait > 0) await this.sleep(wait);
        this.next.set(channel, this.now() + this.intervalMs);
        return send();
      });
    this.queues.set(channel, turn);
    void turn
      .finally(() => {
        if (this.queues.get(channel) === turn) this.queues.delete(channel);
      })
      .catch(() => undefined);
    return turn;
  }

  /** Slack said 429: nothing more to this channel before `retryAfterMs` from now. */
  backOff(channel: string, retryAfterMs: number): void {
    this.next.set(channel, Math.max(this.next.get(channel) ?? 0, this.now() + retryAfterMs));
  }
}
