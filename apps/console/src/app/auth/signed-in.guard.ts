import { type CanActivate, type ExecutionContext, ForbiddenException, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { AuthService } from './auth.service';
import { sameToken } from './session';
import type { ConsoleUser } from './user';

/** Thrown when nobody is signed in: pages redirect to the login, everything else answers 401. */
export class LoginRequiredException extends Error {
  constructor() {
    super('login required');
  }
}

/** Signed in, but with neither console role. */
export class NoRoleException extends Error {
  constructor(readonly who: string) {
    super('no console role');
  }
}

/** A change without a valid CSRF token or from another origin. */
export class CsrfException extends ForbiddenException {
  constructor(reason: string) {
    super(`CSRF check failed: ${reason}`);
  }
}

export interface SignedInRequest extends FastifyRequest {
  consoleUser?: ConsoleUser;
  consoleCsrf?: string;
}

/**
 * Every page and action is behind this guard: it lets only a user with a console role through, and for any change
 * (a method other than GET/HEAD) also demands the session's CSRF token (`_csrf`) and an Origin (or, without one, a
 * Referer) of CONSOLE_PUBLIC_URL.
 */
@Injectable()
export class SignedInGuard implements CanActivate {
  constructor(private readonly auth: AuthService) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<SignedInRequest>();
    const identity = this.auth.identify(req);
    if (identity.kind === 'anonymous') throw new LoginRequiredException();
    if (identity.kind === 'no-role') throw new NoRoleException(identity.name);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const origin = req.headers.origin ?? refererOrigin(req.headers.referer);
      if (origin !== this.auth.publicOrigin) throw new CsrfException(`origin ${origin ?? '(none)'}`);
      const body = req.body as Record<string, unknown> | undefined;
      const token = body?.['_csrf'];
      if (!sameToken(typeof token === 'string' ? token : undefined, identity.csrf))
        throw new CsrfException('token');
    }
    req.consoleUser = identity.user;
    req.consoleCsrf = identity.csrf;
    return true;
  }
}

function refererOrigin(referer: string | undefined): string | undefined {
  if (!referer) return undefined;
  try {
    return new URL(referer).origin;
  } catch {
    return undefined;
  }
}
