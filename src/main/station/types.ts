// The station's DTOs live in src/shared so the UI can use them without importing main-process code.
export * from '@shared/station';
