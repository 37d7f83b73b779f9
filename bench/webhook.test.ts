/** The webhook bench's hostile traffic and the trust rule that routes it to the stalling server. */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { TrustRuleSchema } from '../src/config/schema.js';
import { attackRuleYaml, HOSTILE_REPOSITORIES, hostileBodies } from './webhook.js';

const digest = `sha256:${'e'.repeat(64)}`;

describe('webhook bench: hostile traffic', () => {
  it('alternates reviews over the repository cap and at it, never repeating a repository', () => {
    const bodies = hostileBodies(4, digest).map((b) => JSON.parse(b));
    const images = bodies.map((b) => b.request.object.spec.containers.map((c: { image: string }) => c.image) as string[]);
    expect(images.map((i) => i.length)).toEqual([HOSTILE_REPOSITORIES, 64, HOSTILE_REPOSITORIES, 64]);
    const all = images.flat();
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((i) => i.startsWith('attack.invalid/attack/r') && i.endsWith(`@${digest}`))).toBe(true);
    expect(new Set(bodies.map((b) => b.request.uid)).size).toBe(4);
  });

  it('routes the attack repositories to the given trust server with a valid trust rule', () => {
    const text = `trust:\n${attackRuleYaml('https://127.0.0.1:9', '/tmp/ca.pem', ['a'.repeat(64)])}`;
    const rule = TrustRuleSchema.parse((parse(text) as { trust: unknown[] }).trust[0]);
    expect(rule).toMatchObject({ images: ['attack.invalid/**'], server: 'https://127.0.0.1:9', ca: '/tmp/ca.pem', rootKeys: ['a'.repeat(64)] });
  });
});
