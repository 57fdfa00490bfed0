import { parseArgs } from 'node:util';
import { ALTINN_SCOPES, type SubscriptionRequest } from '@broker-events/contracts';
import { ConfigError, loadConfig } from '@broker-events/config';
import {
  AltinnApiError,
  type AltinnClient,
  type EventsClient,
  type FetchLike,
  type Subscription,
  altinnConfigProblems,
  altinnConfigSchema,
  createAltinnClient,
} from '@broker-events/altinn-client';
import { runDoctor } from './doctor';
import { planSubscriptions, subscriptionKey, unvalidatedTooLong } from './plan';
import {
  SpecFileError,
  type SubscriptionsFile,
  readSubscriptionsFile,
  redactEndpoint,
  requestKey,
} from './spec-file';

export const USAGE = `Altinn Events subscriptions as code.

Usage: npm run subscriptions -- <command> [options]

Commands:
  plan                 Show what ensure would create (nothing is changed).
  ensure               Create the subscriptions the file asks for that do not exist (one per type). Idempotent;
                       never deletes. Re-sends the validation handshake for unvalidated ones.
  doctor               Check in one go: tokens can be fetched, every subscription of the file exists and is
                       validated (no orphans), the gateway answers the handshake from outside, and (with
                       --poller-url) the poller's cursors move. Prints what is wrong and how to fix it; exit 1.
  list                 List our subscriptions with their validated state (and whether the file has them).
  delete <id>...       Delete subscriptions by id (dry run unless --yes).
  delete --not-in-file Delete subscriptions to the file's endpoints that the file does not ask for, orphans
                       included (dry run unless --yes); subscriptions to other endpoints are left alone.
  delete --orphans     Delete only the orphans: subscriptions to our gateway with a token it no longer accepts
                       (left behind by a token rotation; Altinn gets 401 for every push). Dry run unless --yes.

Options:
  --file <path>            The subscriptions file (default: $SUBSCRIPTIONS_FILE or subscriptions.yaml).
  --grace-minutes <n>      Warn about subscriptions unvalidated this long after creation (default: the file's
                           validationGraceMinutes, else 10).
  --strict                 Exit with status 3 when there is a warning.
  --wait <seconds>         ensure only: wait until every subscription is validated; exit 3 if one is not by then.
  --json                   Machine-readable output.
  --yes                    Really delete.
  --via <url>              doctor: send the handshake probe to this origin instead of the endpoint's own.
  --poller-url <url>       doctor: the poller's base URL (its /metrics).

An orphan is a subscription whose endpoint is one of the file's but for the last path segment (the webhook
token), when that token is neither the file's nor in $WEBHOOK_TOKENS (the gateway's accepted tokens, if set).

Authentication comes from the environment (see docs/altinn.md): MASKINPORTEN_CLIENT_ID + MASKINPORTEN_KEY_ID +
MASKINPORTEN_PRIVATE_KEY(_FILE), or MASKINPORTEN_TOKEN, or ALTINN_TOKEN; the Maskinporten client needs the scope
altinn:events.subscribe. ALTINN_ENVIRONMENT defaults to the file's environment.
`;

export interface CliIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
  now?: () => Date;
  fetch?: FetchLike;
  /** How often `ensure --wait` re-reads the subscriptions (default 2000 ms). */
  waitPollMs?: number;
}

export const EXIT = { ok: 0, error: 1, usage: 2, warnings: 3 } as const;

class UsageError extends Error {}

function describe(
  s: Pick<Subscription, 'resourceFilter' | 'typeFilter' | 'subjectFilter' | 'endPoint'>,
): string {
  return `${s.resourceFilter ?? '(no resource)'} ${s.typeFilter ?? '(every type)'} ${s.subjectFilter ?? '(every subject)'} → ${redactEndpoint(s.endPoint)}`;
}

function publicView(s: Subscription, inFile?: boolean): Record<string, unknown> {
  return { ...s, endPoint: redactEndpoint(s.endPoint), ...(inFile === undefined ? {} : { inFile }) };
}

/** Runs one command; returns the exit status. Never throws. */
export async function runSubscriptionsCli(argv: string[], io: CliIo): Promise<number> {
  try {
    return await run(argv, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    if (error instanceof SpecFileError || error instanceof ConfigError) {
      io.err(error.message);
      return EXIT.error;
    }
    if (error instanceof AltinnApiError) {
      const hint =
        error.kind === 'unauthorized'
          ? ' (check the Maskinporten client and that the token exchange works)'
          : error.kind === 'forbidden'
            ? ' (check the scope altinn:events.subscribe and that the organisation may subscribe to the resource)'
            : '';
      io.err(`Altinn refused: ${error.message}${hint}`);
      return EXIT.error;
    }
    io.err(`failed: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.error;
  }
}

async function run(argv: string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        file: { type: 'string' },
        'grace-minutes': { type: 'string' },
        strict: { type: 'boolean', default: false },
        wait: { type: 'string' },
        json: { type: 'boolean', default: false },
        yes: { type: 'boolean', default: false },
        'not-in-file': { type: 'boolean', default: false },
        orphans: { type: 'boolean', default: false },
        via: { type: 'string' },
        'poller-url': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    io.out(USAGE);
    return command === undefined && !values.help ? EXIT.usage : EXIT.ok;
  }
  if (!['plan', 'ensure', 'list', 'delete', 'doctor'].includes(command))
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  if (command !== 'delete' && rest.length > 0) throw new UsageError(`${command} takes no arguments`);
  const waitArg = values.wait;
  if (waitArg !== undefined && (command !== 'ensure' || !/^\d+$/.test(waitArg))) {
    throw new UsageError('--wait takes whole seconds and only goes with ensure');
  }
  const graceArg = values['grace-minutes'];
  if (graceArg !== undefined && !/^\d+(\.\d+)?$/.test(graceArg))
    throw new UsageError('--grace-minutes must be a number');

  const fileName = values.file ?? io.env['SUBSCRIPTIONS_FILE'] ?? 'subscriptions.yaml';
  const needsFile =
    command === 'plan' ||
    command === 'ensure' ||
    command === 'doctor' ||
    (command === 'delete' && (values['not-in-file'] || values.orphans)) ||
    values.file !== undefined;
  const file = needsFile ? readSubscriptionsFile(fileName, io.env) : undefined;
  const altinn = client(io, file);
  const events = altinn.events;
  const now = io.now ?? (() => new Date());
  const grace = graceArg !== undefined ? Number(graceArg) : (file?.validationGraceMinutes ?? 10);
  const json = values.json;
  const print = (value: unknown): void => io.out(JSON.stringify(value, null, 2));

  if (command === 'doctor') {
    const checks = await runDoctor(altinn, file as SubscriptionsFile, {
      via: values.via,
      pollerUrl: values['poller-url'],
      acceptedTokens: acceptedTokens(io),
      fetch: io.fetch,
    });
    if (json) print({ checks });
    else
      for (const c of checks)
        io.out(
          `${c.ok ? 'ok  ' : 'FAIL'}  ${c.check.padEnd(12)} ${c.detail}${c.fix ? `\n      fix: ${c.fix}` : ''}`,
        );
    const failed = checks.filter((c) => !c.ok).length;
    if (!json) io.out(failed === 0 ? 'All checks passed.' : `${failed} check(s) failed.`);
    return failed === 0 ? EXIT.ok : EXIT.error;
  }

  if (command === 'delete') {
    return remove(events, io, rest, file, {
      yes: values.yes,
      notInFile: values['not-in-file'],
      orphans: values.orphans,
      json,
      acceptedTokens: acceptedTokens(io),
    });
  }

  const existing = await events.listSubscriptions();
  if (command === 'list') {
    const wanted = file ? new Set(file.requests.map(requestKey)) : undefined;
    const warnings = unvalidatedTooLong(existing, grace, now());
    if (json) {
      print({
        subscriptions: existing.map((s) => publicView(s, wanted?.has(subscriptionKey(s)))),
        warnings: warnings.map((w) => w.subscription.id),
      });
    } else {
      if (existing.length === 0) io.out('No subscriptions.');
      for (const s of existing) {
        const inFile =
          wanted === undefined ? '' : wanted.has(subscriptionKey(s)) ? '  [in file]' : '  [not in file]';
        io.out(
          `#${s.id}  ${s.validated ? 'validated  ' : 'NOT VALIDATED'}  ${describe(s)}  created ${s.created ?? '?'}${inFile}`,
        );
      }
    }
    return report(warnings, grace, io, values.strict);
  }

  const plan = planSubscriptions(file?.requests ?? [], existing, acceptedTokens(io));
  if (command === 'plan') {
    const orphanIds = new Set(plan.orphans.map((o) => o.id));
    if (json) {
      print({
        create: plan.create.map((r) => ({ ...r, endPoint: redactEndpoint(r.endPoint) })),
        keep: plan.keep.map((k) => publicView(k.subscription)),
        unmanaged: plan.unmanaged.map((s) => publicView(s)),
        orphans: plan.orphans.map((s) => publicView(s)),
      });
    } else {
      for (const r of plan.create) io.out(`+ create      ${describe(r)}`);
      for (const k of plan.keep)
        io.out(
          `= keep #${k.subscription.id}  ${describe(k.subscription)}${k.subscription.validated ? '' : '  (not validated: ensure re-sends the handshake)'}`,
        );
      for (const s of plan.orphans)
        io.out(
          `! orphan #${s.id}  ${describe(s)}  (our gateway, but a token it no longer accepts: Altinn gets 401 for every push and retries each event ~12 times; remove with delete --orphans --yes)`,
        );
      for (const s of plan.unmanaged.filter((u) => !orphanIds.has(u.id)))
        io.out(`? not in file #${s.id}  ${describe(s)}  (left alone; remove with delete)`);
      io.out(
        `Plan: ${plan.create.length} to create, ${plan.keep.length} in place, ${plan.unmanaged.length} not in the file` +
          `${plan.orphans.length > 0 ? `, ${plan.orphans.length} of them orphaned by a token rotation` : ''}.`,
      );
    }
    for (const s of plan.orphans)
      io.err(
        `WARNING: subscription #${s.id} points at our gateway with a token it no longer accepts (a token rotation left it behind); delete it with: delete --orphans --yes`,
      );
    const code = report(
      unvalidatedTooLong(
        plan.keep.map((k) => k.subscription),
        grace,
        now(),
      ),
      grace,
      io,
      values.strict,
    );
    return values.strict && plan.orphans.length > 0 ? EXIT.warnings : code;
  }

  // ensure
  const results: { action: 'created' | 'kept' | 'revalidated'; subscription: Subscription }[] = [];
  for (const request of plan.create) {
    results.push({ action: 'created', subscription: await events.createSubscription(request) });
  }
  for (const { request, subscription } of plan.keep) {
    if (subscription.validated) {
      results.push({ action: 'kept', subscription });
    } else {
      // An identical POST returns the same subscription and makes Altinn send the handshake again.
      results.push({
        action: 'revalidated',
        subscription: await events.createSubscription(request as SubscriptionRequest),
      });
    }
  }
  if (waitArg !== undefined) {
    // Wait for Altinn's handshakes to succeed, re-reading our subscriptions until all are validated.
    const deadline = Date.now() + Number(waitArg) * 1000;
    while (results.some((r) => !r.subscription.validated) && Date.now() < deadline) {
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(io.waitPollMs ?? 2000, Math.max(0, deadline - Date.now()))),
      );
      const fresh = new Map((await events.listSubscriptions()).map((s) => [s.id, s]));
      for (const r of results) r.subscription = fresh.get(r.subscription.id) ?? r.subscription;
    }
  }
  const created = results.filter((r) => r.action === 'created').length;
  if (json) {
    print({ results: results.map((r) => ({ action: r.action, subscription: publicView(r.subscription) })) });
  } else {
    for (const r of results)
      io.out(
        `${r.action.padEnd(11)} #${r.subscription.id}  ${describe(r.subscription)}${r.subscription.validated ? '' : '  (not validated yet)'}`,
      );
    io.out(
      `Ensured ${results.length} subscription(s): ${created} created, ${results.length - created} already there.`,
    );
    if (created > 0)
      io.out(
        'Note: Altinn caches subscriptions for up to an hour, so a new one may get its first events late.',
      );
  }
  if (waitArg !== undefined) {
    const pending = results.filter((r) => !r.subscription.validated);
    for (const r of pending) {
      io.err(
        `WARNING: subscription #${r.subscription.id} is still not validated after waiting ${waitArg} s: Altinn pushes nothing to it ` +
          'until the endpoint answers the validation handshake with 2xx (https, publicly trusted certificate).',
      );
    }
    if (pending.length > 0) return EXIT.warnings;
    if (!json) io.out(`All ${results.length} subscription(s) are validated.`);
    return EXIT.ok;
  }
  return report(
    unvalidatedTooLong(
      results.map((r) => r.subscription),
      grace,
      now(),
    ),
    grace,
    io,
    values.strict,
  );
}

/** The gateway's accepted webhook tokens, when WEBHOOK_TOKENS is in the environment (comma-separated). */
function acceptedTokens(io: CliIo): string[] {
  return (io.env['WEBHOOK_TOKENS'] ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

function client(io: CliIo, file: SubscriptionsFile | undefined): AltinnClient {
  const explicit = io.env['ALTINN_ENVIRONMENT'];
  if (file && explicit !== undefined && explicit !== '' && explicit !== file.environment) {
    throw new ConfigError('subscriptions', [
      { variable: 'ALTINN_ENVIRONMENT', reason: `is ${explicit}, but the file is for ${file.environment}` },
    ]);
  }
  const env = { ...io.env, ALTINN_ENVIRONMENT: explicit || file?.environment };
  const cfg = loadConfig('subscriptions', altinnConfigSchema, env);
  const problems = altinnConfigProblems(cfg);
  if (problems.length > 0) throw new ConfigError('subscriptions', problems);
  return createAltinnClient(cfg, { defaultScopes: [ALTINN_SCOPES.eventsSubscribe], fetch: io.fetch });
}

function report(
  warnings: ReturnType<typeof unvalidatedTooLong>,
  grace: number,
  io: CliIo,
  strict: boolean,
): number {
  for (const w of warnings) {
    const age = Number.isFinite(w.minutesSinceCreated)
      ? `${Math.floor(w.minutesSinceCreated)} minutes`
      : 'an unknown time';
    io.err(
      `WARNING: subscription #${w.subscription.id} is still not validated ${age} after creation (grace ${grace} min). ` +
        'Altinn pushes nothing to it until the endpoint answers the validation handshake with 2xx: check that the ' +
        'gateway is reachable over https with a publicly trusted certificate, then run ensure again to re-send the handshake.',
    );
  }
  return strict && warnings.length > 0 ? EXIT.warnings : EXIT.ok;
}

async function remove(
  events: EventsClient,
  io: CliIo,
  ids: string[],
  file: SubscriptionsFile | undefined,
  opts: { yes: boolean; notInFile: boolean; orphans: boolean; json: boolean; acceptedTokens: string[] },
): Promise<number> {
  let targets: number[];
  if (opts.notInFile || opts.orphans) {
    if (ids.length > 0) throw new UsageError('give either ids or --not-in-file/--orphans, not both');
    const existing = await events.listSubscriptions();
    // Only subscriptions pushing to an endpoint this file manages (or to our gateway with a retired token): the
    // organisation may hold others (another system, another environment's gateway) that are none of its business.
    const endpoints = new Set((file?.requests ?? []).map((r) => r.endPoint));
    const plan = planSubscriptions(file?.requests ?? [], existing, opts.acceptedTokens);
    const orphans = new Set(plan.orphans.map((s) => s.id));
    targets = plan.unmanaged
      .filter((s) => orphans.has(s.id) || (opts.notInFile && endpoints.has(s.endPoint)))
      .map((s) => s.id);
    const foreign = plan.unmanaged.length - targets.length;
    if (foreign > 0) io.out(`Leaving ${foreign} subscription(s) to other endpoints alone.`);
  } else {
    if (ids.length === 0) throw new UsageError('delete needs subscription ids (or --not-in-file)');
    const bad = ids.filter((id) => !/^\d+$/.test(id));
    if (bad.length > 0) throw new UsageError(`not a subscription id: ${bad.join(', ')}`);
    targets = ids.map(Number);
  }
  if (!opts.yes) {
    for (const id of targets) io.out(`would delete #${id}`);
    io.out(`Dry run: ${targets.length} subscription(s) would be deleted. Add --yes to delete.`);
    return EXIT.ok;
  }
  for (const id of targets) {
    await events.deleteSubscription(id);
    io.out(`deleted #${id}`);
  }
  if (opts.json) io.out(JSON.stringify({ deleted: targets }));
  if (targets.length > 0)
    io.out('Note: Altinn may keep pushing to a deleted subscription for up to an hour (its cache).');
  return EXIT.ok;
}
