// Model and time-range fields shared by the History filter and the Review queue filter.
export interface ModelTimeValue {
  modelId: string;
  /** datetime-local values, '' = open. */
  from: string;
  to: string;
}

export function ModelTimeFields({
  value,
  onChange,
  models,
  testIdPrefix,
}: {
  value: ModelTimeValue;
  onChange: (patch: Partial<ModelTimeValue>) => void;
  models: readonly string[];
  testIdPrefix: string;
}) {
  return (
    <>
      <label className="mini-field">
        Model
        <select
          value={value.modelId}
          onChange={(e) => onChange({ modelId: e.target.value })}
          data-testid={`${testIdPrefix}-model`}
        >
          <option value="">All models</option>
          {models.map((m) => (
            <option key={m} value={m}>
              {m}
            </option>
          ))}
        </select>
      </label>
      <label className="mini-field">
        From
        <input
          type="datetime-local"
          value={value.from}
          onChange={(e) => onChange({ from: e.target.value })}
          data-testid={`${testIdPrefix}-from`}
        />
      </label>
      <label className="mini-field">
        To
        <input
          type="datetime-local"
          value={value.to}
          onChange={(e) => onChange({ to: e.target.value })}
          data-testid={`${testIdPrefix}-to`}
        />
      </label>
    </>
  );
}
