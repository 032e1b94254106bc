// Issue 17's acceptance list, run with the unmodified E2B SDK (e2b 2.51.0 from npm) against bangerd's E2B listener.
// Each check is a named step printing one JSON line: {"step", "ok", "ms", "detail"}; a failed step does not stop the
// ones after it (those that need what it made report why they cannot run). Exit status 1 if any step failed.
//
// Environment: E2B_API_URL, E2B_SANDBOX_URL (the same listener: the SDK then routes envd calls by the E2b-Sandbox-Id
// header), E2B_API_KEY (from `banger e2b key create --json`), E2B_TEMPLATE (a banger image name; default "base", the
// default image). E2B_DOMAIN is not needed: the SDK takes each sandbox's domain from the create response.
// It keeps to two sandboxes (each create boots or restores a VM) and kills whatever it made before it exits.
import { createHash, randomBytes } from 'node:crypto'
import { lookup } from 'node:dns/promises'
import { Sandbox, CommandExitError, AuthenticationError, SandboxError, NotFoundError } from 'e2b'

const TEMPLATE = process.env.E2B_TEMPLATE || 'base'
const API_URL = must('E2B_API_URL')
const SANDBOX_URL = must('E2B_SANDBOX_URL')
must('E2B_API_KEY')
const LISTEN_PORT = new URL(SANDBOX_URL).port || (new URL(SANDBOX_URL).protocol === 'https:' ? '443' : '80')
const RUN = randomBytes(4).toString('hex') // this run's metadata tag, so that list finds only what this run made
const METADATA = { suite: 'banger-acceptance', run: RUN }
// A create boots or restores a VM (seconds under TCG): more than the SDK's 60 s default request timeout allows for.
const SLOW = { requestTimeoutMs: 300_000 }
const STEP_LIMIT_MS = Number(process.env.E2B_STEP_LIMIT_MS || 180_000)

const made = new Set() // sandbox ids to kill at the end, whatever happened
let failures = 0

function must(name) {
  const v = process.env[name]
  if (!v) {
    console.error(`acceptance: set ${name} (see the head of this file)`)
    process.exit(2)
  }
  return v
}

function describe(e) {
  if (!(e instanceof Error)) return String(e)
  const status = e.statusCode !== undefined ? ` (status ${e.statusCode})` : ''
  // undici's "fetch failed" says why only in its cause (a reset connection, a refused one, a DNS failure)
  const cause = e.cause instanceof Error ? ` (cause: ${e.cause.code ?? e.cause.constructor.name}: ${e.cause.message})` : ''
  return `${e.constructor.name}${status}: ${e.message}${cause}`.slice(0, 800)
}

/** Waits until {@code cond()} holds, polling; throws with {@code what} after {@code ms}. */
async function until(cond, ms, what) {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Runs one step under a time limit; prints its line. Returns its result, or undefined when it failed. */
async function step(name, fn, limitMs = STEP_LIMIT_MS) {
  const t0 = performance.now()
  let ok = false
  let detail
  let result
  let timer
  try {
    const limit = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`step took longer than ${limitMs} ms`)), limitMs)
    })
    result = await Promise.race([fn(), limit])
    ok = true
    detail = result && typeof result === 'object' && 'detail' in result ? result.detail : result
  } catch (e) {
    detail = describe(e)
  } finally {
    clearTimeout(timer)
  }
  if (!ok) failures++
  console.log(JSON.stringify({ step: name, ok, ms: Math.round(performance.now() - t0), detail: detail ?? null }))
  return ok ? result ?? true : undefined
}

function check(cond, message) {
  if (!cond) throw new Error(message)
}

function needs(sbx, what = 'the first sandbox') {
  if (!sbx) throw new Error(`not run: ${what} could not be created`)
}

/** Expects fn to throw; returns the error, or fails naming what came back instead. */
async function rejects(fn, what) {
  let value
  try {
    value = await fn()
  } catch (e) {
    return e
  }
  throw new Error(`${what}: expected an error, got ${JSON.stringify(value)?.slice(0, 200)}`)
}

async function listIds(query) {
  const ids = []
  const pages = Sandbox.list({ query })
  while (pages.hasNext) {
    for (const s of await pages.nextItems()) ids.push(s.sandboxId)
  }
  return ids
}

async function gone(id) {
  try {
    await Sandbox.getInfo(id)
    return false
  } catch (e) {
    if (e instanceof NotFoundError) return true
    throw e
  }
}

async function waitFor(what, cond, limitMs, everyMs = 500) {
  const end = Date.now() + limitMs
  while (Date.now() < end) {
    if (await cond()) return
    await new Promise((r) => setTimeout(r, everyMs))
  }
  throw new Error(`${what}: not within ${limitMs} ms`)
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex')

// ---- sandboxes -----------------------------------------------------------------------------------------------------

const sbx = await step('create', async () => {
  const s = await Sandbox.create(TEMPLATE, { metadata: METADATA, envs: { BANGER_ACCEPTANCE: RUN }, timeoutMs: 600_000, ...SLOW })
  made.add(s.sandboxId)
  check(s.sandboxId, 'no sandbox id')
  check(s.envdAccessToken, 'no envd access token in the create response')
  return { sandbox: s, detail: `${s.sandboxId} domain=${s.sandboxDomain} template=${TEMPLATE}` }
}, 300_000).then((r) => r?.sandbox)

await step('commands.run echo hi', async () => {
  needs(sbx)
  const r = await sbx.commands.run('echo hi')
  check(r.stdout === 'hi\n', `stdout ${JSON.stringify(r.stdout)}, expected "hi\\n"`)
  check(r.exitCode === 0, `exit code ${r.exitCode}`)
  return `stdout=${JSON.stringify(r.stdout)} exit=${r.exitCode}`
})

await step('create envs reach commands', async () => {
  needs(sbx)
  const r = await sbx.commands.run('printf %s "$BANGER_ACCEPTANCE"')
  check(r.stdout === RUN, `stdout ${JSON.stringify(r.stdout)}, expected ${RUN}`)
  return r.stdout
})

await step('commands.run failing: CommandExitError', async () => {
  needs(sbx)
  const e = await rejects(() => sbx.commands.run('echo bad >&2; exit 3'), 'exit 3')
  check(e instanceof CommandExitError, `expected CommandExitError, got ${describe(e)}`)
  check(e.exitCode === 3, `exitCode ${e.exitCode}, expected 3`)
  check(e.stderr === 'bad\n', `stderr ${JSON.stringify(e.stderr)}`)
  return `exitCode=${e.exitCode}`
})

await step('commands background, list, kill', async () => {
  needs(sbx)
  const h = await sbx.commands.run('sleep 600', { background: true })
  check(Number.isInteger(h.pid) && h.pid > 0, `pid ${h.pid}`)
  const listed = await sbx.commands.list()
  check(listed.some((p) => p.pid === h.pid), `pid ${h.pid} not in list(): ${JSON.stringify(listed.map((p) => p.pid))}`)
  check(await sbx.commands.kill(h.pid), 'kill() returned false')
  const end = await h.wait().then((r) => r, (e) => e)
  // As envd ends a process a signal killed (Go's os.ProcessState): exit code -1, error "signal: killed".
  check(end instanceof CommandExitError, `wait after kill: expected CommandExitError, got ${describe(end)}`)
  check(end.exitCode === -1 && end.error === 'signal: killed',
    `wait after kill: exitCode ${end.exitCode}, error ${JSON.stringify(end.error)}; envd gives -1 and "signal: killed"`)
  const after = await sbx.commands.list()
  check(!after.some((p) => p.pid === h.pid), `pid ${h.pid} still listed after kill`)
  return `pid=${h.pid} listed ${listed.length}; wait after kill: ${end instanceof Error ? describe(end) : JSON.stringify(end)}`
})

await step('commands onStdout/onStderr', async () => {
  needs(sbx)
  const out = []
  const err = []
  const r = await sbx.commands.run('echo to-out; echo to-err >&2; sleep 0.2; echo more-out', {
    onStdout: (d) => out.push(d),
    onStderr: (d) => err.push(d),
  })
  check(out.join('') === 'to-out\nmore-out\n', `onStdout got ${JSON.stringify(out)}`)
  check(err.join('') === 'to-err\n', `onStderr got ${JSON.stringify(err)}`)
  check(r.stdout === 'to-out\nmore-out\n' && r.stderr === 'to-err\n', `result ${JSON.stringify(r)}`)
  return `stdout chunks ${out.length}, stderr chunks ${err.length}`
})

await step('commands sendStdin', async () => {
  needs(sbx)
  const h = await sbx.commands.run('head -n1', { background: true, stdin: true })
  await sbx.commands.sendStdin(h.pid, 'through stdin\n')
  const r = await h.wait()
  check(r.stdout === 'through stdin\n', `stdout ${JSON.stringify(r.stdout)}`)
  // cat ends only when stdin is closed: CloseStdin (envd 0.5.2 and later).
  const cat = await sbx.commands.run('cat', { background: true, stdin: true })
  await cat.sendStdin('a\n')
  await cat.sendStdin(new TextEncoder().encode('b\n'))
  await cat.closeStdin()
  const c = await cat.wait()
  check(c.stdout === 'a\nb\n', `cat stdout ${JSON.stringify(c.stdout)}`)
  return 'head -n1 and cat (closeStdin) echoed their input'
})

// ---- files ---------------------------------------------------------------------------------------------------------

const DIR = `/tmp/acceptance-${RUN}`

await step('pty: create, input, resize, kill', async () => {
  needs(sbx)
  let out = ''
  const decoder = new TextDecoder()
  const pty = await sbx.pty.create({ cols: 80, rows: 24, onData: (d) => { out += decoder.decode(d, { stream: true }) }, timeoutMs: 120_000 })
  await sbx.pty.sendInput(pty.pid, new TextEncoder().encode('stty size; echo pty-$((6*7))\n'))
  await until(() => out.includes('pty-42') && out.includes('24 80'), 20_000, `the terminal's output: ${JSON.stringify(out.slice(-300))}`)
  await sbx.pty.resize(pty.pid, { cols: 100, rows: 30 })
  await sbx.pty.sendInput(pty.pid, new TextEncoder().encode('stty size\n'))
  await until(() => out.includes('30 100'), 20_000, `after resize: ${JSON.stringify(out.slice(-300))}`)
  check(await sbx.pty.kill(pty.pid), 'kill said the pty was not found')
  return `stty size 24 80, then 30 100 after resize`
})

await step('files write/read/list/makeDir/rename/remove/exists', async () => {
  needs(sbx)
  check(await sbx.files.makeDir(`${DIR}/sub`), 'makeDir returned false for a new directory')
  check(!(await sbx.files.makeDir(`${DIR}/sub`)), 'makeDir returned true for an existing directory')
  const w = await sbx.files.write(`${DIR}/sub/a.txt`, 'hello files\n')
  check(w.path === `${DIR}/sub/a.txt`, `write answered ${JSON.stringify(w)}`)
  check((await sbx.files.read(`${DIR}/sub/a.txt`)) === 'hello files\n', 'read back differs')
  // a file the SDK writes in a missing directory: the directory is made
  await sbx.files.write(`${DIR}/new/deep/b.txt`, 'b')
  const names = (await sbx.files.list(DIR)).map((e) => `${e.name}:${e.type}`).sort()
  check(JSON.stringify(names) === JSON.stringify(['new:dir', 'sub:dir']), `list ${JSON.stringify(names)}`)
  const sub = await sbx.files.list(`${DIR}/sub`)
  check(sub.length === 1 && sub[0].name === 'a.txt' && sub[0].type === 'file' && sub[0].size === 12, `list sub ${JSON.stringify(sub)}`)
  const moved = await sbx.files.rename(`${DIR}/sub/a.txt`, `${DIR}/sub/c.txt`)
  check(moved.path === `${DIR}/sub/c.txt`, `rename answered ${JSON.stringify(moved)}`)
  check(!(await sbx.files.exists(`${DIR}/sub/a.txt`)), 'old name still exists after rename')
  check(await sbx.files.exists(`${DIR}/sub/c.txt`), 'new name missing after rename')
  await sbx.files.remove(`${DIR}/sub/c.txt`)
  check(!(await sbx.files.exists(`${DIR}/sub/c.txt`)), 'exists after remove')
  await sbx.files.remove(`${DIR}/new`)
  check(!(await sbx.files.exists(`${DIR}/new/deep/b.txt`)), 'a removed directory\'s file still exists')
  const missing = await rejects(() => sbx.files.read(`${DIR}/nope`), 'read of a missing file')
  check(missing instanceof NotFoundError, `read of a missing file: expected NotFoundError (FileNotFoundError), got ${describe(missing)}`)
  // E2B's octet-stream upload (envd 0.5.7 and later): what the SDK sends for streams and gzip
  await sbx.files.write(`${DIR}/octet.bin`, new Uint8Array([0, 1, 2, 255]).buffer, { useOctetStream: true })
  const octet = await sbx.files.read(`${DIR}/octet.bin`, { format: 'bytes' })
  check(Buffer.from(octet).equals(Buffer.from([0, 1, 2, 255])), `octet-stream upload read back as ${Buffer.from(octet).toString('hex')}`)
  return 'all seven calls, plus an octet-stream upload'
})

await step('files 50 MiB binary, SHA-256', async () => {
  needs(sbx)
  const data = randomBytes(50 << 20)
  const want = sha256(data)
  const t0 = performance.now()
  const w = await sbx.files.write(`${DIR}/big.bin`, new Blob([data]), { requestTimeoutMs: 600_000 })
  const up = performance.now() - t0
  const info = await sbx.files.getInfo(`${DIR}/big.bin`)
  check(info.size === data.length, `size in the sandbox ${info.size}, expected ${data.length} (write answered ${JSON.stringify(w)})`)
  const inGuest = (await sbx.commands.run(`sha256sum ${DIR}/big.bin`)).stdout.split(' ')[0]
  check(inGuest === want, `sha256 in the sandbox ${inGuest}, expected ${want}`)
  const t1 = performance.now()
  const back = await sbx.files.read(`${DIR}/big.bin`, { format: 'bytes', requestTimeoutMs: 600_000 })
  const down = performance.now() - t1
  check(back.length === data.length, `read back ${back.length} bytes`)
  check(sha256(back) === want, 'read back SHA-256 differs')
  await sbx.files.remove(`${DIR}/big.bin`)
  return `sha256 ${want.slice(0, 16)}... up ${Math.round(up)} ms, down ${Math.round(down)} ms`
}, 900_000)

await step('files.watchDir events', async () => {
  needs(sbx)
  await sbx.files.makeDir(`${DIR}/watched`)
  const events = []
  const w = await sbx.files.watchDir(`${DIR}/watched`, (e) => events.push(e))
  try {
    await sbx.commands.run(`echo x > ${DIR}/watched/made-by-command`)
    await waitFor('a create event for made-by-command', () => events.some((e) => e.name === 'made-by-command' && e.type === 'create'), 20_000, 100)
  } finally {
    await w.stop()
  }
  return events.map((e) => `${e.type}:${e.name}`).join(', ')
})

// ---- getHost -------------------------------------------------------------------------------------------------------

await step('getHost(8080) to busybox httpd', async () => {
  needs(sbx)
  await sbx.files.write(`${DIR}/www/file`, `served ${RUN}\n`)
  await sbx.commands.run(`busybox httpd -f -p 8080 -h ${DIR}/www`, { background: true })
  const host = sbx.getHost(8080)
  check(host === `8080-${sbx.sandboxId}.${sbx.sandboxDomain}`, `getHost returned ${host}`)
  // The SDK's host carries no port: a client reaches banger's listener on its own port with that name.
  let address
  try {
    address = await lookup(host)
  } catch (e) {
    throw new Error(`DNS: ${host} does not resolve (banger's DNS must answer *.${sbx.sandboxDomain}; ${describe(e)})`)
  }
  const url = `http://${host}:${LISTEN_PORT}/file`
  let text
  // httpd starts in the background: a few tries while it binds
  await waitFor(`GET ${url}`, async () => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(10_000) })
      text = `${res.status} ${await res.text()}`
      return res.status === 200
    } catch (e) {
      text = describe(e)
      return false
    }
  }, 30_000)
  check(text === `200 served ${RUN}\n`, `got ${JSON.stringify(text)}`)
  return `${url} (${address.address}) -> ${JSON.stringify(text)}`
})

// ---- REST ----------------------------------------------------------------------------------------------------------

await step('Sandbox.list with metadata', async () => {
  needs(sbx)
  const ids = await listIds({ metadata: { run: RUN } })
  check(ids.includes(sbx.sandboxId), `${sbx.sandboxId} not in ${JSON.stringify(ids)}`)
  const none = await listIds({ metadata: { run: `${RUN}-other` } })
  check(!none.includes(sbx.sandboxId), 'listed under another metadata value')
  return `found among ${ids.length}`
})

await step('Sandbox.connect from a second client', async () => {
  needs(sbx)
  const second = await Sandbox.connect(sbx.sandboxId, { apiKey: process.env.E2B_API_KEY, ...SLOW })
  check(second !== sbx && second.sandboxId === sbx.sandboxId, 'connect returned another sandbox')
  const r = await second.commands.run('echo connected')
  check(r.stdout === 'connected\n', `stdout ${JSON.stringify(r.stdout)}`)
  return second.sandboxId
})

await step('pause, then connect resumes memory and processes', async () => {
  needs(sbx)
  // A file in /dev/shm lives only in memory, and a background sleep is a process: both must survive pause and resume.
  await sbx.commands.run(`echo ${RUN} > /dev/shm/pause-mark`)
  const bg = await sbx.commands.run('sleep 900', { background: true })
  await sbx.pause(SLOW)
  const info = await Sandbox.getInfo(sbx.sandboxId, SLOW)
  check(info.state === 'paused', `state after pause: ${info.state}`)
  const again = await Sandbox.connect(sbx.sandboxId, SLOW)
  const mark = await again.commands.run('cat /dev/shm/pause-mark')
  check(mark.stdout === `${RUN}\n`, `/dev/shm after resume: ${JSON.stringify(mark.stdout)}`)
  const procs = await again.commands.list()
  check(procs.some((p) => p.pid === bg.pid), `the background sleep (pid ${bg.pid}) is gone after resume: ${JSON.stringify(procs.map((p) => p.pid))}`)
  await again.commands.kill(bg.pid)
  return `pid ${bg.pid} and /dev/shm kept; state was ${info.state}`
}, 300_000)

await step('wrong API key: AuthenticationError (401)', async () => {
  const e = await rejects(() => Sandbox.list({ apiKey: `e2b_${'0'.repeat(40)}` }).nextItems(), 'list with a wrong key')
  check(e instanceof AuthenticationError, `expected AuthenticationError, got ${describe(e)}`)
  const c = await rejects(() => Sandbox.create(TEMPLATE, { apiKey: `e2b_${'1'.repeat(40)}` }), 'create with a wrong key')
  check(c instanceof AuthenticationError, `create: expected AuthenticationError, got ${describe(c)}`)
  return describe(e)
})

await step('unknown template: 404', async () => {
  // The SDK's create maps a 404 to SandboxError with statusCode 404 (NotFoundError is for getInfo/connect and envd).
  const e = await rejects(() => Sandbox.create(`no-such-template-${RUN}`, SLOW), 'create from an unknown template')
  check(e instanceof SandboxError && e.statusCode === 404, `expected SandboxError with statusCode 404, got ${describe(e)}`)
  return describe(e)
})

const other = await step('create second sandbox', async () => {
  const s = await Sandbox.create(TEMPLATE, { metadata: { ...METADATA, role: 'second' }, ...SLOW })
  made.add(s.sandboxId)
  check(s.envdAccessToken && s.envdAccessToken !== sbx?.envdAccessToken, 'the second sandbox has no token of its own')
  return { sandbox: s, detail: s.sandboxId }
}, 300_000).then((r) => r?.sandbox)

await step("another sandbox's token refused", async () => {
  needs(sbx)
  needs(other, 'the second sandbox')
  // The SDK as a client holding sandbox B's token would use it for sandbox A (constructor options as connect passes them).
  const forged = new Sandbox({
    sandboxId: sbx.sandboxId,
    sandboxDomain: sbx.sandboxDomain,
    envdAccessToken: other.envdAccessToken,
    envdVersion: sbx.envdApi.version,
    apiKey: process.env.E2B_API_KEY,
  })
  const run = await rejects(() => forged.commands.run('echo leaked'), "commands.run with B's token on A")
  check(run instanceof AuthenticationError, `commands.run: expected AuthenticationError, got ${describe(run)}`)
  const read = await rejects(() => forged.files.read('/etc/hostname'), "files.read with B's token on A")
  check(read instanceof AuthenticationError, `files.read: expected AuthenticationError, got ${describe(read)}`)
  // The same by hand, with its own token as the control (so a refusal is the token's doing, not the route's).
  const get = (token) => fetch(`${SANDBOX_URL}/files?path=${encodeURIComponent('/etc/hostname')}`, {
    headers: { 'E2b-Sandbox-Id': sbx.sandboxId, 'E2b-Sandbox-Port': '49983', ...(token && { 'X-Access-Token': token }) },
  })
  const foreign = await get(other.envdAccessToken)
  check(foreign.status === 401 || foreign.status === 403, `GET /files with B's token on A: ${foreign.status} ${await foreign.text()}`)
  const none = await get(undefined)
  check(none.status === 401 || none.status === 403, `GET /files without a token: ${none.status} ${await none.text()}`)
  const own = await get(sbx.envdAccessToken)
  check(own.status === 200, `GET /files with A's own token: ${own.status} ${await own.text()}`)
  return `B's token: ${foreign.status}, none: ${none.status}, own: ${own.status}`
})

await step('setTimeout then gone at expiry', async () => {
  needs(other, 'the second sandbox')
  const t0 = Date.now()
  await other.setTimeout(5_000)
  const info = await Sandbox.getInfo(other.sandboxId)
  check(info.endAt.getTime() - t0 <= 6_000, `endAt ${info.endAt.toISOString()} is not about 5 s away`)
  await waitFor(`sandbox ${other.sandboxId} gone`, () => gone(other.sandboxId), 90_000)
  const ids = await listIds({ metadata: { run: RUN } })
  check(!ids.includes(other.sandboxId), 'still listed after expiry')
  made.delete(other.sandboxId)
  return `gone ${Date.now() - t0} ms after setTimeout(5000)`
})

await step('kill then gone', async () => {
  needs(sbx)
  check(await sbx.kill(), 'kill() returned false')
  made.delete(sbx.sandboxId)
  check(await gone(sbx.sandboxId), 'getInfo still finds it')
  const ids = await listIds({ metadata: { run: RUN } })
  check(!ids.includes(sbx.sandboxId), `still listed: ${JSON.stringify(ids)}`)
  check(!(await Sandbox.kill(sbx.sandboxId)), 'a second kill returned true')
  return 'not in getInfo or list'
})

for (const id of made) {
  await Sandbox.kill(id).catch((e) => console.error(`acceptance: cannot kill ${id}: ${describe(e)}`))
}
console.log(JSON.stringify({ done: true, failed: failures, api: API_URL }))
process.exit(failures === 0 ? 0 : 1)
