// Loaded into every pod process (NODE_OPTIONS=--import=<this URL>?parent=<harness pid>):
// a pod process outlives no harness. If the test process dies without stop() (a crashed
// vitest worker), its pods exit instead of holding their ports and etcd registrations.
const parent = Number(new URL(import.meta.url).searchParams.get('parent'));
if (parent > 0) {
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGKILL');
  }, 1000).unref();
}
