// The product the line runs, in the header of every screen: a bottle model on a plate line must
// be visible at a glance, whichever screen is open.
import { useState } from 'react';
import type { StationState } from '@shared/station';
import { hrefFor } from '../hooks/route';
import { useEvent } from '../hooks/station';
import { useApi } from '../hooks/useApi';
import { Icon } from './Icon';

export function ProductBadge() {
  const initial = useApi('station.state', {});
  const [live, setLive] = useState<StationState['product'] | undefined>(undefined);
  useEvent('station.state', (s) => setLive(s.product));
  useEvent('products.changed', () => initial.reload());
  const product = live !== undefined ? live : initial.data?.product;
  if (product === undefined) return null;
  return (
    <a
      href={hrefFor('products')}
      className={product ? 'product-badge' : 'product-badge none'}
      data-testid="product-badge"
      title={
        product
          ? `The line runs product ${product.name} (${product.id}); recorded on every inspection`
          : 'No product selected: inspections are recorded without a product'
      }
    >
      <Icon name="product" />
      <span className="product-badge-label">Product</span>
      <span className="product-badge-name" data-testid="product-badge-name">
        {product ? product.name : 'none selected'}
      </span>
    </a>
  );
}
