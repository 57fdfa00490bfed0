/** The file fetcher's configuration is declared in @broker-events/app-config (deploy-check and the docs read it there). */
export {
  FILE_FETCHER_SCOPES,
  type FileFetcherConfig,
  fileFetcherConfigSchema,
  loadFileFetcherConfig,
  resourceIds,
} from '@broker-events/app-config';

export const FILE_FETCHER_CONFIG = Symbol('FILE_FETCHER_CONFIG');
