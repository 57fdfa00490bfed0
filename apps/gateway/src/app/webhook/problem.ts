import type { Violation } from '@broker-events/contracts';

/** RFC 9457 problem details, as every error answer of the gateway carries them. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  violations?: Violation[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem types are URNs, listed in the README's "Answers" table. */
const BASE = 'urn:broker-events:problem:';

export const problems = {
  unauthorized: (): Problem => ({ type: 'about:blank', title: 'Unauthorized', status: 401 }),
  notFound: (): Problem => ({ type: 'about:blank', title: 'Not Found', status: 404 }),
  unsupportedMediaType: (got: string | undefined): Problem => ({
    type: BASE + 'unsupported-media-type',
    title: 'Unsupported Media Type',
    status: 415,
    detail: `Content-Type ${got ? JSON.stringify(got.slice(0, 100)) : '(missing)'} is not accepted; send application/json, application/cloudevents+json or application/cloudevents-batch+json.`,
  }),
  tooLarge: (limit: number): Problem => ({
    type: BASE + 'payload-too-large',
    title: 'Payload Too Large',
    status: 413,
    detail: `The body is larger than ${limit} bytes.`,
  }),
  invalidEvent: (violations: Violation[]): Problem => ({
    type: BASE + 'invalid-event',
    title: 'Invalid CloudEvent',
    status: 400,
    detail: `The request has ${violations.length} violation(s); the body was kept on the quarantine topic.`,
    violations,
  }),
  kafkaUnavailable: (): Problem => ({
    type: BASE + 'kafka-unavailable',
    title: 'Service Unavailable',
    status: 503,
    detail: 'The event could not be written to Kafka; retry later.',
  }),
  shuttingDown: (): Problem => ({
    type: BASE + 'shutting-down',
    title: 'Service Unavailable',
    status: 503,
    detail: 'The gateway is shutting down; retry later.',
  }),
  methodNotAllowed: (): Problem => ({ type: 'about:blank', title: 'Method Not Allowed', status: 405 }),
  badRequest: (detail: string): Problem => ({
    type: 'about:blank',
    title: 'Bad Request',
    status: 400,
    detail,
  }),
};
