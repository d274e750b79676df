export { Replicator, type ReplicatorOptions, type ReplicatorState } from './replicator';
export { migrateCentral, CENTRAL_SCHEMA_VERSION } from './central-schema';
export { verifyCentralAuditChain, type ChainVerdict } from './central-verify';
