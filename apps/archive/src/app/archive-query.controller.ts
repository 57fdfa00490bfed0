import {
  BadRequestException,
  Controller,
  Get,
  Inject,
  NotFoundException,
  Param,
  Query,
} from '@nestjs/common';
import { ARCHIVE_CONFIG, type ArchiveConfig } from './config/archive.config';
import { ARCHIVE_STORE } from './archive.tokens';
import type { ArchiveStore, ArchivedEvent } from './store/archive-store';

const MAX_PARAM = 512;

/**
 * Read API for audit and lookup:
 *   GET /archive/events/:id                       every archived event with that id (one per source, normally one)
 *   GET /archive/file-transfers/:id/events        events of one file transfer, oldest first
 *   GET /archive/events?from=…&to=…[&on=time|received][&limit=n]   a time range, half-open [from, to)
 */
@Controller('archive')
export class ArchiveQueryController {
  constructor(
    @Inject(ARCHIVE_STORE) private readonly store: ArchiveStore,
    @Inject(ARCHIVE_CONFIG) private readonly config: ArchiveConfig,
  ) {}

  @Get('events/:id')
  async byId(@Param('id') id: string): Promise<{ events: ArchivedEvent[] }> {
    const events = await this.store.byId(checkParam('id', id));
    if (events.length === 0) throw new NotFoundException(`No archived event with id ${JSON.stringify(id)}`);
    return { events };
  }

  @Get('file-transfers/:fileTransferId/events')
  async byFileTransfer(
    @Param('fileTransferId') fileTransferId: string,
    @Query('limit') limit?: string,
  ): Promise<{ events: ArchivedEvent[] }> {
    return {
      events: await this.store.byFileTransferId(
        checkParam('fileTransferId', fileTransferId),
        this.limit(limit),
      ),
    };
  }

  @Get('events')
  async byTimeRange(
    @Query('from') from?: string,
    @Query('to') to?: string,
    @Query('on') on?: string,
    @Query('limit') limit?: string,
  ): Promise<{ events: ArchivedEvent[] }> {
    const start = parseTime('from', from);
    const end = parseTime('to', to);
    if (end.getTime() <= start.getTime()) throw new BadRequestException('`to` must be after `from`');
    if (on !== undefined && on !== 'time' && on !== 'received')
      throw new BadRequestException('`on` must be time or received');
    return {
      events: await this.store.byTimeRange({
        from: start,
        to: end,
        on: on === 'received' ? 'received' : 'time',
        limit: this.limit(limit),
      }),
    };
  }

  private limit(raw: string | undefined): number {
    if (raw === undefined) return Math.min(100, this.config.ARCHIVE_QUERY_MAX_ROWS);
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > this.config.ARCHIVE_QUERY_MAX_ROWS) {
      throw new BadRequestException(
        `\`limit\` must be a whole number from 1 to ${this.config.ARCHIVE_QUERY_MAX_ROWS}`,
      );
    }
    return Number(raw);
  }
}

function checkParam(name: string, value: string): string {
  if (value.length === 0 || value.length > MAX_PARAM)
    throw new BadRequestException(`\`${name}\` must be 1 to ${MAX_PARAM} characters`);
  return value;
}

function parseTime(name: string, raw: string | undefined): Date {
  if (raw === undefined) throw new BadRequestException(`\`${name}\` is required (an RFC 3339 time)`);
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(raw) || Number.isNaN(ms))
    throw new BadRequestException(`\`${name}\` must be an RFC 3339 time`);
  return new Date(ms);
}
