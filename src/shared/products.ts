// Products (recipes): what the line makes and what it runs for it. Plain JSON for both transports.
import type { Thresholds } from './station';

export interface ProductDto {
  /** Short stable id (lower-case letters, digits, "-"), recorded on every inspection. */
  id: string;
  name: string;
  /** The frame source the line runs for this product; null = keep whatever the line runs. */
  source: Record<string, unknown> | null;
  /** The model version deployed for this product; null until one is deployed. */
  modelId: string | null;
  /** T1/T2 for this product's model; null = the model's own thresholds. */
  thresholds: Thresholds | null;
  /** USB outputs (stack light, relay) for this product; null = keep the station's outputs. */
  outputs: Record<string, unknown> | null;
  notes: string | null;
  createdAt: string;
  updatedAt: string;
  active: boolean;
}

export interface ProductDeploymentDto {
  modelId: string;
  deployedAt: string;
  deployedBy: string;
  /** Mismatch warnings that were shown and accepted when it was deployed. */
  warnings: ProductMismatch[];
}

export type ProductMismatchCode =
  /** The model was trained while another product was selected. */
  | 'other_product'
  /** Neither its training images nor its training folder were used for any model of this product. */
  | 'training_set'
  /** Its input shape differs from every model this product ran. */
  | 'input_size'
  /** Nothing to compare against (model trained without a product, product without history). */
  | 'unverified';

export interface ProductMismatch {
  /** 'warn' needs an explicit "deploy anyway"; 'info' is shown only. */
  level: 'warn' | 'info';
  code: ProductMismatchCode;
  message: string;
}

export interface ProductCheck {
  productId: string;
  modelId: string;
  warnings: ProductMismatch[];
}

export interface ProductList {
  products: ProductDto[];
  activeId: string | null;
}

export interface ProductDetail {
  product: ProductDto;
  deployments: ProductDeploymentDto[];
}
