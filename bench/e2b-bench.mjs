// Issue 17's figures, with the unmodified E2B SDK (banger-it/e2b-sdk's e2b 2.51.0) against bangerd's E2B listener.
// Run by bench/run.sh e2b (E2bBench.java), which starts the daemon, makes the key and the template, and reads the one
// JSON line this prints.
//   node bench/e2b-bench.mjs create N       N sandboxes one after the other, each timed from Sandbox.create() to the
//                                           first commands.run('true') result, then killed (untimed); one warm-up first
//   node bench/e2b-bench.mjs concurrent N   N sandboxes created at once by one client (Promise.all), each then runs
//                                           `echo ok` (checked); total wall time and each one's; all killed
// Environment: E2B_API_URL, E2B_SANDBOX_URL, E2B_API_KEY, E2B_TEMPLATE (default "base").
import { createRequire } from 'node:module'

const { Sandbox } = createRequire(new URL('../banger-it/e2b-sdk/package.json', import.meta.url))('e2b')
const TEMPLATE = process.env.E2B_TEMPLATE || 'base'
// A cold create boots a VM under TCG: more than the SDK's 60 s default request timeout when several boot at once.
const OPTS = { requestTimeoutMs: 600_000, metadata: { suite: 'banger-bench' } }
const [mode, countArg] = process.argv.slice(2)
const count = Number(countArg)

async function createAndRun(cmd, expect) {
  const t0 = performance.now()
  const sbx = await Sandbox.create(TEMPLATE, OPTS)
  try {
    const r = await sbx.commands.run(cmd)
    if (r.stdout !== expect || r.exitCode !== 0) {
      throw new Error(`${sbx.sandboxId}: ${cmd} gave ${JSON.stringify(r)}`)
    }
    return { id: sbx.sandboxId, ms: Math.round(performance.now() - t0) }
  } finally {
    if (mode === 'create') await sbx.kill() // concurrent: killed together after the clock stops
    else killLater.push(sbx)
  }
}

const killLater = []
let out
try {
  if (mode === 'create' && count > 0) {
    await createAndRun('true', '') // warm-up: the daemon's and the SDK's first request paths, the page cache
    const runs = []
    for (let i = 0; i < count; i++) {
      await new Promise((r) => setTimeout(r, 1000)) // the last kill's clean-up out of the way
      runs.push((await createAndRun('true', '')).ms)
    }
    out = { mode, runs }
  } else if (mode === 'concurrent' && count > 0) {
    const t0 = performance.now()
    const each = await Promise.all(Array.from({ length: count }, () => createAndRun('echo ok', 'ok\n')))
    out = { mode, totalMs: Math.round(performance.now() - t0), runs: each.map((e) => e.ms), distinct: new Set(each.map((e) => e.id)).size }
  } else {
    console.error('usage: node bench/e2b-bench.mjs create N | concurrent N')
    process.exit(2)
  }
} catch (e) {
  console.error(`e2b-bench: ${e?.constructor?.name}: ${e?.message}`)
  process.exitCode = 1
} finally {
  await Promise.all(killLater.map((s) => s.kill().catch(() => false)))
}
if (out) console.log(JSON.stringify(out))
process.exit(process.exitCode ?? 0)
