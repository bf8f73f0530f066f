import { AesGcmSealer } from '../../../lambdas/adapters/aes-gcm-sealer';

const KEY = 'pepper-of-at-least-sixteen-bytes';

describe('the AES-GCM sealer', () => {
  const sealer = new AesGcmSealer(() => Promise.resolve(KEY));

  it('opens what it sealed, for the same owner only', async () => {
    const sealed = await sealer.seal('JBSWY3DPEHPK3PXP', 'user#alice');
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(await sealer.open(sealed, 'user#alice')).toBe('JBSWY3DPEHPK3PXP');
    // Copied onto another user's item, it does not open.
    expect(await sealer.open(sealed, 'user#mallory')).toBeUndefined();
  });

  it('seals the same secret differently each time', async () => {
    expect(await sealer.seal('s', 'c')).not.toBe(await sealer.seal('s', 'c'));
  });

  it('refuses anything tampered with, or sealed under another key or purpose', async () => {
    const sealed = await sealer.seal('JBSWY3DPEHPK3PXP', 'user#alice');
    const [version, iv, body, tag] = sealed.split('.');
    const flipped = Buffer.from(body!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(
      await sealer.open([version, iv, flipped.toString('base64url'), tag].join('.'), 'user#alice'),
    ).toBeUndefined();
    expect(await sealer.open('v1.garbage', 'user#alice')).toBeUndefined();
    const otherKey = new AesGcmSealer(() => Promise.resolve('another-pepper-of-sixteen-bytes'));
    expect(await otherKey.open(sealed, 'user#alice')).toBeUndefined();
    const otherPurpose = new AesGcmSealer(() => Promise.resolve(KEY), 'stepgate/other/v1');
    expect(await otherPurpose.open(sealed, 'user#alice')).toBeUndefined();
  });

  it('refuses key material too short to derive a key from', async () => {
    const weak = new AesGcmSealer(() => Promise.resolve('short'));
    await expect(weak.seal('s', 'c')).rejects.toThrow(/shorter than 16 bytes/);
  });
});
