import { Controller, Get, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { SignedInGuard, type SignedInRequest } from '../auth/signed-in.guard';
import { type LiveMessage, LiveService } from './live.service';

/** GET /live/stream: Server-Sent Events of the live feed (`event: event` and `event: delivery`), for signed-in users. */
@Controller('live')
@UseGuards(SignedInGuard)
export class LiveController {
  constructor(private readonly live: LiveService) {}

  @Get('stream')
  stream(@Req() req: SignedInRequest, @Res() reply: FastifyReply): void {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 3000\n: connected\n\n');
    const heartbeat = setInterval(() => res.write(': ping\n\n'), 15_000);
    const unsubscribe = this.live.subscribe({
      send: (m: LiveMessage) =>
        res.write(`event: ${m.kind}\ndata: ${JSON.stringify(m.kind === 'event' ? m.event : m)}\n\n`),
      close: () => res.end(),
    });
    const done = (): void => {
      clearInterval(heartbeat);
      unsubscribe();
    };
    req.raw.once('close', done);
    res.once('close', done);
  }
}
