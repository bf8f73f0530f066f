import { maskEmail, maskPhone } from '../../../lambdas/core/step-up/masking';

describe('maskEmail', () => {
  it.each([
    ['alice@example.com', 'a***@e***.com'],
    ['bob.smith+tag@mail.example.co.uk', 'b***@m***.uk'],
    ['x@y.io', 'x***@y***.io'],
    ['Ünïcode@exämple.de', 'Ü***@e***.de'],
  ])('%s → %s', (input, expected) => {
    expect(maskEmail(input)).toBe(expected);
  });

  it('does not reveal the length of the address', () => {
    expect(maskEmail('a@example.com')).toBe(maskEmail('averyveryverylongname@example.com'));
  });

  it.each(['', 'alice', '@example.com', 'alice@', 'alice@localhost', 'alice@example.', 'a@b.c<script>'])(
    'fully masks %p',
    (input) => {
      expect(maskEmail(input)).toBe('***');
    },
  );
});

describe('maskPhone', () => {
  it.each([
    ['+12223334455', '+*******4455'],
    ['+1 (222) 333-4455', '+*******4455'],
    ['+447911123456', '+********3456'],
    ['02079460000', '*******0000'],
  ])('%s → %s', (input, expected) => {
    expect(maskPhone(input)).toBe(expected);
  });

  it.each([
    ['', '***'],
    ['+123', '+***'],
    ['1234567', '*******'],
    ['not a phone', '***'],
  ])('fully masks short or odd input %p', (input, expected) => {
    expect(maskPhone(input)).toBe(expected);
  });
});
