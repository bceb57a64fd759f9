/** Waits until `cond()` holds, polling every `stepMs`; throws after `ms`. The unit tests' one polling helper. */
export async function until(cond: () => boolean, ms = 3000, stepMs = 10): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
