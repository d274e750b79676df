// USB outputs: listing, configuration (persisted and audited) and test buttons.
import type { ApiParsedRequest } from '@shared/api';
import { EXAMPLE_OUTPUTS_CONFIG } from '../../devices/config';
import { BUZZER_PATTERNS, LAMP_PATTERNS } from '../../devices/patlite';
import { OUTPUTS_CONFIG_KEY } from './context';
import type { ApiHandlers } from '../dispatch';
import type { StationContext } from './context';

export function deviceHandlers(
  s: StationContext,
): Pick<ApiHandlers, 'devices.list' | 'devices.configure' | 'devices.test' | 'devices.config'> {
  const { audit, settings, devices } = s;
  return {
    'devices.list': () => devices.list(),
    'devices.configure': async (req: ApiParsedRequest<'devices.configure'>) => {
      const before = devices.getConfig();
      const after = await devices.configure(req.config);
      settings.setInternal(OUTPUTS_CONFIG_KEY, after);
      audit.append({
        actor: req.actor,
        action: 'devices.configure',
        entity: 'devices.outputs',
        oldValue: JSON.stringify(before),
        newValue: JSON.stringify(after),
        reason: req.reason,
      });
      return after as Record<string, unknown>;
    },
    'devices.test': (req: ApiParsedRequest<'devices.test'>) => devices.test(req.deviceId, req.action),
    'devices.config': () => ({
      config: devices.getConfig() as unknown as Record<string, unknown>,
      example: EXAMPLE_OUTPUTS_CONFIG as unknown as Record<string, unknown>,
      lampPatterns: [...LAMP_PATTERNS],
      buzzerPatterns: [...BUZZER_PATTERNS],
    }),
  };
}
