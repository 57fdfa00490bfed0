import type { FastifyReply } from 'fastify';
import type { SafeHtml } from './html';

/** Sends a page: HTML, never cached (it holds personal data and a CSRF token). Security headers come from bootstrap. */
export function sendHtml(reply: FastifyReply, status: number, body: SafeHtml): void {
  void reply
    .status(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .send(body.value);
}
