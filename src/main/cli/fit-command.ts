// `station fit`: a model package from a folder of good images (or an MVTec category's train/good).
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isImageFile } from '../imaging/files';
import { fitDfrPackage } from '../methods/dfr/fit-job';
import { fitDraemPackage } from '../methods/draem/fit-job';
import { DRAEM_PRESET_NAMES, type DraemPresetName } from '../methods/draem/types';
import { DFR_PRESETS, type DfrPresetName } from '../methods/dfr/types';
import { patchcoreBackbone, type PatchCoreBackboneId } from '../methods/patchcore/backbone';
import { startPatchCoreFit, type FitJobResult } from '../methods/patchcore/fit-job';
import { PRESET_NAMES, type PresetName } from '../methods/patchcore/types';
import { resolveDataDir } from '../storage/data-dir';
import { CliUsageError, dataDirOption, parseOptions, requireOption } from './args';
import type { CliCommand } from './commands';
import { progressLine } from './progress';

export const METHODS = ['patchcore', 'dfr', 'draem'] as const;
export type MethodName = (typeof METHODS)[number];
export const BACKBONES: PatchCoreBackboneId[] = ['mobilenet_v2', 'inception_v3'];

export interface FitSettings {
  method: MethodName;
  backbone: PatchCoreBackboneId;
  preset: PresetName;
  /**
   * The paper's resize (256/224 of the input) + centre crop instead of the default whole frame,
   * which keeps the ends of elongated parts where defects often sit.
   */
  centerCrop: boolean;
  /** DRAEM: folder of texture images used besides the procedural ones. */
  textures?: string;
}

export function parseFitSettings(values: {
  method?: string;
  backbone?: string;
  preset?: string;
  'center-crop'?: boolean;
  textures?: string;
}): FitSettings {
  const method = values.method ?? 'patchcore';
  if (!isMethod(method)) {
    throw new CliUsageError(`--method ${method} is not available (available: ${METHODS.join(', ')}).`);
  }
  const backbone = (values.backbone ?? 'mobilenet_v2') as PatchCoreBackboneId;
  if (!BACKBONES.includes(backbone))
    throw new CliUsageError(`--backbone must be one of ${BACKBONES.join(', ')}.`);
  const preset = (values.preset ?? (method === 'draem' ? 'station' : 'fast')) as PresetName;
  const presets: readonly string[] =
    method === 'dfr' ? Object.keys(DFR_PRESETS) : method === 'draem' ? DRAEM_PRESET_NAMES : PRESET_NAMES;
  if (!presets.includes(preset)) {
    const fine = method === 'patchcore' ? ' (fine: larger input for defects of a few pixels)' : '';
    throw new CliUsageError(`--preset must be one of ${presets.join(', ')} for ${method}${fine}.`);
  }
  if (method === 'dfr' && values.backbone && backbone !== 'mobilenet_v2') {
    throw new CliUsageError('DFR uses MobileNetV2 taps; --backbone cannot be changed for it.');
  }
  if (method === 'draem' && values.backbone)
    throw new CliUsageError('DRAEM trains its own networks; --backbone does not apply to it.');
  if (values.textures && method !== 'draem') throw new CliUsageError('--textures applies to --method draem only.');
  return { method, backbone, preset, centerCrop: values['center-crop'] ?? false, textures: values.textures };
}

function isMethod(name: string): name is MethodName {
  return (METHODS as readonly string[]).includes(name);
}

export const FIT_OPTIONS = {
  method: { type: 'string' },
  backbone: { type: 'string' },
  preset: { type: 'string' },
  'center-crop': { type: 'boolean' },
  textures: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

/** Fits in a worker thread (the process stays responsive to Ctrl-C) and exports to outDir. */
export async function fitPackage(
  images: string[],
  outDir: string,
  settings: FitSettings,
  cacheDir: string,
): Promise<Pick<FitJobResult, 'dir' | 'modelJson' | 'onnxBytes'>> {
  if (settings.method === 'draem') {
    // Like DFR: a checkpoint in outDir while training, so an interrupted fit resumes when rerun.
    return fitDraemPackage(images, outDir, {
      preset: settings.preset as DraemPresetName,
      config: settings.textures ? { textureDir: resolve(settings.textures) } : undefined,
      onProgress: (p) => progressLine(`fit ${p.stage}`, p.done, p.total, p.etaMs),
    });
  }
  if (settings.method === 'dfr') {
    // DFR keeps a checkpoint in outDir while training, so an interrupted fit resumes when rerun.
    return fitDfrPackage(images, outDir, {
      preset: settings.preset as DfrPresetName,
      cacheDir,
      onProgress: (p) => progressLine(`fit ${p.stage}`, p.done, p.total, p.etaMs),
    });
  }
  // The preset can change the input size, i.e. which converted backbone is used.
  const backbone = await patchcoreBackbone(settings.backbone, {
    cacheDir: join(cacheDir, 'backbones'),
    preset: settings.preset,
  });
  const job = startPatchCoreFit(
    {
      images,
      backbone,
      preset: settings.preset,
      // Min–max normalisation over the default 10 % (2–3 images of a small set) is a range of
      // noise and puts ordinary good parts above T1; a quarter held out, as the demo line does.
      config: { calibrationFraction: 0.25 },
      preprocess: settings.centerCrop
        ? { resize: Math.round((backbone.preprocess.crop * 256) / 224) }
        : undefined,
      outDir,
    },
    (p) => progressLine(`fit ${p.stage}`, p.done, p.total, p.etaMs),
  );
  const stop = (): void => job.cancel();
  process.once('SIGINT', stop);
  try {
    return await job.result;
  } finally {
    process.off('SIGINT', stop);
  }
}

export function imagesIn(dir: string): string[] {
  const abs = resolve(dir);
  const folder = existsSync(join(abs, 'train', 'good')) ? join(abs, 'train', 'good') : abs;
  if (!existsSync(folder)) throw new Error(`Folder not found: ${folder}`);
  const files = readdirSync(folder)
    .filter(isImageFile)
    .sort()
    .map((f) => join(folder, f));
  if (files.length === 0) throw new Error(`No images in ${folder}.`);
  return files;
}

export const fitCommand: CliCommand = {
  name: 'fit',
  summary: 'fit a model package from a folder of good images',
  usage:
    'Usage: station fit --data DIR --out PKG_DIR [--method patchcore|dfr|draem] [--backbone mobilenet_v2|inception_v3] [--preset fast|accurate|fine|station|paper] [--textures DIR] [--center-crop] [--data-dir DIR]',
  async run(argv) {
    const { values } = parseOptions(argv, {
      ...FIT_OPTIONS,
      data: { type: 'string' },
      out: { type: 'string' },
    });
    const settings = parseFitSettings(values);
    const images = imagesIn(requireOption(values.data, '--data'));
    const out = resolve(requireOption(values.out, '--out'));
    const paths = resolveDataDir({ cliArg: dataDirOption(values['data-dir']), fallback: '.data' });
    const t0 = performance.now();
    const result = await fitPackage(images, out, settings, paths.cache);
    const m = result.modelJson;
    console.log(
      `Fitted ${m.method} on ${images.length} images in ${((performance.now() - t0) / 1000).toFixed(1)} s → ${result.dir}`,
    );
    console.log(
      `  model.onnx ${(result.onnxBytes / 1024 ** 2).toFixed(1)} MiB, thresholds T1 ${m.thresholds.t1}, T2 ${m.thresholds.t2}`,
    );
    return 0;
  },
};
