import { describe, expect, it } from 'vitest';
import { checkWebhookUrl } from './webhook-url.ts';

describe('checkWebhookUrl', () => {
  it.each([
    'https://hooks.example.com/roster',
    'https://hooks.example.com:8443/roster?tenant=a',
    'https://8.8.8.8/hook',
    'https://[2606:4700::1111]/hook',
    // Names are not resolved here: they are judged on every connection instead.
    'https://internal.example.com/',
  ])('accepts %s', (url) => {
    expect(checkWebhookUrl(url, false)).toEqual({ ok: true });
  });

  it.each([
    ['not a url', 'target.invalid_url'],
    ['/relative/path', 'target.invalid_url'],
    ['ftp://hooks.example.com/', 'target.scheme'],
    ['file:///etc/passwd', 'target.scheme'],
    ['javascript:alert(1)', 'target.scheme'],
    ['http://hooks.example.com/', 'target.scheme'],
    ['https://user:pass@hooks.example.com/', 'target.invalid_url'],
    ['https://user@hooks.example.com/', 'target.invalid_url'],
    ['https://hooks.example.com/#frag', 'target.invalid_url'],
    ['https://hooks.example.com/#', 'target.invalid_url'],
    ['https://10.0.0.5/', 'target.private_address'],
    ['https://127.0.0.1:8443/', 'target.private_address'],
    ['https://0x7f000001/', 'target.private_address'], // the URL parser normalises it to 127.0.0.1
    ['https://2130706433/', 'target.private_address'], // 127.0.0.1 as one number
    ['https://127.1/', 'target.private_address'],
    ['https://169.254.169.254/latest/meta-data/', 'target.private_address'],
    ['https://[::1]/', 'target.private_address'],
    ['https://[::ffff:127.0.0.1]/', 'target.private_address'],
    ['https://[fd00:ec2::254]/', 'target.private_address'],
    ['https://[fe80::1]/', 'target.private_address'],
    ['https://localhost/', 'target.private_address'],
    ['https://api.localhost/', 'target.private_address'],
  ])('refuses %s with %s', (url, code) => {
    const result = checkWebhookUrl(url, false);
    expect(result).toMatchObject({ ok: false, code });
    expect(result.ok || result.reason.length > 0).toBe(true);
  });

  it('admits plain http:// and private or loopback targets only with allowPrivate', () => {
    for (const url of [
      'http://127.0.0.1:9000/hook',
      'https://10.0.0.5/',
      'http://[::1]:9000/',
      'http://localhost:9000/',
    ]) {
      expect(checkWebhookUrl(url, true)).toEqual({ ok: true });
    }
  });

  it('keeps refusing what the flag does not concern: other schemes, credentials, fragments', () => {
    expect(checkWebhookUrl('ftp://127.0.0.1/', true)).toMatchObject({ code: 'target.scheme' });
    expect(checkWebhookUrl('http://u:p@127.0.0.1/', true)).toMatchObject({ code: 'target.invalid_url' });
    expect(checkWebhookUrl('http://127.0.0.1/#x', true)).toMatchObject({ code: 'target.invalid_url' });
  });
});
