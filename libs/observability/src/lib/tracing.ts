import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import { type ConfigOf, optional, str, url } from '@broker-events/config';
import type * as OtlpExporterModule from '@opentelemetry/exporter-trace-otlp-http';
import type * as ResourcesModule from '@opentelemetry/resources';
import type * as SdkTraceNodeModule from '@opentelemetry/sdk-trace-node';

/**
 * OpenTelemetry traces, exported with OTLP/HTTP to the endpoint in the standard `OTEL_*` variables. Unset:
 * no provider is registered, no span is made and the helpers below cost one boolean test, so an app without
 * a collector is not slowed at all.
 *
 * The trace context travels between the apps in the Kafka record as the CloudEvents distributed-tracing
 * extension (`ce_traceparent`, W3C trace context), so any consumer of the topics can continue it.
 */
export const tracingConfigSchema = {
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(
    url({
      doc: 'OpenTelemetry collector (OTLP/HTTP), e.g. `http://otel-collector:4318`; traces go to `<endpoint>/v1/traces`. Unset (with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT unset too): no tracing.',
      protocols: ['http', 'https'],
    }),
  ),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optional(
    url({
      doc: 'The full OTLP/HTTP traces URL, instead of the endpoint above.',
      protocols: ['http', 'https'],
    }),
  ),
  OTEL_EXPORTER_OTLP_HEADERS: optional(
    str({
      doc: 'Headers sent with every export, `key=value` separated by commas (an API key).',
      secret: true,
    }),
  ),
  OTEL_SERVICE_NAME: optional(str({ doc: 'service.name on the spans. Default: the app’s name.' })),
};

export type TracingConfig = ConfigOf<typeof tracingConfigSchema>;

export interface Tracing {
  readonly enabled: boolean;
  /** Exports what is buffered and stops; call before the process exits. */
  shutdown(): Promise<void>;
}

let enabled = false;

export function tracingEnabled(): boolean {
  return enabled;
}

function parseHeaders(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',')) {
    const i = pair.indexOf('=');
    if (i > 0)
      out[decodeURIComponent(pair.slice(0, i).trim())] = decodeURIComponent(pair.slice(i + 1).trim());
  }
  return out;
}

/** Starts exporting spans when an endpoint is configured; otherwise does nothing. */
export function startTracing(service: string, config: TracingConfig): Tracing {
  const endpoint =
    config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (config.OTEL_EXPORTER_OTLP_ENDPOINT
      ? `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces`
      : undefined);
  if (!endpoint) return { enabled: false, shutdown: async () => undefined };
  // The SDK and the exporter are loaded only now, when tracing is on: loading them costs every app ~15 MB of
  // memory and ~0.2 s of start-up (bench/results/images-runtime.md), for nothing when no collector is set.
  const { BatchSpanProcessor, NodeTracerProvider } =
    require('@opentelemetry/sdk-trace-node') as typeof SdkTraceNodeModule;
  const { OTLPTraceExporter } =
    require('@opentelemetry/exporter-trace-otlp-http') as typeof OtlpExporterModule;
  const { resourceFromAttributes } = require('@opentelemetry/resources') as typeof ResourcesModule;
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': config.OTEL_SERVICE_NAME ?? service }),
    spanProcessors: [
      new BatchSpanProcessor(
        new OTLPTraceExporter({ url: endpoint, headers: parseHeaders(config.OTEL_EXPORTER_OTLP_HEADERS) }),
        { scheduledDelayMillis: 1000 },
      ),
    ],
  });
  // Registers the AsyncLocalStorage context manager and the W3C trace-context propagator globally.
  provider.register();
  enabled = true;
  return {
    enabled: true,
    shutdown: async () => {
      enabled = false;
      await provider.shutdown();
    },
  };
}

const TRACER = 'broker-events';

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent: default the active context. */
  parent?: Context;
}

/**
 * Runs `fn` inside a new active span, ended when `fn` settles (status error on a throw). With tracing off,
 * just runs `fn(undefined)`.
 */
export async function withSpan<T>(
  name: string,
  options: SpanOptions,
  fn: (span: Span | undefined) => Promise<T>,
): Promise<T> {
  if (!enabled) return fn(undefined);
  const tracer = trace.getTracer(TRACER);
  const parent = options.parent ?? context.active();
  return tracer.startActiveSpan(
    name,
    { kind: options.kind, attributes: options.attributes },
    parent,
    async (span) => {
      try {
        return await fn(span);
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: String(error).slice(0, 300) });
        throw error;
      } finally {
        span.end();
      }
    },
  );
}

/** The active span's W3C `traceparent`, to write into a record; undefined with tracing off. */
export function currentTraceparent(): string | undefined {
  if (!enabled) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier['traceparent'];
}

/** The context a record's `traceparent` continues (the root context when there is none). */
export function contextFromTraceparent(traceparent: string | undefined): Context {
  if (!enabled || !traceparent) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, { traceparent });
}

/** `trace_id` and `span_id` of the active span, for log lines; empty with tracing off or outside a span. */
export function traceFields(): { trace_id?: string; span_id?: string } {
  if (!enabled) return {};
  const span = trace.getSpan(context.active());
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

export { SpanKind };
