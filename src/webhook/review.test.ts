import { describe, expect, it } from 'vitest';
import { allowResponse, clampWarning, denyResponse, MAX_WARNINGS, parseAdmissionReview } from './review.js';
import { fixture } from '../../test/support/webhook/fixtures.js';

describe('parseAdmissionReview', () => {
  it('accepts v1 and v1beta1 requests as the API server sends them, keeping unknown fields', () => {
    for (const name of ['pod-create.v1', 'replicaset-create.v1beta1', 'pod-delete.v1', 'pod-ephemeralcontainers.v1'] as const) {
      const r = parseAdmissionReview({ ...fixture(name), futureField: 1 });
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.review.request.uid).toBe(fixture(name).request.uid);
    }
  });

  it.each([
    ['no request', { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, 'request'],
    ['an empty uid', (() => { const f = fixture('pod-create.v1'); f.request.uid = ''; return f; })(), 'request.uid'],
    ['a missing uid', (() => { const f = fixture('pod-create.v1'); delete f.request.uid; return f; })(), 'request.uid'],
    ['another apiVersion', { ...fixture('pod-create.v1'), apiVersion: 'admission.k8s.io/v2' }, 'apiVersion'],
    ['another kind', { ...fixture('pod-create.v1'), kind: 'TokenReview' }, 'kind'],
    ['an array', [], '(root)'],
    ['an object that is a string', (() => { const f = fixture('pod-create.v1'); f.request.object = 'x'; return f; })(), 'request.object'],
  ])('rejects %s, naming the path', (_label, body, path) => {
    const r = parseAdmissionReview(body);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toContain(path);
  });
});

describe('responses', () => {
  const review = (() => {
    const r = parseAdmissionReview(fixture('replicaset-create.v1beta1'));
    if (!r.ok) throw new Error(r.message);
    return r.review;
  })();

  it('allow echoes apiVersion, kind and uid and has no status', () => {
    expect(allowResponse(review)).toEqual({
      apiVersion: 'admission.k8s.io/v1beta1',
      kind: 'AdmissionReview',
      response: { uid: 'beta0000-8888-4c3d-9e4f-5a6b7c8d9e08', allowed: true },
    });
  });

  it('deny carries a 403 status with the message', () => {
    expect(denyResponse(review, 'no').response).toEqual({
      uid: 'beta0000-8888-4c3d-9e4f-5a6b7c8d9e08',
      allowed: false,
      status: { code: 403, reason: 'Forbidden', message: 'no' },
    });
  });

  it('keeps every warning under 256 characters, single-line, and bounds their number', () => {
    expect(clampWarning(`a\nb${'x'.repeat(400)}`)).toHaveLength(255);
    expect(clampWarning('a\nb')).toBe('a b');
    const many = Array.from({ length: 30 }, (_, i) => `w${i} ${'y'.repeat(300)}`);
    const w = allowResponse(review, many).response.warnings!;
    expect(w).toHaveLength(MAX_WARNINGS + 1);
    expect(w.every((s) => s.length < 256)).toBe(true);
    expect(w[MAX_WARNINGS]).toBe('notary-pin: 10 more warning(s) not shown');
  });
});
