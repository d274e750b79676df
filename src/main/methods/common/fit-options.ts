// The options every method's fit takes (a method's own options extend them).
import type { ImageInput } from '../../models/preprocess';
import type { ProviderName } from '../../runtime';

export interface FitOptions<Preset extends string, Config, Progress> {
  /** Good images to fit on. */
  images: ImageInput[];
  /** Good images not fitted on, for score calibration (the method's own docs say how it uses them). */
  calibrationImages?: ImageInput[];
  preset?: Preset;
  config?: Partial<Config>;
  /** Training checkpoint (methods that train): resumed from when present and from the same run. */
  checkpointPath?: string;
  /**
   * Execution providers the training step tries, in order (the station passes inference's order
   * from Settings, see trainingProviderOrder); default: the engine's own (cuda … cpu).
   */
  providerOrder?: ProviderName[];
  onProgress?: (p: Progress) => void;
  shouldCancel?: () => boolean;
}
