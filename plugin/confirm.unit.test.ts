import { describe, expect, it } from 'vitest';
import { recordingIo } from '../testsupport/plugin.js';
import { confirm, confirmation, isYes } from './confirm.js';

describe('confirmation', () => {
  it('--yes goes ahead; a terminal is asked; without one it is refused', () => {
    expect(confirmation({ yes: true, stdinIsTTY: false })).toBe('proceed');
    expect(confirmation({ yes: false, stdinIsTTY: true })).toBe('ask');
    expect(confirmation({ yes: false, stdinIsTTY: false })).toBe('refuse');
    expect(['y', 'Yes', ' YES '].every(isYes)).toBe(true);
    expect(['', 'n', 'no', 'yep', undefined].some(isYes)).toBe(false);
  });

  it('asks on stderr; anything but yes changes nothing (exit 1); no terminal is exit 2', async () => {
    const asked = recordingIo({ answer: 'y' });
    await confirm(asked, 'Go?', { yes: false, what: 'this' });
    expect(asked.stderr()).toBe('Go? [y/N] ');
    await expect(confirm(recordingIo({ answer: '' }), 'Go?', { yes: false, what: 'this' })).rejects.toMatchObject({
      exitCode: 1,
      message: 'not confirmed: nothing changed',
    });
    await expect(confirm(recordingIo(), 'Go?', { yes: false, what: 'this' })).rejects.toMatchObject({
      exitCode: 2,
      message: 'this needs confirmation and stdin is not a terminal: pass --yes to go ahead without asking',
    });
  });
});
