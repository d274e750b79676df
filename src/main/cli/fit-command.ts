// `station fit`: a model package from a folder of good images (or an MVTec category's train/good).
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isImageFile } from '../imaging/files';
import { DEFAULT_METHOD, METHODS, findMethod, methodIds } from '../methods/registry';
import type { AnomalyMethod, MethodFitResult } from '../methods/types';
import { resolveDataDir } from '../storage/data-dir';
import { CliUsageError, dataDirOption, parseOptions, requireOption } from './args';
import type { CliCommand } from './commands';
import { progressLine } from './progress';

export interface FitSettings {
  method: AnomalyMethod;
  backbone: string;
  preset: string;
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
  const name = values.method ?? DEFAULT_METHOD.id;
  const method = findMethod(name);
  if (!method) {
    throw new CliUsageError(`--method ${name} is not available (available: ${methodIds().join(', ')}).`);
  }
  const backbone = values.backbone ?? method.backbones[0];
  if (!method.backbones.includes(backbone)) {
    throw new CliUsageError(
      method.backbones.length === 1
        ? `${method.label} uses ${method.backbones[0]}; --backbone cannot be changed for it.`
        : `--backbone must be one of ${method.backbones.join(', ')} for ${method.id}.`,
    );
  }
  const preset = values.preset ?? method.defaultPreset;
  if (!method.presets.some((p) => p.id === preset)) {
    const notes = method.presets.filter((p) => p.note).map((p) => `${p.id}: ${p.note}`);
    throw new CliUsageError(
      `--preset must be one of ${method.presets.map((p) => p.id).join(', ')} for ${method.id}${notes.length ? ` (${notes.join('; ')})` : ''}.`,
    );
  }
  const centerCrop = values['center-crop'] ?? false;
  if (centerCrop && !method.centerCrop)
    throw new CliUsageError(`--center-crop is not available for ${method.id}.`);
  if (values.textures !== undefined && !method.textureFolder)
    throw new CliUsageError(
      `--textures is for methods that paint textures into training images (${METHODS.filter(
        (m) => m.textureFolder,
      )
        .map((m) => m.id)
        .join(', ')}) only.`,
    );
  return {
    method,
    backbone,
    preset,
    centerCrop,
    textures: values.textures ? resolve(values.textures) : undefined,
  };
}

export const FIT_OPTIONS = {
  method: { type: 'string' },
  backbone: { type: 'string' },
  preset: { type: 'string' },
  'center-crop': { type: 'boolean' },
  textures: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

/**
 * Fits in a worker thread (the process stays responsive to Ctrl-C) and exports to outDir. Ctrl-C
 * cancels; a method that trains keeps its checkpoint in outDir, so the same command resumes.
 */
export async function fitPackage(
  images: string[],
  outDir: string,
  settings: FitSettings,
  cacheDir: string,
): Promise<MethodFitResult> {
  const { method, preset } = settings;
  // The preset can change the input size, i.e. which converted backbone is used.
  const backbone = await method.resolveBackbone({ preset, cacheDir, backboneId: settings.backbone });
  const job = method.fit(
    {
      images,
      preset,
      outDir,
      cacheDir,
      backbone,
      centerCrop: settings.centerCrop,
      config: settings.textures ? { textureDir: settings.textures } : undefined,
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

/** Help text fragments from the registry. */
export function fitUsageOptions(): string {
  const backbones = [...new Set(METHODS.flatMap((m) => m.backbones))];
  const presets = [...new Set(METHODS.flatMap((m) => m.presets.map((p) => p.id)))];
  return `[--method ${methodIds().join('|')}] [--backbone ${backbones.join('|')}] [--preset ${presets.join('|')}] [--center-crop] [--textures DIR]`;
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
  get usage() {
    return `Usage: station fit --data DIR --out PKG_DIR ${fitUsageOptions()} [--data-dir DIR]`;
  },
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
