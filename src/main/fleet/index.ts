export { Replicator, type ReplicatorOptions, type ReplicatorState } from './replicator';
export { migrateCentral, CENTRAL_SCHEMA_VERSION } from './central-schema';
export { verifyCentralAuditChain, type ChainVerdict } from './central-verify';
export {
  PlantPublisher,
  plantOutputsConfig,
  verdictTopic,
  type PlantOutputsConfig,
  type PlantPublisherState,
  type VerdictMessage,
} from './plant-publisher';
