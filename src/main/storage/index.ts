export { openDatabase, schemaVersion, CURRENT_SCHEMA_VERSION, SchemaTooNewError, type Db } from './database';
export { MIGRATIONS, type Migration } from './migrations';
export { AuditTrail, AuditReader, type AuditEntry, type AuditPageRequest } from './audit-trail';
export { auditRowHash, GENESIS_HASH } from './audit-hash';
export {
  SettingsStore,
  DEFAULT_SETTINGS,
  type SettingsPatch,
  type SettingsUpdateResult,
} from './settings-store';
export * from './inspections';
export * from './reviews';
export * from './image-store';
export * from './retention';
export * from './data-dir';
export * from './outbox';
export * from './runs';
