import { it } from 'vitest';
import { benchBackbones, benchTable } from '../../../src/main/backbones';
it('bench', async () => {
  const rows = await benchBackbones({ runs: 5 });
  console.log(benchTable(rows));
  console.log(JSON.stringify(rows));
}, 600000);
