import { describe, expect, it } from 'vitest';
import { TrustRuleSchema } from './schema.js';

describe('trust rule platforms and pinPlatform', () => {
  it('accepts os/arch[/variant] and refuses anything else', () => {
    expect(TrustRuleSchema.parse({ images: ['**'], platforms: ['linux/amd64', 'linux/arm/v7'] }).platforms).toEqual(['linux/amd64', 'linux/arm/v7']);
    expect(TrustRuleSchema.parse({ images: ['**'], pinPlatform: 'linux/arm64', notation: {} }).pinPlatform).toBe('linux/arm64');
    for (const bad of ['amd64', 'Linux/amd64', 'linux/amd64/v8/x', 'linux/', '']) {
      const r = TrustRuleSchema.safeParse({ images: ['**'], pinPlatform: bad });
      expect(r.success, bad).toBe(false);
    }
    expect(TrustRuleSchema.safeParse({ images: ['**'], platforms: [] }).success).toBe(false);
  });

  it('refuses both in one rule, saying why', () => {
    const r = TrustRuleSchema.safeParse({ images: ['**'], platforms: ['linux/amd64'], pinPlatform: 'linux/amd64' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toContain('either platforms (pin the index) or pinPlatform');
  });
});
