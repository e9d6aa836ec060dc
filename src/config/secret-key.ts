// Where the secret keyring comes from: ROSTER_SECRET_KEY, or (embedded mode only) a key file beside the database.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateKeyText, type Keyring, parseKeyring } from '../lib/keyring.ts';
import { type Config, ConfigError } from './config.ts';

export interface KeyringSource {
  readonly keyring: Keyring;
  /** Set when the key was generated now, so the caller can say so in the log. */
  readonly generatedAt?: string;
  readonly loadedFrom?: string;
}

export function resolveKeyring(config: Config): KeyringSource {
  const source = resolve(config);
  for (const id of config.secretKeysRetiring) {
    if (!source.keyring.keys.has(id) || id === source.keyring.active.id) {
      throw new ConfigError(
        `ROSTER_SECRET_KEY_RETIRING: "${id}" must be one of the configured keys other than the active (first) one`,
      );
    }
  }
  return source;
}

function resolve(config: Config): KeyringSource {
  if (config.secretKey) {
    try {
      return { keyring: parseKeyring(config.secretKey) };
    } catch (error) {
      throw new ConfigError(`ROSTER_SECRET_KEY: ${(error as Error).message}`);
    }
  }
  if (config.database.kind !== 'sqlite') throw new ConfigError('ROSTER_SECRET_KEY is required with PostgreSQL');
  const file = join(dirname(config.database.path), 'secret.key');
  if (existsSync(file)) {
    if ((statSync(file).mode & 0o077) !== 0) {
      throw new ConfigError(`${file} is readable by other users; run: chmod 600 ${file}`);
    }
    return { keyring: parseKeyring(readFileSync(file, 'utf8').trim()), loadedFrom: file };
  }
  // Only a first start makes a key: a database without its key would start with a new one and silently fail
  // every token and stored secret instead of refusing.
  if (existsSync(config.database.path)) {
    throw new ConfigError(
      `${file} is missing but the database ${config.database.path} exists; restore the key from your backup (or set ROSTER_SECRET_KEY)`,
    );
  }
  mkdirSync(dirname(file), { recursive: true });
  const text = generateKeyText();
  writeFileSync(file, `${text}\n`, { mode: 0o600, flag: 'wx' });
  return { keyring: parseKeyring(text), generatedAt: file };
}
