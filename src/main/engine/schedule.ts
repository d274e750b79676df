// Learning-rate schedules, evaluated on the JS side per epoch and fed to the step graph as its
// `lr` input (so changing the schedule never rebuilds the graph).
export type LrSchedule = (epoch: number) => number;

export const constantLr =
  (lr: number): LrSchedule =>
  () =>
    lr;

/** lr·γ^⌊epoch/stepSize⌋ (torch.optim.lr_scheduler.StepLR). */
export const stepLr =
  (lr: number, stepSize: number, gamma = 0.1): LrSchedule =>
  (epoch) =>
    lr * gamma ** Math.floor(epoch / stepSize);

/** lr·γ^(number of milestones ≤ epoch) (MultiStepLR; DRAEM uses 80 % and 90 % of the epochs, γ 0.2). */
export const multiStepLr =
  (lr: number, milestones: number[], gamma = 0.1): LrSchedule =>
  (epoch) =>
    lr * gamma ** milestones.filter((m) => epoch >= m).length;
