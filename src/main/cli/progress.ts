// One-line progress on stderr (stdout stays clean for reports and pipes).
export function progressLine(label: string, done: number, total: number, etaMs: number | null): void {
  if (!process.stderr.isTTY && done !== total && done % Math.max(1, Math.floor(total / 10)) !== 0) return;
  const width = 24;
  const filled = total > 0 ? Math.round((done / total) * width) : 0;
  const eta = etaMs !== null && done < total ? ` ETA ${(etaMs / 1000).toFixed(0)} s` : '';
  const line = `${label.padEnd(12)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${eta}`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
  else process.stderr.write(`${line}\n`);
}
