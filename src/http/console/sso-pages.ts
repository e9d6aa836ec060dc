// SSO providers: register and edit the Azure AD provider with a form whose fields are, one for one, the seed 001
// body of POST /iam/v1/sso/azuread, or a generic OpenID Connect provider (POST /iam/v1/sso/oidc: an issuer and the
// claims that link people in place of the authority); the redirect URI to register at the IdP, with a copy button.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type FieldProblem } from '../../core/errors.ts';
import type { SsoKind, SsoProviderRecord } from '../../core/records.ts';
import { confirmRedirectUri, setupChecklist } from '../../core/setup/checklist.ts';
import {
  createSsoProvider,
  getSsoProvider,
  listSsoProviders,
  providerWarnings,
  type SsoProviderInput,
  updateSsoProvider,
} from '../../core/sso/providers.ts';
import { signInRedirectUri } from '../../core/sso/redirect-uri.ts';
import { checkedIf, html, type Markup } from './html.ts';
import { copyable, csrfField, fieldError, formSummary, invalidAttrs, sendConsolePage } from './render.ts';
import { type ConsoleDeps, sessionOf } from './session.ts';
import { schemaProblems } from './validate.ts';

type Form = Record<string, string | undefined>;

const FLAGS = [
  ['enabled', 'Enabled', 'The provider can be used at all'],
  ['properties.loginEnabled', 'Login enabled', 'Users may sign in through this provider'],
  ['properties.visible', 'Visible', 'Listed on the sign-in page'],
  ['properties.delegationEnabled', 'Delegation enabled', "Apps may obtain Entra ID's access token for the user"],
  [
    'properties.autoProvisioningEnabled',
    'Auto-provisioning enabled',
    'Create unknown users at their first sign-in. Not needed with SCIM: Entra ID creates them first.',
  ],
  ['properties.usePkce', 'Use PKCE', 'Recommended'],
] as const;

/** The generic OIDC fields in place of the authority; an empty optional field means "the default". */
const OIDC_FIELDS = [
  ['properties.subjectClaim', 'Subject claim', 'The ID token claim matched to SCIM externalId. Empty: sub.'],
  [
    'properties.userNameClaim',
    'User name claim',
    'The claim matched to SCIM userName when no externalId matches. Empty: preferred_username. Never an email claim.',
  ],
  [
    'properties.hostedDomain',
    'Hosted domain (Google)',
    'Google Workspace only: the hd claim must be this domain, or with "verified" one of your verified domains. Empty: no pin (for Google\u2019s issuer: "verified").',
  ],
] as const;

/** Where the provider's tokens come from, as the body of its kind names it. */
function sourceFrom(form: Form, kind: SsoKind): Record<string, string> {
  if (kind === 'azuread') return { authority: form['properties.authority'] ?? '' };
  const optional = OIDC_FIELDS.map(([name]) => [name.slice('properties.'.length), form[name]?.trim() ?? ''] as const);
  return {
    issuer: form['properties.issuer'] ?? '',
    ...Object.fromEntries(optional.filter(([, value]) => value !== '')),
  };
}

/** The seed 001 body, from the form: checkboxes are booleans, an empty client secret means "keep the stored one". */
function inputFrom(form: Form, kind: SsoKind = 'azuread'): SsoProviderInput {
  const on = (name: string) => form[name] === 'on';
  const secret = form['properties.clientSecret'] ?? '';
  return {
    scheme: form.scheme ?? '',
    displayName: form.displayName ?? '',
    enabled: on('enabled'),
    type: (form.type ?? 'oidc') as 'oidc',
    properties: {
      loginEnabled: on('properties.loginEnabled'),
      visible: on('properties.visible'),
      delegationEnabled: on('properties.delegationEnabled'),
      autoProvisioningEnabled: on('properties.autoProvisioningEnabled'),
      clientId: form['properties.clientId'] ?? '',
      ...(secret === '' ? {} : { clientSecret: secret }),
      usePkce: on('properties.usePkce'),
      ...sourceFrom(form, kind),
      responseType: (form['properties.responseType'] ?? 'code') as 'code',
      scope: form['properties.scope'] ?? '',
    },
  };
}

function formOf(record: SsoProviderRecord): Form {
  const p = record.properties;
  const flag = (v: boolean) => (v ? 'on' : undefined);
  return {
    scheme: record.scheme,
    displayName: record.displayName,
    enabled: flag(record.enabled),
    type: record.type,
    'properties.loginEnabled': flag(p.loginEnabled),
    'properties.visible': flag(p.visible),
    'properties.delegationEnabled': flag(p.delegationEnabled),
    'properties.autoProvisioningEnabled': flag(p.autoProvisioningEnabled),
    'properties.clientId': p.clientId,
    'properties.usePkce': flag(p.usePkce),
    ...(record.kind === 'azuread'
      ? { 'properties.authority': p.authority }
      : {
          'properties.issuer': p.authority,
          'properties.subjectClaim': p.subjectClaim,
          'properties.userNameClaim': p.userNameClaim,
          'properties.hostedDomain': p.hostedDomain,
        }),
    'properties.responseType': p.responseType,
    'properties.scope': p.scope,
  };
}

/** Seed 001's values where they are choices; the placeholders ("string", "my-client-id") are left blank. */
const NEW_FORM: Form = {
  enabled: 'on',
  type: 'oidc',
  'properties.loginEnabled': 'on',
  'properties.visible': 'on',
  'properties.usePkce': 'on',
  'properties.responseType': 'code',
  'properties.scope': 'openid profile email',
};

function textField(
  form: Form,
  problems: readonly FieldProblem[],
  name: string,
  label: string,
  hint: string,
  extra: Markup = html``,
): Markup {
  const id = `f-${name.replaceAll('.', '-')}`;
  return html`<div class="field"><label for="${id}">${label} <code>${name}</code></label>
<p class="hint" id="${id}-hint">${hint}</p>
<input id="${id}" name="${name}" type="text" value="${form[name] ?? ''}"${extra}${invalidAttrs(problems, name)}>
${fieldError(problems, name)}</div>`;
}

/** The kind-specific fields: Entra's authority, or a generic issuer and its claims. */
function sourceFields(form: Form, problems: readonly FieldProblem[], kind: SsoKind): Markup {
  if (kind === 'azuread') {
    return textField(
      form,
      problems,
      'properties.authority',
      'Authority',
      'https://login.microsoftonline.com/{Directory (tenant) ID}/v2.0 — your own directory, never /common.',
      html` required`,
    );
  }
  return html`${textField(form, problems, 'properties.issuer', 'Issuer', 'Exactly the issuer of the IdP\u2019s discovery document, e.g. https://your-org.okta.com or https://accounts.google.com.', html` required`)}
${OIDC_FIELDS.map(([name, label, hint]) => textField(form, problems, name, label, hint))}`;
}

function providerForm(
  request: FastifyRequest,
  form: Form,
  problems: readonly FieldProblem[],
  editing: SsoProviderRecord | undefined,
  kind: SsoKind = editing?.kind ?? 'azuread',
): Markup {
  const action = editing
    ? `/console/sso/${encodeURIComponent(editing.scheme)}`
    : kind === 'oidc'
      ? '/console/sso/new-oidc'
      : '/console/sso/new';
  const flags = FLAGS.map(([name, label, hint]) => {
    const id = `f-${name.replaceAll('.', '-')}`;
    return html`<div class="check"><input id="${id}" name="${name}" type="checkbox"${checkedIf(form[name] === 'on')}>
<label for="${id}">${label} <code>${name}</code></label><span class="hint">${hint}</span>${fieldError(problems, name)}</div>`;
  });
  const secretHint = editing
    ? editing.clientSecretSealed === null
      ? 'No client secret is stored. Enter the value of a client secret of the app registration.'
      : 'A client secret is stored and is never shown. Leave this empty to keep it, or enter a new value to replace it.'
    : 'The value (not the id) of a client secret of the app registration (Certificates & secrets). It is stored encrypted and never shown again.';
  return html`${formSummary(problems)}
<form method="post" action="${action}" class="stack" novalidate>${csrfField(request)}
<input type="hidden" name="type" value="oidc">
${
  editing
    ? html`<input type="hidden" name="scheme" value="${editing.scheme}"><p>Scheme <code>scheme</code>: <strong>${editing.scheme}</strong> (cannot change: SCIM tokens name it)</p>`
    : textField(
        form,
        problems,
        'scheme',
        'Scheme',
        'A short name for this provider, e.g. "entra". SCIM tokens name it.',
        html` required`,
      )
}
${textField(form, problems, 'displayName', 'Display name', 'Shown on the sign-in button, e.g. "Contoso Entra ID".', html` required`)}
${textField(form, problems, 'properties.clientId', kind === 'oidc' ? 'Client ID' : 'Application (client) ID', kind === 'oidc' ? 'From the app integration at your IdP (docs/providers.md).' : 'From the app registration\u2019s Overview page in Entra ID.', html` required`)}
<div class="field"><label for="f-properties-clientSecret">Client secret <code>properties.clientSecret</code></label>
<p class="hint">${secretHint}</p>
<input id="f-properties-clientSecret" name="properties.clientSecret" type="password" autocomplete="off"${invalidAttrs(problems, 'properties.clientSecret')}>
${fieldError(problems, 'properties.clientSecret')}</div>
${sourceFields(form, problems, kind)}
${textField(form, problems, 'properties.scope', 'Scope', 'Must include openid.')}
<div class="field"><label for="f-properties-responseType">Response type <code>properties.responseType</code></label>
<select id="f-properties-responseType" name="properties.responseType"><option value="code" selected>code (authorization code flow)</option></select>
${fieldError(problems, 'properties.responseType')}</div>
<fieldset><legend>Options</legend>${flags}</fieldset>
<button type="submit">${editing ? 'Save changes' : 'Register provider'}</button></form>`;
}

export async function ssoPages(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  const actorOf = (request: FastifyRequest) => sessionOf(request).actor;
  const tenantOf = (request: FastifyRequest) => sessionOf(request).tenantId;

  app.get('/sso', async (request, reply) => {
    const providers = await listSsoProviders(deps, tenantOf(request));
    const rows = providers.map(
      (p) => html`<tr><td><a href="/console/sso/${encodeURIComponent(p.scheme)}">${p.displayName}</a></td>
<td><code>${p.scheme}</code></td><td>${p.enabled ? 'Enabled' : html`<strong class="bad">Disabled</strong>`}</td>
<td>${p.kind === 'oidc' ? 'OpenID Connect' : 'Entra ID'}</td><td><code>${p.properties.authority}</code></td></tr>`,
    );
    return sendConsolePage(deps, request, reply, {
      section: 'sso',
      title: 'SSO providers',
      content: html`<p>People sign in through your Microsoft Entra ID, or any OpenID Connect identity provider (Okta, Google Workspace, …). Register it once; Roster then sends every sign-in there.</p>
${
  providers.length === 0
    ? html`<p>No provider is registered yet.</p>`
    : html`<table><caption>Registered providers</caption><thead><tr><th scope="col">Name</th><th scope="col">Scheme</th><th scope="col">State</th><th scope="col">Kind</th><th scope="col">Authority or issuer</th></tr></thead><tbody>${rows}</tbody></table>`
}
<p><a class="button" href="/console/sso/new">Register an Azure AD provider</a>
<a class="button" href="/console/sso/new-oidc">Register an OpenID Connect provider</a></p>`,
    });
  });

  const NEW_PAGES = {
    azuread: {
      title: 'Register an Azure AD provider',
      intro: html`<p>Copy these values from the app registration of your Entra ID (Azure portal → App registrations). Each field is the field of the same name in <code>POST /iam/v1/sso/azuread</code>.</p>`,
    },
    oidc: {
      title: 'Register an OpenID Connect provider',
      intro: html`<p>Copy these values from the app integration at your identity provider (Okta, Google Workspace, …; step by step in docs/providers.md). Each field is the field of the same name in <code>POST /iam/v1/sso/oidc</code>. People are linked by the subject claim or the user name claim, never by email.</p>`,
    },
  } as const;

  const newPage = (
    request: FastifyRequest,
    reply: FastifyReply,
    form: Form,
    problems: readonly FieldProblem[],
    status = 200,
    kind: SsoKind = 'azuread',
  ) =>
    sendConsolePage(deps, request, reply, {
      section: 'sso',
      title: NEW_PAGES[kind].title,
      status,
      content: html`${NEW_PAGES[kind].intro}
${redirectUriBlock(deps, tenantOf(request), kind)}${providerForm(request, form, problems, undefined, kind)}`,
    });

  for (const [path, kind] of [
    ['/sso/new', 'azuread'],
    ['/sso/new-oidc', 'oidc'],
  ] as const) {
    app.get(path, (request, reply) => newPage(request, reply, NEW_FORM, [], 200, kind));
    app.post<{ Body: Form }>(path, async (request, reply) => {
      const form = request.body;
      const input = inputFrom(form, kind);
      const problems = schemaProblems(kind === 'oidc' ? 'oidcProvider' : 'ssoProvider', input);
      if (problems.length > 0) return newPage(request, reply, form, problems, 400, kind);
      try {
        const created = await createSsoProvider(deps, actorOf(request), tenantOf(request), { ...input, kind });
        return reply.redirect(`/console/sso/${encodeURIComponent(created.record.scheme)}?saved=created`, 303);
      } catch (error) {
        if (!(error instanceof DomainError) || error.fields.length === 0) throw error;
        return newPage(request, reply, form, error.fields, 400, kind);
      }
    });
  }

  const editPage = async (
    request: FastifyRequest<{ Params: { scheme: string } }>,
    reply: FastifyReply,
    form: Form | undefined,
    problems: readonly FieldProblem[],
    status = 200,
  ) => {
    const record = await getSsoProvider(deps, tenantOf(request), request.params.scheme);
    const saved = (request.query as { saved?: string }).saved;
    const warnings = providerWarnings(deps, record);
    const idp = record.kind === 'oidc' ? 'your identity provider' : 'Entra ID';
    const confirmed = (await setupChecklist(deps, record.tenantId)).steps.find(
      (step) => step.id === 'redirect_uri_registered',
    )?.done;
    return sendConsolePage(deps, request, reply, {
      section: 'sso',
      title: record.displayName,
      status,
      content: html`${saved ? html`<p class="ok" role="status">${saved === 'created' ? 'Provider registered.' : saved === 'confirmed' ? 'Redirect URI confirmed.' : 'Changes saved.'}</p>` : ''}
${warnings.map((w) => html`<p class="warning">${w}</p>`)}
${redirectUriBlock(deps, record.tenantId, record.kind)}
${
  confirmed
    ? html`<p class="ok">You confirmed the redirect URI is registered in ${idp}.</p>`
    : html`<form method="post" action="/console/sso/${encodeURIComponent(record.scheme)}/redirect-uri-confirmed">${csrfField(request)}
<button type="submit">I have registered this redirect URI in ${idp}</button></form>`
}
<h2>Test sign-in</h2><p>Run a real sign-in through this provider in a new tab and see what ${idp} sends and which user it resolves to. Nobody is signed in to an application.</p>
<form method="post" action="/console/sso/${encodeURIComponent(record.scheme)}/test-signin">${csrfField(request)}<button type="submit">Test sign-in</button></form>
<h2>Settings</h2>${providerForm(request, form ?? formOf(record), problems, record)}`,
    });
  };

  app.get<{ Params: { scheme: string } }>('/sso/:scheme', (request, reply) => editPage(request, reply, undefined, []));
  app.post<{ Params: { scheme: string } }>('/sso/:scheme/redirect-uri-confirmed', async (request, reply) => {
    const record = await getSsoProvider(deps, tenantOf(request), request.params.scheme);
    await confirmRedirectUri(deps, actorOf(request), record.tenantId);
    return reply.redirect(`/console/sso/${encodeURIComponent(record.scheme)}?saved=confirmed`, 303);
  });
  app.post<{ Params: { scheme: string }; Body: Form }>('/sso/:scheme', async (request, reply) => {
    const form = { ...request.body, scheme: request.params.scheme };
    const { kind } = await getSsoProvider(deps, tenantOf(request), request.params.scheme);
    const input = inputFrom(form, kind);
    const problems = schemaProblems(kind === 'oidc' ? 'oidcProvider' : 'ssoProvider', input);
    if (problems.length > 0) return editPage(request, reply, form, problems, 400);
    try {
      await updateSsoProvider(deps, actorOf(request), tenantOf(request), request.params.scheme, () => input);
      return reply.redirect(`/console/sso/${encodeURIComponent(request.params.scheme)}?saved=updated`, 303);
    } catch (error) {
      if (!(error instanceof DomainError) || error.fields.length === 0) throw error;
      return editPage(request, reply, form, error.fields, 400);
    }
  });
}

function redirectUriBlock(deps: ConsoleDeps, tenantId: string, kind: SsoKind = 'azuread'): Markup {
  const where =
    kind === 'oidc'
      ? html`<p>Register this as the sign-in redirect URI of the app at your identity provider (Okta: Sign-in redirect URIs; Google: Authorized redirect URIs; see docs/providers.md).</p>`
      : html`<p>Register this in Entra ID: App registrations → your app → Authentication → Add a platform → Web → Redirect URIs.</p>`;
  return html`<section aria-labelledby="redirect-heading" class="panel"><h2 id="redirect-heading">Redirect URI</h2>
${where}
${copyable('redirect-uri', 'Redirect URI', signInRedirectUri(deps.publicUrl, tenantId))}</section>`;
}
