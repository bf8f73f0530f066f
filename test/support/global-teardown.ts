export default async function globalTeardown(): Promise<void> {
  await globalThis.__STEPGATE_DDB__?.stop();
}
