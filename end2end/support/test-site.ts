// A small website for crawl tests, served by Node on 127.0.0.1 (random port): pages with
// unmistakable facts, nav/footer boilerplate, robots.txt disallowing /private/, a sitemap, a
// redirect and a broken page. Every request path is logged so tests can check what was fetched.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestSite {
  origin: string;
  /** Paths requested so far, in order. */
  requests: string[];
  close(): Promise<void>;
}

const page = (title: string, body: string) => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${title} · Acme Cloud</title></head>
<body>
  <header><nav class="menu"><a href="/">Home</a> <a href="/pricing">Pricing</a> <a href="/support">Support</a>
    <a href="/security">Security</a></nav></header>
  <main>${body}</main>
  <footer class="footer">© Acme Cloud · <a href="/">Home</a> · All rights reserved · Cookie settings</footer>
</body></html>`;

const pages: Record<string, string> = {
  '/': page('Home', `<h1>Acme Cloud</h1>
    <p>Acme Cloud hosts your team's documents. Read about our <a href="/pricing">pricing</a>,
    <a href="/support">support hours</a> and <a href="/security">security</a>.</p>
    <p>Older links: <a href="/old-pricing">old pricing page</a>, <a href="/broken">status report</a>,
    <a href="/private/secret">internal notes</a>.</p>`),
  '/pricing': page('Pricing', `<h1>Pricing</h1>
    <h2>Team plan</h2>
    <p>The Team plan costs 42 euros per seat per month, billed yearly.</p>
    <h2>Free plan</h2>
    <p>The Free plan is limited to three users and one gigabyte of storage.</p>`),
  '/support': page('Support', `<h1>Support</h1>
    <p>Support is available from 7:00 to 19:00 Lisbon time, Monday to Friday.</p>`),
  '/security': page('Security', `<h1>Security</h1>
    <p>Backups are encrypted with AES-256 and kept for 35 days.</p>`),
  '/private/secret': page('Secret', `<h1>Internal</h1><p>The launch code is 0000.</p>`),
};

/** Starts the site; each HTML page answers after `delayMs` so a crawl takes visible time. */
export async function startTestSite(delayMs = 300): Promise<TestSite> {
  const requests: string[] = [];
  let origin = '';
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push(path);
    const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, ...headers });
      res.end(body);
    };
    if (path === '/robots.txt') {
      return send(200, 'text/plain', `User-agent: *\nDisallow: /private/\n\nSitemap: ${origin}/sitemap.xml\n`);
    }
    if (path === '/sitemap.xml') {
      const urls = ['/', '/pricing', '/support', '/security'].map((p) => `<url><loc>${origin}${p}</loc></url>`);
      return send(200, 'application/xml',
        `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${urls.join('')}</urlset>`);
    }
    if (path === '/old-pricing') return send(301, 'text/plain', 'moved', { location: '/pricing' });
    setTimeout(() => {
      if (path === '/broken') return send(500, 'text/html', '<h1>Internal Server Error</h1>');
      const html = pages[path];
      if (html) return send(200, 'text/html; charset=utf-8', html);
      send(404, 'text/html', '<h1>Not found</h1>');
    }, delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
