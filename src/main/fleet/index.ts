export { Replicator, type ReplicatorOptions, type ReplicatorState } from './replicator';
export { migrateCentral, CENTRAL_SCHEMA_VERSION } from './central-schema';
export { verifyCentralAuditChain, type ChainVerdict } from './central-verify';
export {
  PlantPublisher,
  plantOutputsConfig,
  routeFor,
  verdictTopic,
  type ResolvedRoute,
  type PlantOutputsConfig,
  type PlantPublisherState,
  type VerdictMessage,
} from './plant-publisher';
export {
  startStationFleet,
  fleetReplicationConfig,
  FLEET_REPLICATION_KEY,
  FLEET_OUTPUTS_KEY,
  type StationFleet,
  type StationFleetState,
} from './station-fleet';
