import { describe, expect, it } from 'vitest';
import { AbortedError, InfraError } from '../../common/errors.js';
import { ExecError } from '../../common/exec.js';
import { toolErrorText, toolFailure } from './tool-error.js';

const result = (stderr: string, stdout = '') => ({ argv: [], exitCode: 1, stdout, stderr, durationMs: 1 });

describe('toolErrorText', () => {
  it("takes kind's ERROR line and the command output after it", () => {
    const text = toolErrorText(
      'kind',
      result(
        'Creating cluster "x" ...\n ✓ Ensuring node image\nERROR: failed to create cluster: boom\nCommand Output: no space left on device\n',
      ),
    );
    expect(text).toBe('ERROR: failed to create cluster: boom\nCommand Output: no space left on device');
  });

  it("takes k3d's ERRO and FATA lines only", () => {
    const text = toolErrorText('k3d', result('ERRO[0001] a\nINFO[0001] b\nFATA[0002] c', 'INFO[0000] d'));
    expect(text).toBe('ERRO[0001] a\nFATA[0002] c');
  });

  it('hides secrets and says nothing when the tool said nothing', () => {
    expect(toolErrorText('kind', result('ERROR: pull https://u:hunter2@registry.local/x'))).not.toContain(
      'hunter2',
    );
    expect(toolErrorText('kind', result('plain failure'))).toBeUndefined();
    expect(toolErrorText('k3d', undefined)).toBeUndefined();
  });
});

describe('toolFailure', () => {
  it('keeps an interruption an interruption', () => {
    const aborted = new AbortedError();
    expect(toolFailure('kind', 'kind create cluster x', aborted)).toBe(aborted);
  });

  it('falls back to the command error when the tool said nothing', () => {
    const err = toolFailure(
      'kind',
      'kind delete cluster x',
      new ExecError('command timed out after 5 ms: kind'),
    );
    expect(err).toBeInstanceOf(InfraError);
    expect(err.message).toBe('kind delete cluster x failed: command timed out after 5 ms: kind');
  });
});
