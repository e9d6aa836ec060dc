// Libraries only some deployments use (passkeys, SAML, SMTP, passwords, TOTP, tracing) are imported at first use,
// not at start: a server that never uses them does not hold their code in memory (ADR 0056).

/** `load` runs once, at the first call; every call gets the same module. */
export function lazyModule<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    loaded ??= load();
    return loaded;
  };
}
