// browser.mjs: plays one page in headless Debian Chromium through
// playwright-core and prints one JSON line with the outcome on stdout.
// Embedded into the Go test harness (browser.go), which runs it as
// `node browser.mjs` with the options JSON on stdin (not in the command
// line, which every local user can read): {module, executable, url, user,
// pass, want, timeoutMs, screenshot, args, publish, holdMs}. Every failure ends in a result line (played: false and
// an error), never in a hang: the wait is bounded by timeoutMs from the
// navigation on, Chromium's start, the screenshot and the close by their own
// limits, and a SIGTERM closes the browser and prints what was seen.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const started = Date.now();
const opts = JSON.parse(readFileSync(0, 'utf8'));
const require = createRequire(import.meta.url);
const { chromium } = require(path.join(opts.module, 'playwright-core'));

const MAX_CONSOLE = 300;
const result = { played: false, currentTime: 0, firstFrameMs: -1, status: 0, console: [], error: '' };
const log = (line) => {
	if (result.console.length < MAX_CONSOLE) result.console.push(line);
	else if (result.console.length === MAX_CONSOLE) result.console.push('… (more lines dropped)');
};
const fail = (msg) => { if (!result.error) result.error = msg; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// withDeadline rejects when p has not settled within ms (a page whose main
// thread is stuck never answers an evaluate).
function withDeadline(p, ms, what) {
	let timer;
	const t = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); });
	return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

let printed = false;
function print() {
	if (printed) return;
	printed = true;
	result.elapsedMs = Date.now() - started;
	process.stdout.write(JSON.stringify(result) + '\n');
}

// Runs in the page before its own scripts: records, relative to the
// navigation start (performance.now()), when a <video> first presents a
// frame (requestVideoFrameCallback) or first has currentTime > 0.
function pageProbe() {
	const probe = { firstFrame: -1, playing: -1, events: [], hls: [] };
	Object.defineProperty(window, '__streamgateProbe', { value: probe });
	// hls.js's errors, fatal or not (a load timeout it retries, the abort of
	// a fragment that fell out of the live window…), as the page's hls.js
	// instances report them: the Hls class the page's script defines is
	// wrapped as it is assigned.
	let hlsClass;
	Object.defineProperty(window, 'Hls', {
		configurable: true,
		get() { return hlsClass; },
		set(real) {
			if (typeof real !== 'function' || !real.Events) { hlsClass = real; return; }
			hlsClass = class extends real {
				constructor(...args) {
					super(...args);
					this.on(real.Events.ERROR, (_, d) => {
						if (probe.hls.length >= 50) return;
						const code = d.response && d.response.code ? ` HTTP ${d.response.code}` : '';
						const url = d.frag ? ` ${d.frag.url}` : d.url ? ` ${d.url}` : d.context && d.context.url ? ` ${d.context.url}` : '';
						probe.hls.push(`${Math.round(performance.now())}ms ${d.type}/${d.details}${d.fatal ? ' (fatal)' : ''}${code}${url}`);
					});
				}
			};
		},
	});
	const seen = new WeakSet();
	const mark = () => { if (probe.firstFrame < 0) probe.firstFrame = performance.now(); };
	const watch = (v) => {
		if (seen.has(v)) return;
		seen.add(v);
		if (typeof v.requestVideoFrameCallback === 'function') {
			v.requestVideoFrameCallback(() => mark());
		}
	};
	for (const type of ['loadstart', 'loadedmetadata', 'playing', 'timeupdate', 'error', 'stalled', 'waiting']) {
		document.addEventListener(type, (e) => {
			const v = e.target;
			if (!(v instanceof HTMLVideoElement)) return;
			watch(v);
			if (type === 'playing' && probe.playing < 0) probe.playing = performance.now();
			if (type === 'timeupdate' && v.currentTime > 0) mark();
			if (type !== 'timeupdate' && probe.events.length < 50) {
				probe.events.push(`${Math.round(performance.now())}ms ${type}`);
			}
		}, true);
	}
}

// Reads a publish page's state (document.body.dataset.state).
function publishState() {
	return { found: true, state: document.body ? document.body.dataset.state || '' : '', message: (document.getElementById('message') || {}).textContent || '' };
}

// pageState evaluates fn in page before deadline; it returns null, after a
// short pause, when a navigation in progress destroyed the context (try
// again).
async function pageState(page, fn, deadline) {
	try {
		return await withDeadline(page.evaluate(fn), Math.max(1000, deadline - Date.now()), 'page.evaluate');
	} catch (e) {
		if (!/context was destroyed|navigat/i.test(e.message)) throw e;
		await sleep(100);
		return null;
	}
}

// publishLoop waits for the page to publish, then holds it open.
async function publishLoop(page, deadline) {
	let last = null;
	while (!result.error && Date.now() < deadline) {
		const state = await pageState(page, publishState, deadline);
		if (!state) continue;
		last = state;
		if (last.state === 'publishing') {
			result.played = true;
			result.firstFrameMs = Date.now() - started;
			break;
		}
		if (last.state === 'refused') {
			fail(`publish refused: ${last.message}`);
			return;
		}
		await sleep(100);
	}
	if (!result.played) {
		if (!result.error) fail(`not publishing within ${opts.timeoutMs} ms (state ${last ? last.state : 'never seen'}: ${last ? last.message : ''})`);
		return;
	}
	const until = Date.now() + (opts.holdMs || 10000);
	while (Date.now() < until) {
		await sleep(Math.min(500, Math.max(0, until - Date.now())));
	}
}

// Reads the first <video>'s state in the page.
function videoState() {
	const v = document.querySelector('video');
	const p = window.__streamgateProbe || { firstFrame: -1, playing: -1, events: [], hls: [] };
	if (!v) return { found: false, firstFrame: p.firstFrame, document: document.readyState };
	if (typeof v.requestVideoFrameCallback === 'function' && p.firstFrame < 0 && !v.__streamgateRVFC) {
		v.__streamgateRVFC = true;
		v.requestVideoFrameCallback(() => { if (p.firstFrame < 0) p.firstFrame = performance.now(); });
	}
	if (v.currentTime > 0 && p.firstFrame < 0) p.firstFrame = performance.now();
	return {
		found: true,
		currentTime: v.currentTime,
		paused: v.paused,
		readyState: v.readyState,
		networkState: v.networkState,
		error: v.error ? `MediaError code ${v.error.code}: ${v.error.message}` : '',
		width: v.videoWidth,
		height: v.videoHeight,
		firstFrame: p.firstFrame,
		events: p.events.join(', '),
		hls: p.hls.slice(),
	};
}

let browser;
process.on('SIGTERM', () => {
	fail('killed (SIGTERM)');
	// Playwright's own handler closes the browser; the polling loop then
	// fails and the result is printed in finally.
	setTimeout(() => { print(); process.exit(1); }, 3000).unref();
});

async function main() {
	try {
		browser = await chromium.launch({
			executablePath: opts.executable,
			headless: true,
			args: opts.args,
			timeout: 30000,
		});
	} catch (e) {
		result.launchError = e.message;
		throw e;
	}
	result.launchMs = Date.now() - started;
	const context = await browser.newContext({
		httpCredentials: opts.user || opts.pass ? { username: opts.user, password: opts.pass } : undefined,
		viewport: { width: 640, height: 480 },
	});
	const page = await context.newPage();
	page.on('console', (m) => log(`console.${m.type()}: ${m.text()}`));
	page.on('pageerror', (e) => log(`pageerror: ${e.message}`));
	page.on('requestfailed', (r) => log(`requestfailed: ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
	// The main frame's last document response: when Chromium turns a 4xx
	// into an error page (an empty body, a cancelled auth challenge),
	// page.goto throws and this is the only status there is.
	let navStatus = 0;
	page.on('response', (r) => {
		if (r.request().isNavigationRequest() && r.frame() === page.mainFrame()) navStatus = r.status();
		if (r.status() >= 400) log(`response: ${r.status()} ${r.request().method()} ${r.url()}`);
	});
	page.on('crash', () => fail('page crashed'));
	// Every request's timeline from the navigation on (start, first byte,
	// end or failure), shown when the video did not play.
	const timeline = new Map();
	let navStart = Date.now();
	const at = () => Date.now() - navStart;
	page.on('request', (r) => { if (timeline.size < 400) timeline.set(r, { start: at(), url: r.url(), method: r.method() }); });
	page.on('response', (r) => { const e = timeline.get(r.request()); if (e) { e.firstByte = at(); e.status = r.status(); } });
	page.on('requestfinished', (r) => { const e = timeline.get(r); if (e) e.end = at(); });
	page.on('requestfailed', (r) => { const e = timeline.get(r); if (e) { e.end = at(); e.failure = r.failure()?.errorText; } });
	const requestLines = () => [...timeline.values()].map((e) => {
		const path = e.url.replace(/^https?:\/\/[^/]+/, '').replace(/([?&](token|jwt)=)[^&]*/g, '$1…');
		const first = e.firstByte !== undefined ? `first byte +${e.firstByte - e.start} ms, ` : '';
		const outcome = e.failure ? `${e.failure} after ${e.end - e.start} ms` :
			e.end !== undefined ? `${e.status} (${first}done +${e.end - e.start} ms)` :
			`${e.status ? e.status + ', ' + first : ''}still open after ${at() - e.start} ms`;
		return `request +${e.start} ms ${e.method} ${path}: ${outcome}`;
	});
	await page.addInitScript(pageProbe);

	// timeoutMs counts from the navigation on.
	const deadline = Date.now() + opts.timeoutMs;
	navStart = Date.now();
	let resp;
	try {
		resp = await page.goto(opts.url, { waitUntil: 'commit', timeout: Math.max(1000, deadline - Date.now()) });
	} catch (e) {
		result.status = navStatus;
		fail(`page load: ${navStatus ? `HTTP ${navStatus}, ` : ''}${e.message.split('\n')[0]}`);
	}
	if (resp) result.status = resp.status();
	if (resp && result.status >= 400) {
		fail(`page load: HTTP ${result.status}`);
	}

	if (opts.publish) {
		await publishLoop(page, deadline);
	}
	let last = null;
	let errorSince = 0;
	while (!opts.publish && !result.error && Date.now() < deadline) {
		const state = await pageState(page, videoState, deadline);
		if (!state) continue;
		last = state;
		if (last.found) {
			result.currentTime = last.currentTime;
			if (last.firstFrame >= 0) result.firstFrameMs = last.firstFrame;
			if (last.currentTime > opts.want) {
				result.played = true;
				break;
			}
			// hls.js may recover from a media error; a lasting one is final.
			if (last.error) {
				errorSince ||= Date.now();
				if (Date.now() - errorSince > 2000) fail(`video: ${last.error}`);
			} else {
				errorSince = 0;
			}
		}
		await sleep(100);
	}
	if (!opts.publish && !result.played && !result.error) {
		if (!last || !last.found) fail(`no <video> element within ${opts.timeoutMs} ms (document ${last ? last.document : 'never seen'})`);
		else fail(`currentTime ${last.currentTime} did not pass ${opts.want} within ${opts.timeoutMs} ms ` +
			`(paused ${last.paused}, readyState ${last.readyState}, networkState ${last.networkState}, ` +
			`size ${last.width}x${last.height}${last.error ? ', ' + last.error : ''}; events: ${last.events})`);
	}
	if (!result.played) {
		for (const line of (last && last.hls) || []) log(`hls.js error: ${line}`);
		for (const line of requestLines()) log(line);
	}
	if (opts.screenshot) {
		try {
			await page.screenshot({ path: opts.screenshot, timeout: 5000 });
		} catch (e) {
			log(`screenshot: ${e.message.split('\n')[0]}`);
		}
	}
}

try {
	await main();
} catch (e) {
	fail(e.message.split('\n')[0]);
	log(`exception: ${e.stack || e}`);
} finally {
	if (browser) await Promise.race([browser.close().catch(() => {}), sleep(5000)]);
	print();
	process.exit(0);
}
