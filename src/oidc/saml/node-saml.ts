// @node-saml/node-saml (with xml-crypto) is loaded at the first SAML request, not at start: a deployment without
// SAML providers does not hold it in memory (ADR 0056).
import { lazyModule } from '../../lib/lazy-module.ts';

export const nodeSaml = lazyModule(() => import('@node-saml/node-saml'));
