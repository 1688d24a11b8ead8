// @node-oauth/oauth2-server (opaque tokens), with the in-memory model of its documentation; on Express through its
// official @node-oauth/express-oauth-server.
import { randomBytes } from 'node:crypto';
import express from 'express';
import OAuth2Server from '@node-oauth/oauth2-server';
import ExpressOAuthServer from '@node-oauth/express-oauth-server';
import { CLIENT_ID, CLIENT_SECRET, JSON_NO_STORE, readBody } from '../lib/shared.mjs';

const { Request, Response } = OAuth2Server;

function memoryModel() {
  const clients = new Map([[CLIENT_ID, { id: CLIENT_ID, secret: CLIENT_SECRET, grants: ['client_credentials', 'refresh_token'], redirectUris: [], scopes: ['read', 'write'] }]]);
  const accessTokens = new Map();
  const refreshTokens = new Map();
  return {
    client: clients.get(CLIENT_ID),
    async getClient(clientId, clientSecret) {
      const client = clients.get(clientId);
      if (!client || (clientSecret != null && clientSecret !== client.secret)) return null;
      return client;
    },
    async saveToken(token, client, user) {
      const saved = { ...token, client, user };
      accessTokens.set(token.accessToken, saved);
      if (token.refreshToken) refreshTokens.set(token.refreshToken, saved);
      return saved;
    },
    async getAccessToken(accessToken) {
      return accessTokens.get(accessToken) ?? null;
    },
    async getRefreshToken(refreshToken) {
      return refreshTokens.get(refreshToken) ?? null;
    },
    async revokeToken(token) {
      return refreshTokens.delete(token.refreshToken);
    },
    async getUserFromClient(client) {
      return { id: `client:${client.id}` };
    },
    async validateScope(user, client, scope) {
      if (!scope || scope.length === 0 || !scope.every((s) => client.scopes.includes(s))) return false;
      return scope;
    },
  };
}

export async function create(spec) {
  const model = memoryModel();
  const options = { model, accessTokenLifetime: 3600, refreshTokenLifetime: 30 * 86400 };
  let requestListener;
  if (spec.framework === 'express') {
    const oauth = new ExpressOAuthServer(options);
    const app = express();
    app.disable('x-powered-by');
    app.disable('etag');
    app.use(express.urlencoded({ extended: false }));
    app.post('/token', oauth.token());
    app.get('/resource', oauth.authenticate(), (req, res) => {
      const { token } = res.locals.oauth;
      res.json({ sub: token.user.id, scope: token.scope.join(' ') });
    });
    requestListener = app;
  } else {
    const oauth = new OAuth2Server(options);
    const reply = (res, response) => {
      res.writeHead(response.status, { ...response.headers, 'content-type': 'application/json' });
      res.end(JSON.stringify(response.body));
    };
    const fail = (res, e) => {
      res.writeHead(e.code ?? 500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: e.name, error_description: e.message }));
    };
    requestListener = async (req, res) => {
      const url = new URL(req.url, 'http://127.0.0.1');
      const body = req.method === 'POST' ? Object.fromEntries(new URLSearchParams((await readBody(req)).toString())) : {};
      const request = new Request({ method: req.method, query: Object.fromEntries(url.searchParams), headers: req.headers, body });
      const response = new Response(res);
      try {
        if (req.method === 'POST' && url.pathname === '/token') {
          await oauth.token(request, response);
          return reply(res, response);
        }
        if (req.method === 'GET' && url.pathname === '/resource') {
          const token = await oauth.authenticate(request, response);
          res.writeHead(200, { 'content-type': 'application/json' });
          return void res.end(JSON.stringify({ sub: token.user.id, scope: token.scope.join(' ') }));
        }
        res.writeHead(404, JSON_NO_STORE);
        res.end('{"error":"not_found"}');
      } catch (e) {
        fail(res, e);
      }
    };
  }

  const mint = async () => {
    const now = Date.now();
    const token = {
      accessToken: randomBytes(32).toString('hex'),
      accessTokenExpiresAt: new Date(now + 3600_000),
      refreshToken: randomBytes(32).toString('hex'),
      refreshTokenExpiresAt: new Date(now + 30 * 86400_000),
      scope: ['read', 'write'],
    };
    return model.saveToken(token, model.client, { id: 'user-1' });
  };
  return {
    requestListener,
    format: 'opaque',
    workloads: ['W1', 'W2', 'W3'],
    notes: 'no introspection endpoint',
    async mintRefresh(n) {
      const out = [];
      for (let i = 0; i < n; i++) out.push((await mint()).refreshToken);
      return out;
    },
    mintAccess: async () => (await mint()).accessToken,
  };
}
