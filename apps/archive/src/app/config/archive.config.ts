/** The archive's configuration is declared in @broker-events/app-config (deploy-check and the docs read it there). */
export { type ArchiveConfig, archiveConfigSchema, loadArchiveConfig } from '@broker-events/app-config';

export const ARCHIVE_CONFIG = Symbol('ARCHIVE_CONFIG');
