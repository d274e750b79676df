// One audited action behind a form's button: busy while it runs, and its outcome in words (what
// changed, or the server's refusal) for the line under the button.
import { useCallback, useState } from 'react';
import { describeError } from '../transport';

export type ActionResult = { tone: 'ok' | 'bad'; text: string } | null;

export function useAction(): {
  busy: boolean;
  result: ActionResult;
  setResult: (r: ActionResult) => void;
  /** Runs `act`; the text it returns is shown as the success. Resolves false when it failed. */
  run: (act: () => Promise<string>) => Promise<boolean>;
} {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ActionResult>(null);
  const run = useCallback(async (act: () => Promise<string>) => {
    setBusy(true);
    setResult(null);
    try {
      setResult({ tone: 'ok', text: await act() });
      return true;
    } catch (err) {
      setResult({ tone: 'bad', text: describeError(err) });
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, result, setResult, run };
}
