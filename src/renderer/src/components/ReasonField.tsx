// The required "why" of every audited change, the same on every form.
export function ReasonField({
  id,
  testId,
  value,
  onChange,
}: {
  id: string;
  testId: string;
  value: string;
  onChange: (value: string) => void;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>Reason (required)</label>
      <input id={id} value={value} onChange={(e) => onChange(e.target.value)} data-testid={testId} />
    </div>
  );
}
