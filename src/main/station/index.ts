// The live inspection station: loop, verdicts, statistics, logging.
export { LiveStation, StationError, type LiveStationDeps, type LiveStationOptions } from './live-station';
export * from './types';
export { DropOldestQueue } from './queue';
export {
  LiveStats,
  NumberRing,
  percentile,
  STAGES,
  type Stage,
  type LatencySummary,
  type StageSummary,
} from './stats';
export { ResultLogger, type LogItem, type LoggerHooks, type ResultLoggerOptions } from './logger';
export { CorruptFrameError, decodeFrame, denormalise, heatRange, sniff } from './frames';
