// `station models`: converts the bundled backbones into the data directory's cache ahead of
// time, so the first fit on a line PC does not pay for the conversion.
import { join } from 'node:path';
import { BUNDLED_BACKBONES, ensureBackbone } from '../backbones';
import { resolveDataDir } from '../storage/data-dir';
import { dataDirOption, parseOptions } from './args';
import type { CliCommand } from './commands';

export const modelsCommand: CliCommand = {
  name: 'models',
  summary: 'convert the bundled pretrained backbones to ONNX (cached, hash-verified)',
  usage: 'Usage: station models [--data-dir DIR] [--backbone ID]…',
  async run(argv) {
    const { values } = parseOptions(argv, {
      'data-dir': { type: 'string' },
      backbone: { type: 'string', multiple: true },
    });
    const paths = resolveDataDir({ cliArg: dataDirOption(values['data-dir']), fallback: '.data' });
    const ids = values.backbone ?? Object.keys(BUNDLED_BACKBONES);
    for (const id of ids) {
      const t0 = performance.now();
      const { path, descriptor, generated } = await ensureBackbone(id, paths.cache);
      const taps = descriptor.taps.map((t) => `${t.name} (${t.channels} ch, stride ${t.stride})`).join(', ');
      const how = generated
        ? `converted in ${((performance.now() - t0) / 1000).toFixed(1)} s`
        : 'already cached';
      console.log(
        `${id}: ${how} → ${path}\n  input ${descriptor.inputSize.join('×')}, taps ${taps}, sha256 ${descriptor.sha256.slice(0, 16)}…`,
      );
    }
    console.log(`Cache: ${join(paths.cache, 'backbones')}`);
    return 0;
  },
};
