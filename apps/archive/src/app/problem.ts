import type { Violation } from '@broker-events/contracts';
import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/** RFC 9457 problem details, as the read API answers every error. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  violations?: Violation[];
}

export class ProblemException extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

export const invalidQuery = (violations: Violation[]): ProblemException =>
  new ProblemException({
    type: 'urn:broker-events:problem:invalid-query',
    title: 'Bad Request',
    status: 400,
    detail: `The query has ${violations.length} violation(s).`,
    violations,
  });

export const notFound = (detail: string): ProblemException =>
  new ProblemException({ type: 'about:blank', title: 'Not Found', status: 404, detail });

/** Answers ProblemException and Nest's HttpException as application/problem+json. */
@Catch(ProblemException, HttpException)
export class ProblemFilter implements ExceptionFilter {
  catch(error: ProblemException | HttpException, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const problem: Problem =
      error instanceof ProblemException
        ? error.problem
        : { type: 'about:blank', title: error.name, status: error.getStatus(), detail: error.message };
    void reply.status(problem.status).header('content-type', 'application/problem+json').send(problem);
  }
}

/** Collects every violation of a request's query before answering. */
export class QueryCheck {
  readonly violations: Violation[] = [];

  constructor(query: Record<string, unknown>, allowed: readonly string[]) {
    for (const [name, value] of Object.entries(query)) {
      if (!allowed.includes(name)) this.add(name, 'is not a parameter of this endpoint');
      else if (typeof value !== 'string') this.add(name, 'must be given once');
    }
  }

  add(path: string, reason: string): void {
    this.violations.push({ path, reason });
  }

  /** Throws the 400 problem when anything was wrong. */
  done(): void {
    if (this.violations.length > 0) throw invalidQuery(this.violations);
  }
}
