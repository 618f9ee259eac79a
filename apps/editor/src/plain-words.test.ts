import { describe, expect, it } from 'vitest';
import { describeProblem, plainMessage } from './plain-words.js';

describe('plain words', () => {
  it('says what the validator means about the field', () => {
    expect(plainMessage('Too small: expected number to be >=1')).toBe('must be at least 1');
    expect(plainMessage('Too big: expected number to be <=5')).toBe('must be at most 5');
    expect(plainMessage('Invalid input: expected array, received object')).toBe('must be a list');
    expect(plainMessage('Invalid input: expected string, received undefined')).toBe('is required');
    expect(plainMessage('Invalid input: expected int, received number')).toBe('must be a whole number');
    expect(plainMessage('Too small: expected string to have >=1 characters')).toBe('must not be empty');
    expect(plainMessage('Invalid option: expected one of "get"|"post"')).toBe('must be one of get, post');
    expect(plainMessage('required: a JavaScript expression')).toBe('is required (a JavaScript expression)');
    expect(plainMessage('unknown field: colour')).toBe('is not a setting of this node: colour');
    // Messages already in words (the runtime's own) are left alone.
    expect(plainMessage('code: syntax error at line 2, column 8: Unexpected token')).toBe(
      'code: syntax error at line 2, column 8: Unexpected token',
    );
  });

  it('names the node by its label and the field by its form label, never by pointer', () => {
    const schema = {
      type: 'object',
      properties: {
        value: { type: 'string', ui: { label: 'Value expression' } },
        mappings: {
          type: 'array',
          items: { type: 'object', properties: { column: { type: 'string', ui: { label: 'Column' } } } },
        },
      },
    };
    const lookup = (id: string) => (id === 'map-1' ? { label: 'To reading', schema } : undefined);
    expect(
      describeProblem(
        {
          code: 'E_CONFIG_INVALID',
          path: '/nodes/1/config/value',
          message: 'Invalid input: expected string, received undefined',
          nodeId: 'map-1',
        },
        lookup,
      ),
    ).toEqual({ node: 'To reading', nodeId: 'map-1', field: 'Value expression', text: 'is required' });
    expect(
      describeProblem(
        {
          code: 'E_CONFIG_INVALID',
          path: '/nodes/1/config/mappings/1/column',
          message: 'Too small: expected string to have >=1 characters',
          nodeId: 'map-1',
        },
        lookup,
      ).field,
    ).toBe('mappings › #2 › Column');
  });
});
