import { RESOURCE_URN_PREFIX, isValidOrganisationNumber } from '@broker-events/contracts';
import type { ConfigProblem } from '@broker-events/config';
import { type AltinnConfig, altinnConfigProblems } from './altinn-client';

/** `urn:altinn:resource:<id>` for each resource (Events queries and events carry the URN), without repeats. */
export function resourceUrnsOf(resources: readonly string[]): string[] {
  return [
    ...new Set(resources.map((r) => (r.startsWith(RESOURCE_URN_PREFIX) ? r : RESOURCE_URN_PREFIX + r))),
  ];
}

/** The bare id of each resource (Broker's list takes the id), without repeats. */
export function resourceIdsOf(resources: readonly string[]): string[] {
  return [
    ...new Set(
      resources.map((r) => (r.startsWith(RESOURCE_URN_PREFIX) ? r.slice(RESOURCE_URN_PREFIX.length) : r)),
    ),
  ];
}

/**
 * The Altinn settings' cross-variable problems (altinnConfigProblems), plus, against production, an
 * organisation number in the setting `variable` that fails the mod-11 check (test environments use synthetic numbers).
 */
export function altinnSettingsProblems<V extends string>(
  cfg: AltinnConfig & { readonly [K in V]?: string },
  variable: V,
): ConfigProblem[] {
  const problems = altinnConfigProblems(cfg);
  const value = cfg[variable];
  if (value !== undefined && cfg.ALTINN_ENVIRONMENT === 'production' && !isValidOrganisationNumber(value))
    problems.push({ variable, reason: 'fails the mod-11 check (a typo?)' });
  return problems;
}
