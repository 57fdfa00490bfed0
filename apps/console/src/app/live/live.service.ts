import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { type AppLogger, APP_LOGGER } from '@broker-events/observability';
import { ArchiveClient, type ReceivedEvent } from '../archive/archive.client';
import { CONSOLE_CONFIG, type ConsoleConfig } from '../config/console.config';

/** How far back the feed starts when the first browser connects. */
const LOOKBACK_MS = 5000;

/** What a browser hears: a new event, or a new delivery report about a transfer. */
export type LiveMessage =
  | { kind: 'event'; event: ReceivedEvent }
  | { kind: 'delivery'; fileTransferId: string | null; eventId: string; consumer: string; outcome: string };

export interface LiveListener {
  send(message: LiveMessage): void;
  close(): void;
}

/**
 * The live feed: while at least one browser listens, asks the archive every CONSOLE_LIVE_POLL_MS for events received
 * since the last one seen (and for new delivery reports), once for all listeners, and fans them out. Nobody
 * listening: no polling.
 */
@Injectable()
export class LiveService implements OnApplicationShutdown {
  private readonly listeners = new Set<LiveListener>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  /** Received-at of the newest event seen, and the ids seen at that instant (the range is inclusive). */
  private cursor: Date | undefined;
  private seenAtCursor = new Set<string>();
  private seenReports = new Set<string>();
  private reportsPrimed = false;
  private deliveriesAvailable = true;

  constructor(
    private readonly archive: ArchiveClient,
    @Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  get listenerCount(): number {
    return this.listeners.size;
  }

  subscribe(listener: LiveListener): () => void {
    this.listeners.add(listener);
    if (!this.timer) {
      // A few seconds back: what arrived while the page loaded, and some room for the archive's clock.
      this.cursor ??= new Date(Date.now() - LOOKBACK_MS);
      this.timer = setInterval(() => void this.poll(), this.config.CONSOLE_LIVE_POLL_MS);
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
        // Next time someone listens, start from then: nobody missed anything meanwhile.
        this.cursor = undefined;
        this.seenAtCursor.clear();
      }
    };
  }

  private broadcast(message: LiveMessage): void {
    for (const l of this.listeners) l.send(message);
  }

  /** One round: new events, then new delivery reports. Public for tests. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await this.pollEvents();
      await this.pollDeliveries();
    } catch (error) {
      this.logger.warn(
        { error: error instanceof Error ? error.message : String(error) },
        'live feed: the archive did not answer',
      );
    } finally {
      this.polling = false;
    }
  }

  private async pollEvents(): Promise<void> {
    const from = this.cursor ?? new Date();
    const events = await this.archive.receivedBetween(from, new Date(Date.now() + 60_000), 200);
    for (const e of events) {
      const key = `${e.source}\n${e.id}`;
      const at = new Date(e.receivedAt);
      if (this.cursor && at.getTime() === this.cursor.getTime() && this.seenAtCursor.has(key)) continue;
      if (!this.cursor || at.getTime() > this.cursor.getTime()) {
        this.cursor = at;
        this.seenAtCursor = new Set();
      }
      this.seenAtCursor.add(key);
      this.broadcast({ kind: 'event', event: e });
    }
  }

  private async pollDeliveries(): Promise<void> {
    if (!this.deliveriesAvailable) return;
    let reports;
    try {
      reports = await this.archive.deliveries(100);
    } catch (error) {
      // An archive without the delivery read model yet: live events still work.
      if (error instanceof Error && /^404/.test(error.message)) {
        this.deliveriesAvailable = false;
        return;
      }
      throw error;
    }
    const fresh = [];
    for (const r of reports) {
      const key = `${r.consumer}\n${r.eventSource}\n${r.eventId}\n${r.attempt}\n${r.outcome}\n${r.at}`;
      if (this.seenReports.has(key)) continue;
      this.seenReports.add(key);
      fresh.push(r);
    }
    if (this.seenReports.size > 10_000) this.seenReports = new Set([...this.seenReports].slice(-5000));
    if (!this.reportsPrimed) {
      // The first answer is history, not news.
      this.reportsPrimed = true;
      return;
    }
    for (const r of fresh.reverse())
      this.broadcast({
        kind: 'delivery',
        fileTransferId: r.fileTransferId,
        eventId: r.eventId,
        consumer: r.consumer,
        outcome: r.outcome,
      });
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const l of [...this.listeners]) l.close();
    this.listeners.clear();
  }
}
