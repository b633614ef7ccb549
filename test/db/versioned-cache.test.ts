import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { people } from '../../src/db/schema.js';
import { VersionedCache } from '../../src/db/versioned-cache.js';
import { tmpDbFile } from '../helpers/harness.js';

describe('what is kept while the roster holds still', () => {
  it('keeps the most recently read entries up to its size, and starts over when the roster changes', () => {
    const db = openDatabase(tmpDbFile());
    const reads: string[] = [];
    const kept = new VersionedCache<string, string>(db, 'people', 2);
    const get = (key: string) =>
      kept.get(key, () => {
        reads.push(key);
        return `${key}'s choices`;
      });

    expect(get('a')).toBe("a's choices");
    get('b');
    get('c');
    // Full at two: the one read first went, the two read last are still kept.
    expect(get('c')).toBe("c's choices");
    get('b');
    expect(reads).toEqual(['a', 'b', 'c']);
    get('a');
    expect(reads).toEqual(['a', 'b', 'c', 'a']);

    // A teacher added to the roster: everything kept is read again.
    db.insert(people).values({ name: '王老师' }).run();
    get('a');
    expect(reads).toEqual(['a', 'b', 'c', 'a', 'a']);
    db.$client.close();
  });
});
