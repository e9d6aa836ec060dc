// Users and groups: search, detail pages (attributes, groups, sign-in identities, recent provisioning entries),
// deactivation shown plainly. Reads through the directory API's use cases.
import type { FastifyInstance } from 'fastify';
import { signInIdentitiesOf } from '../../core/console/identities.ts';
import {
  getDirectoryGroup,
  getDirectoryUser,
  listDirectoryGroups,
  listDirectoryMembers,
  listDirectoryUsers,
} from '../../core/directory/directory.ts';
import { DomainError } from '../../core/errors.ts';
import { listScimLog } from '../../core/scim/log.ts';
import { isUuid } from '../../lib/ids.ts';
import { html, type Markup, selectedIf, when } from './html.ts';
import { failureDetail } from './log-pages.ts';
import { sendConsolePage } from './render.ts';
import { type ConsoleDeps, sessionOf } from './session.ts';

type Json = Record<string, unknown>;
const s = (v: unknown) => (typeof v === 'string' ? v : '');
const PAGE = 50;

function status(active: boolean): Markup {
  return active ? html`<span class="good">Active</span>` : html`<strong class="bad">Deactivated</strong>`;
}

/** The directory speaks in ids; a malformed one is simply "not found", like any unknown id. */
function checkId(id: string, what: 'user' | 'group'): void {
  if (!isUuid(id) && !/^[A-Za-z0-9._-]{1,128}$/.test(id)) {
    throw new DomainError('directory.not_found', `no such ${what} in this tenant`);
  }
}

export async function directoryPages(app: FastifyInstance, deps: ConsoleDeps): Promise<void> {
  app.get<{ Querystring: { q?: string; by?: string; active?: string; cursor?: string } }>(
    '/users',
    async (request, reply) => {
      const { tenantId } = sessionOf(request);
      const q = (request.query.q ?? '').trim().slice(0, 256);
      const by = request.query.by === 'email' || request.query.by === 'externalId' ? request.query.by : 'userName';
      const active = request.query.active === 'false' ? false : request.query.active === 'true' ? true : undefined;
      const page = await listDirectoryUsers(deps, tenantId, {
        filter: { ...(q ? { [by]: q } : {}), active },
        cursor: request.query.cursor?.slice(0, 512),
        limit: PAGE,
      });
      const rows = (page.data as Json[]).map(
        (
          u,
        ) => html`<tr${u.active === false ? html` class="inactive"` : ''}><td><a href="/console/users/${encodeURIComponent(s(u.id))}">${s(u.userName)}</a></td>
<td>${s(u.displayName)}</td><td>${s(u.email)}</td><td>${status(u.active !== false)}</td></tr>`,
      );
      const next = page.nextCursor
        ? html`<p><a href="/console/users?${new URLSearchParams({ q, by, ...(active === undefined ? {} : { active: String(active) }), cursor: page.nextCursor }).toString()}">Next page</a></p>`
        : '';
      return sendConsolePage(deps, request, reply, {
        section: 'users',
        title: 'Users',
        content: html`<form method="get" action="/console/users" class="filters" role="search" aria-label="Search users">
<div class="field"><label for="f-q">Search</label><input id="f-q" name="q" type="search" value="${q}"></div>
<div class="field"><label for="f-by">By</label><select id="f-by" name="by"><option value="userName"${selectedIf(by === 'userName')}>userName (exact)</option>
<option value="email"${selectedIf(by === 'email')}>email (exact)</option><option value="externalId"${selectedIf(by === 'externalId')}>externalId</option></select></div>
<div class="field"><label for="f-active">Status</label><select id="f-active" name="active"><option value="">All</option>
<option value="true"${selectedIf(request.query.active === 'true')}>Active</option><option value="false"${selectedIf(request.query.active === 'false')}>Deactivated</option></select></div>
<button type="submit">Search</button></form>
${
  rows.length === 0
    ? html`<p>No users${q ? ' match' : ' yet: they appear when Entra ID provisions them'}.</p>`
    : html`<table><caption>Users</caption><thead><tr><th scope="col">userName</th><th scope="col">Display name</th><th scope="col">Email</th><th scope="col">Status</th></tr></thead><tbody>${rows}</tbody></table>`
}${next}`,
      });
    },
  );

  app.get<{ Params: { id: string } }>('/users/:id', async (request, reply) => {
    const { tenantId } = sessionOf(request);
    checkId(request.params.id, 'user');
    const user = await getDirectoryUser(deps, tenantId, request.params.id);
    const [identities, log] = await Promise.all([
      signInIdentitiesOf(deps, tenantId, request.params.id),
      listScimLog(deps, tenantId, { resourceId: request.params.id, limit: 20 }),
    ]);
    const groups = (user.groups as Json[]).map(
      (g) => html`<li><a href="/console/groups/${encodeURIComponent(s(g.id))}">${s(g.displayName)}</a></li>`,
    );
    const emails = (user.emails as Json[]).map((e) => html`<li>${s(e.value)}${e.primary ? ' (primary)' : ''}</li>`);
    const active = user.active !== false;
    return sendConsolePage(deps, request, reply, {
      section: 'users',
      title: s(user.displayName) || s(user.userName),
      content: html`${active ? '' : html`<p class="warning" role="status"><strong>This user is deactivated.</strong> Entra ID set active to false: they cannot sign in, and apps are told through events.</p>`}
<h2>Attributes</h2><dl class="attrs"><dt>Status</dt><dd>${status(active)}</dd><dt>userName</dt><dd>${s(user.userName)}</dd>
<dt>Display name</dt><dd>${s(user.displayName)}</dd><dt>Given name</dt><dd>${s(user.givenName)}</dd><dt>Family name</dt><dd>${s(user.familyName)}</dd>
<dt>externalId</dt><dd>${s(user.externalId) || '—'}</dd><dt>Emails</dt><dd>${emails.length ? html`<ul>${emails}</ul>` : '—'}</dd>
<dt>Id</dt><dd><code>${s(user.id)}</code></dd><dt>Created</dt><dd>${when(s(user.createdAt))}</dd><dt>Updated</dt><dd>${when(s(user.updatedAt))}</dd></dl>
<h2>Groups</h2>${groups.length ? html`<ul>${groups}</ul>` : html`<p>Member of no group.</p>`}
<h2>Sign-in identities</h2>${
        identities.length
          ? html`<ul>${identities.map((i) => html`<li>${i.providerName} (<code>${i.scheme}</code>): directory <code>${i.directory || '—'}</code>, object id <code>${i.subject}</code></li>`)}</ul>`
          : html`<p>Not signed in yet: the first sign-in binds the Entra ID account to this user.</p>`
      }
<h2>Recent provisioning</h2>${
        log.items.length
          ? html`<table><caption>Provisioning entries for this user</caption><thead><tr><th scope="col">Time</th><th scope="col">Operation</th><th scope="col">Status</th><th scope="col">What went wrong</th></tr></thead><tbody>${log.items.map(
              (e) =>
                html`<tr${e.status >= 400 ? html` class="failure"` : ''}><td>${when(e.at)}</td><td>${e.operation}</td><td>${e.status}</td><td>${e.status >= 400 ? failureDetail(e) : ''}</td></tr>`,
            )}</tbody></table>`
          : html`<p>No entries.</p>`
      }`,
    });
  });

  app.get<{ Querystring: { q?: string; cursor?: string } }>('/groups', async (request, reply) => {
    const { tenantId } = sessionOf(request);
    const q = (request.query.q ?? '').trim().slice(0, 256);
    const page = await listDirectoryGroups(deps, tenantId, {
      displayName: q || undefined,
      cursor: request.query.cursor?.slice(0, 512),
      limit: PAGE,
    });
    const rows = (page.data as Json[]).map(
      (g) =>
        html`<tr><td><a href="/console/groups/${encodeURIComponent(s(g.id))}">${s(g.displayName)}</a></td><td>${String(g.memberCount)}</td></tr>`,
    );
    return sendConsolePage(deps, request, reply, {
      section: 'groups',
      title: 'Groups',
      content: html`<form method="get" action="/console/groups" class="filters" role="search" aria-label="Search groups">
<div class="field"><label for="f-q">Display name (exact)</label><input id="f-q" name="q" type="search" value="${q}"></div>
<button type="submit">Search</button></form>
${rows.length === 0 ? html`<p>No groups.</p>` : html`<table><caption>Groups</caption><thead><tr><th scope="col">Display name</th><th scope="col">Members</th></tr></thead><tbody>${rows}</tbody></table>`}
${page.nextCursor ? html`<p><a href="/console/groups?${new URLSearchParams({ q, cursor: page.nextCursor }).toString()}">Next page</a></p>` : ''}`,
    });
  });

  app.get<{ Params: { id: string } }>('/groups/:id', async (request, reply) => {
    const { tenantId } = sessionOf(request);
    checkId(request.params.id, 'group');
    const group = await getDirectoryGroup(deps, tenantId, request.params.id);
    const members = await listDirectoryMembers(deps, tenantId, request.params.id, { cursor: undefined, limit: 200 });
    const items = members.data.map((m) => {
      const kind = m.type === 'group' ? 'groups' : 'users';
      return html`<li>${m.type === 'group' ? 'Group ' : ''}<a href="/console/${kind}/${encodeURIComponent(m.id)}">${m.displayName ?? m.id}</a></li>`;
    });
    return sendConsolePage(deps, request, reply, {
      section: 'groups',
      title: s(group.displayName),
      content: html`<dl class="attrs"><dt>Id</dt><dd><code>${s(group.id)}</code></dd><dt>externalId</dt><dd>${s(group.externalId) || '—'}</dd>
<dt>Members</dt><dd>${String(group.memberCount)}</dd><dt>Updated</dt><dd>${when(s(group.updatedAt))}</dd></dl>
<h2>Members</h2>${items.length ? html`<ul>${items}</ul>` : html`<p>No members.</p>`}${members.nextCursor ? html`<p>First 200 members shown.</p>` : ''}`,
    });
  });
}
