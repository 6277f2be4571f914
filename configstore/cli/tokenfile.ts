// The admin token file, read again when it changes: a Kubernetes Secret volume rotates a key by
// swapping its `..data` link, so the path names a new file. Checked at most once a second
// (one stat); a file that turns unreadable or malformed keeps the last good token and says so:
// a rotation gone wrong never opens the admin routes.
import { readFileSync, statSync } from 'node:fs';

const stampOf = (path: string) => {
  const st = statSync(path);
  return `${st.dev}:${st.ino}:${st.mtimeMs}:${st.size}`;
};

export function watchedTokenFile(path: string, initial: string, log: { info(msg: string): void; warn(msg: string): void }, everyMs = 1000): () => string {
  let token = initial;
  let stamp = stampOf(path);
  let checkedAt = Date.now();
  return () => {
    const now = Date.now();
    if (now - checkedAt < everyMs) return token;
    checkedAt = now;
    try {
      const next = stampOf(path);
      if (next === stamp) return token;
      const read = readFileSync(path, 'utf8').trim();
      if (read === '' || /\s/.test(read)) {
        log.warn(`the admin token file ${path} changed but holds no single word: the previous token stays in force`);
        return token;
      }
      stamp = next;
      if (read !== token) log.info(`the admin token file ${path} changed: the new token is in force`);
      token = read;
    } catch (err) {
      log.warn(
        `the admin token file ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): the previous token stays in force`,
      );
    }
    return token;
  };
}
