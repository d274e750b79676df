// Station and product pickers shared by the fleet screens; the choices come from the central
// database (stations that replicated, products seen in their inspections).
import type { FleetOverview } from '@shared/api';
import { useApi } from '../../hooks/useApi';

export function useFleetChoices(): FleetOverview | undefined {
  return useApi('fleet.overview', {}).data;
}

export function StationProductFilter({
  choices,
  value,
  onChange,
}: {
  choices: FleetOverview | undefined;
  value: { stationId: string; product: string };
  onChange: (patch: { stationId?: string; product?: string }) => void;
}) {
  const products = choices?.products ?? [];
  return (
    <>
      <label className="mini-field">
        Station
        <select
          value={value.stationId}
          onChange={(e) => onChange({ stationId: e.target.value })}
          data-testid="f-station"
        >
          <option value="">All stations</option>
          {(choices?.stations ?? []).map((s) => (
            <option key={s.stationId} value={s.stationId}>
              {s.stationId}
            </option>
          ))}
        </select>
      </label>
      <label className="mini-field">
        Product
        <select
          value={value.product}
          onChange={(e) => onChange({ product: e.target.value })}
          data-testid="f-product"
          title={products.length === 0 ? 'No station has sent a product with its inspections yet' : undefined}
        >
          <option value="">{products.length === 0 ? 'none recorded yet' : 'All products'}</option>
          {products.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </label>
    </>
  );
}
