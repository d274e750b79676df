// A labelled one-line text field, the markup every form uses (.field > label + input).
export function TextField({
  id,
  label,
  value,
  onChange,
  placeholder,
  type = 'text',
  testId,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  placeholder?: string;
  type?: 'text' | 'password';
  testId?: string;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type={type}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={placeholder}
        autoComplete="off"
        data-testid={testId}
      />
    </div>
  );
}
