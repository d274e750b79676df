import { ReasonField } from '../components/ReasonField';
// Products (recipes): what the line makes and what it runs for it: source, model, thresholds,
// outputs. Switching the line to a product and deploying a model for it are signed; a model whose
// lineage does not match the product is shown with its warnings and needs an explicit "anyway".
import { useMemo, useState, type FormEvent } from 'react';
import type { ModelVersionDto, ProductDto, ProductMismatch } from '@shared/api';
import { Card, Facts } from '../components/Card';
import { DataTable, type Column } from '../components/DataTable';
import { formatTime } from '../components/format';
import { ErrorNotice, Loading, Notice } from '../components/Notice';
import { Page } from '../components/Page';
import { Pill } from '../components/StatusBadge';
import { useEvent, useStation } from '../hooks/station';
import { useApi } from '../hooks/useApi';
import { formatScore } from '../lib/filters';
import { useAction } from '../hooks/useAction';

export function ProductsPage() {
  const list = useApi('products.list', {});
  const models = useApi('models.list', {});
  useEvent('products.changed', () => list.reload());
  useEvent('models.changed', () => models.reload());
  const [selected, setSelected] = useState<string | null>(null);
  const products = list.data?.products ?? [];
  const current =
    products.find((p) => p.id === selected) ?? products.find((p) => p.active) ?? products[0] ?? null;
  const versions = models.data?.versions ?? [];

  return (
    <Page
      id="products"
      title="Products"
      subtitle="A product is a recipe: the source, model, thresholds and outputs the line runs for it. The selected product is recorded on every inspection."
    >
      {list.error ? <ErrorNotice error={list.error} what="the products" onRetry={list.reload} /> : null}
      <div className="grid-2 products-grid">
        <div className="stack">
          <ProductTable
            products={products}
            loading={list.data === undefined}
            selectedId={current?.id ?? null}
            onSelect={setSelected}
          />
          <NewProduct
            onCreated={(p) => {
              setSelected(p.id);
              list.reload();
            }}
          />
        </div>
        <div className="stack">
          {current ? (
            <>
              <ProductFacts product={current} versions={versions} onDone={list.reload} />
              <DeployForProduct key={current.id} product={current} versions={versions} onDone={list.reload} />
              <EditRecipe key={`${current.id}|${current.updatedAt}`} product={current} onDone={list.reload} />
            </>
          ) : list.data ? (
            <Card title="No products yet">
              <p className="muted">
                Create the first product on the left. Until one is selected, inspections are recorded without
                a product and deploys go to the line directly.
              </p>
            </Card>
          ) : (
            <Loading what="the products" />
          )}
        </div>
      </div>
    </Page>
  );
}

function ProductTable({
  products,
  loading,
  selectedId,
  onSelect,
}: {
  products: ProductDto[];
  loading: boolean;
  selectedId: string | null;
  onSelect: (id: string) => void;
}) {
  const columns: Array<Column<ProductDto>> = useMemo(
    () => [
      {
        key: 'name',
        header: 'Product',
        className: 'col-product',
        render: (p) => (
          <span className="clip" title={`${p.name} (${p.id})`}>
            {p.name} <span className="muted small mono">{p.id}</span>
          </span>
        ),
      },
      {
        key: 'model',
        header: 'Model',
        className: 'col-model mono',
        render: (p) => <span className="clip">{p.modelId ?? '—'}</span>,
      },
      {
        key: 'thr',
        header: 'T1 / T2',
        className: 'col-thr mono',
        render: (p) =>
          p.thresholds ? `${formatScore(p.thresholds.t1)} / ${formatScore(p.thresholds.t2)}` : "model's",
      },
      {
        key: 'state',
        header: '',
        className: 'col-state',
        render: (p) => (p.active ? <Pill tone="ok">on the line</Pill> : null),
      },
    ],
    [],
  );
  return (
    <Card title="Products" testId="products-card">
      <DataTable
        testId="products-table"
        fixed
        caption="Products"
        columns={columns}
        rows={products}
        rowKey={(p) => p.id}
        selectedKey={selectedId}
        onRowClick={(p) => onSelect(p.id)}
        empty={loading ? 'Loading…' : 'No products yet.'}
      />
    </Card>
  );
}

function describeSource(source: Record<string, unknown> | null): string {
  if (!source) return "the line's current source (unchanged)";
  const kind = String(source.kind ?? '?');
  if (kind === 'replay' || kind === 'hotFolder')
    return `${kind === 'replay' ? 'replay' : 'hot folder'} ${String(source.folder ?? '')}`;
  const input = (source.input ?? {}) as Record<string, unknown>;
  return `camera ${String(input.device ?? input.url ?? input.path ?? input.graph ?? '')}`;
}

/** The line's saved source, for "use the current source" (the demo line is not a saved one). */
function currentSourceText(current: Record<string, unknown> | null): string {
  return current ? describeSource(current) : 'none saved yet: set one up on the Source screen';
}

function describeOutputs(outputs: Record<string, unknown> | null): string {
  if (!outputs) return "the station's outputs (unchanged)";
  const devices = Array.isArray(outputs.devices) ? outputs.devices.length : 0;
  return `${devices} USB device${devices === 1 ? '' : 's'} with this product's verdict actions`;
}

function ProductFacts({
  product,
  versions,
  onDone,
}: {
  product: ProductDto;
  versions: ModelVersionDto[];
  onDone: () => void;
}) {
  const { client } = useStation();
  const detail = useApi('products.get', { id: product.id });
  useEvent('products.changed', () => detail.reload());
  const [reason, setReason] = useState('');
  const { busy, result, run } = useAction();
  const model = versions.find((v) => v.id === product.modelId) ?? null;

  const activate = (id: string | null) =>
    run(async () => {
      await client.call('products.activate', { id, actor: 'operator', reason: reason.trim() });
      const running = (await client.call('station.state', {})).status === 'running';
      setReason('');
      onDone();
      return id
        ? `The line now runs "${product.name}"${running ? ' and restarted as a new run' : '; the next start is a new run'}. Recorded in the audit trail.`
        : 'No product selected any more. Recorded in the audit trail.';
    });

  const last = detail.data?.deployments[0];
  return (
    <Card
      title={product.name}
      testId="product-detail"
      aside={product.active ? <Pill tone="ok">on the line</Pill> : <Pill tone="neutral">not selected</Pill>}
    >
      <Facts
        items={[
          { label: 'Id (on every inspection)', value: product.id, mono: true },
          {
            label: 'Model',
            value: model
              ? `${model.id} (v${model.version}, ${model.method})`
              : (product.modelId ?? 'none yet'),
            mono: true,
            testId: 'product-model',
          },
          {
            label: 'Thresholds',
            value: product.thresholds
              ? `T1 ${formatScore(product.thresholds.t1)} · T2 ${formatScore(product.thresholds.t2)}`
              : model
                ? `the model's: T1 ${formatScore(model.thresholds.t1)} · T2 ${formatScore(model.thresholds.t2)}`
                : '—',
          },
          { label: 'Source', value: describeSource(product.source) },
          { label: 'Outputs', value: describeOutputs(product.outputs) },
          ...(product.notes ? [{ label: 'Notes', value: product.notes }] : []),
          { label: 'Changed', value: formatTime(product.updatedAt) },
        ]}
      />
      {last && last.warnings.some((w) => w.level === 'warn') ? (
        <Notice tone="warn" title={`${last.modelId} was deployed despite warnings (${last.deployedBy})`}>
          {last.warnings.map((w) => w.message).join(' ')}
        </Notice>
      ) : null}
      <form className="form" onSubmit={(e: FormEvent) => e.preventDefault()} aria-label="Switch product">
        <div className="field">
          <label htmlFor="activateReason">Reason (required, goes into the audit trail)</label>
          <input
            id="activateReason"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            placeholder="e.g. changeover to the next order"
            data-testid="product-activate-reason"
          />
        </div>
        <div className="form-actions">
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy || product.active || !product.modelId || !reason.trim()}
            onClick={() => void activate(product.id)}
            data-testid="product-activate"
            title={product.modelId ? undefined : 'Deploy a model for this product first'}
          >
            {busy ? 'Switching…' : 'Switch the line to this product'}
          </button>
          {product.active ? (
            <button
              type="button"
              className="btn"
              disabled={busy || !reason.trim()}
              onClick={() => void activate(null)}
              data-testid="product-clear"
            >
              Select no product
            </button>
          ) : null}
        </div>
        <p className="hint">
          Switching loads the product&apos;s model, sets its thresholds and outputs, takes its source and
          starts a new run if the line is running. You sign it with your password.
        </p>
        {result ? (
          <Notice
            tone={result.tone}
            title={result.tone === 'ok' ? 'Done' : 'Not switched'}
            testId="product-activate-result"
          >
            {result.text}
          </Notice>
        ) : null}
      </form>
    </Card>
  );
}

function DeployForProduct({
  product,
  versions,
  onDone,
}: {
  product: ProductDto;
  versions: ModelVersionDto[];
  onDone: () => void;
}) {
  const { client } = useStation();
  const [modelId, setModelId] = useState('');
  const [reason, setReason] = useState('');
  const [accept, setAccept] = useState(false);
  const { busy, result, run } = useAction();
  const check = useApi('products.check', { id: product.id, modelId: modelId || product.modelId || 'none' });
  const warnings: ProductMismatch[] = modelId && check.data?.modelId === modelId ? check.data.warnings : [];
  const mustAccept = warnings.some((w) => w.level === 'warn');

  const deploy = () =>
    run(async () => {
      const after = await client.call('products.deploy', {
        id: product.id,
        modelId,
        acknowledgeMismatch: mustAccept && accept,
        actor: 'engineer',
        reason: reason.trim(),
      });
      setReason('');
      setAccept(false);
      onDone();
      return `${after.modelId} is now the model of "${after.name}"${after.active ? ' and runs on the line' : ''}. Recorded in the audit trail.`;
    });

  return (
    <Card title="Deploy a model for this product" testId="product-deploy-card">
      <form className="form" onSubmit={(e: FormEvent) => e.preventDefault()} aria-label="Deploy for product">
        <div className="field-row">
          <div className="field">
            <label htmlFor="productModel">Model version</label>
            <select
              id="productModel"
              value={modelId}
              onChange={(e) => {
                setModelId(e.target.value);
                setAccept(false);
              }}
              data-testid="product-deploy-model"
            >
              <option value="">Choose a version…</option>
              {versions.map((v) => (
                <option key={v.id} value={v.id} disabled={v.id === product.modelId}>
                  v{v.version} · {v.id}
                  {v.id === product.modelId ? ' (current)' : ''}
                </option>
              ))}
            </select>
          </div>
          <ReasonField
            id="productDeployReason"
            testId="product-deploy-reason"
            value={reason}
            onChange={setReason}
          />
        </div>
        {modelId && check.error ? <ErrorNotice error={check.error} what="the model check" /> : null}
        {warnings.map((w) => (
          <Notice
            key={w.code}
            tone={w.level === 'warn' ? 'warn' : 'info'}
            title={w.level === 'warn' ? 'This model may not fit the product' : 'Cannot check this model'}
            testId={`product-warning-${w.code}`}
          >
            {w.message}
          </Notice>
        ))}
        {modelId && check.data?.modelId === modelId && warnings.length === 0 ? (
          <p className="hint" data-testid="product-check-ok">
            Trained for this product or on the same images as its earlier models.
          </p>
        ) : null}
        {mustAccept ? (
          <label className="check">
            <input
              type="checkbox"
              checked={accept}
              onChange={(e) => setAccept(e.target.checked)}
              data-testid="product-deploy-accept"
            />
            Deploy anyway: I have checked that this model fits &quot;{product.name}&quot; (recorded with the
            deploy).
          </label>
        ) : null}
        <div className="form-actions">
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy || !modelId || !reason.trim() || (mustAccept && !accept)}
            onClick={() => void deploy()}
            data-testid="product-deploy"
          >
            {busy ? 'Deploying…' : product.active ? 'Deploy to the line' : 'Deploy for this product'}
          </button>
        </div>
        <p className="hint">
          A different model drops the product&apos;s own thresholds: they were chosen on the old model&apos;s
          scores. Signed with your password.
        </p>
        {result ? (
          <Notice
            tone={result.tone}
            title={result.tone === 'ok' ? 'Deployed' : 'Not deployed'}
            testId="product-deploy-result"
          >
            {result.text}
          </Notice>
        ) : null}
      </form>
    </Card>
  );
}

function numOrNull(text: string): number | null {
  if (text.trim() === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : Number.NaN;
}

function EditRecipe({ product, onDone }: { product: ProductDto; onDone: () => void }) {
  const { client } = useStation();
  const sources = useApi('sources.options', {});
  const outputs = useApi('devices.config', {});
  const [name, setName] = useState(product.name);
  const [t1, setT1] = useState(product.thresholds ? String(product.thresholds.t1) : '');
  const [t2, setT2] = useState(product.thresholds ? String(product.thresholds.t2) : '');
  const [takeSource, setTakeSource] = useState(false);
  const [takeOutputs, setTakeOutputs] = useState(false);
  const [notes, setNotes] = useState(product.notes ?? '');
  const [reason, setReason] = useState('');
  const { busy, result, run } = useAction();
  const a = numOrNull(t1);
  const b = numOrNull(t2);
  const thresholdError =
    (a === null) !== (b === null)
      ? 'Give both thresholds, or neither (the model’s own).'
      : Number.isNaN(a) || Number.isNaN(b)
        ? 'Thresholds are numbers.'
        : a !== null && b !== null && a > b
          ? 'T1 must not be above T2.'
          : null;

  const save = () =>
    run(async () => {
      await client.call('products.update', {
        id: product.id,
        name: name.trim(),
        thresholds: a !== null && b !== null ? { t1: a, t2: b } : null,
        ...(takeSource && sources.data?.current ? { source: sources.data.current } : {}),
        ...(takeOutputs && outputs.data ? { outputs: outputs.data.config } : {}),
        notes: notes.trim() || null,
        actor: 'engineer',
        reason: reason.trim(),
      });
      setReason('');
      onDone();
      return 'Saved; recorded in the audit trail.';
    });

  return (
    <Card title="Recipe" testId="product-recipe-card">
      <form className="form" onSubmit={(e: FormEvent) => e.preventDefault()} aria-label="Product recipe">
        <div className="field-row three">
          <div className="field">
            <label htmlFor="recipeName">Name</label>
            <input id="recipeName" value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="recipeT1">T1 (REVIEW from)</label>
            <input
              id="recipeT1"
              inputMode="decimal"
              value={t1}
              placeholder="model's"
              onChange={(e) => setT1(e.target.value)}
              data-testid="recipe-t1"
            />
          </div>
          <div className="field">
            <label htmlFor="recipeT2">T2 (FAIL from)</label>
            <input
              id="recipeT2"
              inputMode="decimal"
              value={t2}
              placeholder="model's"
              onChange={(e) => setT2(e.target.value)}
              data-testid="recipe-t2"
            />
          </div>
        </div>
        {thresholdError ? <p className="field-error">{thresholdError}</p> : null}
        <label className="check">
          <input
            type="checkbox"
            checked={takeSource}
            disabled={!sources.data?.current}
            onChange={(e) => setTakeSource(e.target.checked)}
          />
          Use the line&apos;s current source ({currentSourceText(sources.data?.current ?? null)})
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={takeOutputs}
            disabled={!outputs.data}
            onChange={(e) => setTakeOutputs(e.target.checked)}
          />
          Use the station&apos;s current USB outputs (set them up under Settings first)
        </label>
        <div className="field-row">
          <div className="field">
            <label htmlFor="recipeNotes">Notes</label>
            <input id="recipeNotes" value={notes} onChange={(e) => setNotes(e.target.value)} />
          </div>
          <ReasonField id="recipeReason" testId="recipe-reason" value={reason} onChange={setReason} />
        </div>
        <div className="form-actions">
          <button
            type="button"
            className="btn btn-primary"
            disabled={busy || !name.trim() || !reason.trim() || thresholdError !== null}
            onClick={() => void save()}
            data-testid="recipe-save"
          >
            {busy ? 'Saving…' : 'Save recipe'}
          </button>
        </div>
        <p className="hint">
          MQTT and webhook outputs are station-wide; each message names the product of its part. Changes to
          the selected product apply at once (the source at the next start). Signed with your password.
        </p>
        {result ? (
          <Notice
            tone={result.tone}
            title={result.tone === 'ok' ? 'Saved' : 'Not saved'}
            testId="recipe-result"
          >
            {result.text}
          </Notice>
        ) : null}
      </form>
    </Card>
  );
}

function NewProduct({ onCreated }: { onCreated: (p: ProductDto) => void }) {
  const { client } = useStation();
  const sources = useApi('sources.options', {});
  const [name, setName] = useState('');
  const [takeSource, setTakeSource] = useState(true);
  const [reason, setReason] = useState('');
  const { busy, result, run } = useAction();

  const create = (e: FormEvent) => {
    e.preventDefault();
    return run(async () => {
      const p = await client.call('products.create', {
        name: name.trim(),
        source: takeSource && sources.data?.current ? sources.data.current : null,
        actor: 'engineer',
        reason: reason.trim(),
      });
      setName('');
      setReason('');
      onCreated(p);
      return `Created "${p.name}" (${p.id}). Deploy a model for it next.`;
    });
  };

  return (
    <Card title="New product" testId="product-new-card">
      <form className="form" onSubmit={(e) => void create(e)} aria-label="New product">
        <div className="field-row">
          <div className="field">
            <label htmlFor="newProductName">Name</label>
            <input
              id="newProductName"
              value={name}
              onChange={(e) => setName(e.target.value)}
              placeholder="e.g. Plate A"
              data-testid="product-new-name"
            />
          </div>
          <ReasonField
            id="newProductReason"
            testId="product-new-reason"
            value={reason}
            onChange={setReason}
          />
        </div>
        <label className="check">
          <input
            type="checkbox"
            checked={takeSource && !!sources.data?.current}
            disabled={!sources.data?.current}
            onChange={(e) => setTakeSource(e.target.checked)}
          />
          Use the line&apos;s current source ({currentSourceText(sources.data?.current ?? null)})
        </label>
        <div className="form-actions">
          <button
            type="submit"
            className="btn btn-primary"
            disabled={busy || !name.trim() || !reason.trim()}
            data-testid="product-create"
          >
            {busy ? 'Creating…' : 'Create product'}
          </button>
        </div>
        {result ? (
          <Notice
            tone={result.tone}
            title={result.tone === 'ok' ? 'Created' : 'Not created'}
            testId="product-new-result"
          >
            {result.text}
          </Notice>
        ) : null}
      </form>
    </Card>
  );
}
