/**
 * Every failure of a call to Maskinporten or Altinn comes out as one {@link AltinnApiError} whose `kind` says
 * what happened, so callers branch on a name instead of on status numbers and error messages.
 */

/** What went wrong, from the caller's point of view. */
export type AltinnErrorKind =
  /** 400: the request was refused (ProblemDetails in `problem`). */
  | 'bad-request'
  /** 401: no token, an expired token, or a token Altinn does not accept. */
  | 'unauthorized'
  /**
   * Broker's 401 that a freshly fetched token did not cure: the organisation has no right on the resource or
   * the transfer (Resource Rights Registry). Permanent until the right is granted.
   */
  | 'no-access'
  /** 403: the token lacks a scope, or the party has no right on the resource. */
  | 'forbidden'
  /** 404: no such subscription / file transfer. */
  | 'not-found'
  /** 406: an `Accept` header that names neither `application/json` nor `*\/*` (Broker). */
  | 'not-acceptable'
  /** 409 */
  | 'conflict'
  /** 416: a download Range outside the file. */
  | 'range-not-satisfiable'
  /** 429 */
  | 'too-many-requests'
  /** 5xx */
  | 'server-error'
  /** Any other status. */
  | 'unexpected-status'
  /** No complete answer within the deadline. */
  | 'timeout'
  /** The connection failed (refused, reset, DNS). */
  | 'network'
  /** A 2xx answer whose body is not what the API documents. */
  | 'invalid-response';

/** ProblemDetails (RFC 7807) as Altinn sends it; every field optional. */
export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
}

export class AltinnApiError extends Error {
  override readonly name = 'AltinnApiError';

  constructor(
    readonly kind: AltinnErrorKind,
    /** What we were doing, e.g. `broker.confirmDownload`. */
    readonly operation: string,
    message: string,
    readonly details: {
      status?: number;
      problem?: ProblemDetails;
      /** Milliseconds from a `Retry-After` header. */
      retryAfterMs?: number;
      cause?: unknown;
    } = {},
  ) {
    super(`${operation}: ${message}`, details.cause === undefined ? undefined : { cause: details.cause });
  }

  get status(): number | undefined {
    return this.details.status;
  }

  get problem(): ProblemDetails | undefined {
    return this.details.problem;
  }

  /** True when the same call may succeed later: timeouts, network errors, 5xx, 429. */
  get retryable(): boolean {
    return (
      this.kind === 'timeout' ||
      this.kind === 'network' ||
      this.kind === 'server-error' ||
      this.kind === 'too-many-requests'
    );
  }
}

export function kindForStatus(status: number): AltinnErrorKind {
  switch (status) {
    case 400:
      return 'bad-request';
    case 401:
      return 'unauthorized';
    case 403:
      return 'forbidden';
    case 404:
      return 'not-found';
    case 406:
      return 'not-acceptable';
    case 409:
      return 'conflict';
    case 416:
      return 'range-not-satisfiable';
    case 429:
      return 'too-many-requests';
    default:
      return status >= 500 && status <= 599 ? 'server-error' : 'unexpected-status';
  }
}

export function isAltinnApiError(error: unknown, kind?: AltinnErrorKind): error is AltinnApiError {
  return error instanceof AltinnApiError && (kind === undefined || error.kind === kind);
}
