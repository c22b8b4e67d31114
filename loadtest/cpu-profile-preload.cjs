// Preloaded (NODE_OPTIONS=--require) by loadtest/profile-phase3.ts: Node 20 refuses --cpu-prof in NODE_OPTIONS, so the
// Phase 3 services profile themselves through the inspector and write CPU_PROFILE_DIR/<service>-<pid>.cpuprofile at exit.
const inspector = require('node:inspector');
const fs = require('node:fs');
const path = require('node:path');
const dir = process.env.CPU_PROFILE_DIR;
if (dir && /services\/(ws|message|search|notification)\//.test(process.argv.join(' '))) {
  const s = new inspector.Session();
  s.connect();
  s.post('Profiler.enable');
  s.post('Profiler.setSamplingInterval', { interval: 1000 });
  s.post('Profiler.start');
  const name = (process.argv.join(' ').match(/services\/(\w+)\//) || [])[1];
  process.on('exit', () => {
    s.post('Profiler.stop', (err, r) => {
      if (!err) fs.writeFileSync(path.join(dir, `${name}-${process.pid}.cpuprofile`), JSON.stringify(r.profile));
    });
  });
}
