import { Controller, Get, Inject, NotFoundException, Param } from '@nestjs/common';
import { OUTCOME_STORE } from '../file-fetcher.tokens';
import type { FetchOutcome, OutcomeStore } from './outcome-store';

/** What happened to a file transfer, for operators: `GET /files/<fileTransferId>`. */
@Controller('files')
export class FilesController {
  constructor(@Inject(OUTCOME_STORE) private readonly outcomes: OutcomeStore) {}

  @Get(':id')
  async get(@Param('id') id: string): Promise<FetchOutcome> {
    const outcome = await this.outcomes.get(id);
    if (!outcome) throw new NotFoundException(`no outcome recorded for ${id.slice(0, 80)}`);
    return outcome;
  }
}
