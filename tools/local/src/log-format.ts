/** Fields every app's JSON log line has; the rest is shown as key=value after the message. */
const COMMON = new Set(['level', 'time', 'service', 'message', 'msg', 'pid', 'hostname', 'config']);

/** Nest's start-up chatter (every module and route); the stack hides it to keep the terminal readable. */
const QUIET_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/** False for log lines not worth a terminal line (Nest's module and route listing at start-up). */
export function isWorthShowing(line: string): boolean {
  const record = parseRecord(line);
  return !(record && typeof record['context'] === 'string' && QUIET_CONTEXTS.has(record['context']));
}

/**
 * One child's output line for the terminal: `archive  │ info  consumer started consumer=archive port=8083`.
 * JSON lines (the apps log JSON) are condensed; anything else is shown as it is.
 */
export function formatLine(name: string, line: string, width = 8): string {
  const prefix = `${name.padEnd(width)} │ `;
  const record = parseRecord(line);
  if (record === undefined) return prefix + line;
  const level = typeof record['level'] === 'string' ? record['level'] : String(record['level'] ?? '');
  const message = record['message'] ?? record['msg'] ?? '';
  const extras = Object.entries(record)
    .filter(([k]) => !COMMON.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return `${prefix}${level.padEnd(5)} ${String(message)}${extras.length > 0 ? ' ' + extras.join(' ') : ''}`;
}

function parseRecord(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
