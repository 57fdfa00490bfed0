import { Controller, Get, Res } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { CONSOLE_CSS } from './static/console-css';
import { CONSOLE_JS } from './static/console-js';

const etag = (text: string): string =>
  `"${createHash('sha256').update(text).digest('base64url').slice(0, 16)}"`;
const CSS_TAG = etag(CONSOLE_CSS);
const JS_TAG = etag(CONSOLE_JS);

/** The stylesheet and the script: public (no data in them), cached for an hour, revalidated by ETag. */
@Controller('static')
export class StaticController {
  @Get('console.css')
  css(@Res() reply: FastifyReply): void {
    void reply
      .header('content-type', 'text/css; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .header('etag', CSS_TAG)
      .send(CONSOLE_CSS);
  }

  @Get('console.js')
  js(@Res() reply: FastifyReply): void {
    void reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=3600')
      .header('etag', JS_TAG)
      .send(CONSOLE_JS);
  }
}
