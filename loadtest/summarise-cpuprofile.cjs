// node loadtest/summarise-cpuprofile.cjs FILE.cpuprofile: self and inclusive CPU share by package/file, and the hottest functions.
const p = JSON.parse(require('fs').readFileSync(process.argv[2]));
const byId = new Map(p.nodes.map(n => [n.id, n]));
const parent = new Map(); for (const n of p.nodes) for (const c of n.children||[]) parent.set(c, n.id);
const counts = new Map(); for (const s of p.samples) counts.set(s, (counts.get(s)||0)+1);
const total = p.samples.length;
const self = new Map(); const cat = new Map();
const catOf = (n) => { const u = n.callFrame.url; const m = u.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/); if (m) return m[1]; if (u.startsWith('node:')) return u; if (u.includes('/work/main/')) return 'ours:'+u.split('/work/main/')[1]; return n.callFrame.functionName||'(native)'; };
const incl = new Map();
for (const [id, c] of counts) {
  const n = byId.get(id); const k = `${n.callFrame.functionName||'(anon)'} ${catOf(n)}:${n.callFrame.lineNumber}`;
  self.set(k, (self.get(k)||0)+c); cat.set(catOf(n), (cat.get(catOf(n))||0)+c);
  // inclusive by category (count once per stack)
  const seen = new Set(); let x = id; while (x) { const nn = byId.get(x); const cc = catOf(nn); if (!seen.has(cc)) { seen.add(cc); incl.set(cc,(incl.get(cc)||0)+c);} x = parent.get(x); }
}
const top = (m, k) => [...m].sort((a,b)=>b[1]-a[1]).slice(0,k).map(([k,v])=>`${(100*v/total).toFixed(1).padStart(5)}% ${k}`).join('\n');
console.log('samples', total, 'idle', (100*(cat.get('(idle)')||0)/total).toFixed(1));
console.log('--- self by category'); console.log(top(cat, 25));
console.log('--- inclusive by category'); console.log(top(incl, 30));
console.log('--- self by function'); console.log(top(self, 30));
