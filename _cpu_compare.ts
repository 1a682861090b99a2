import { runOnce } from "./bench/run.ts";
const rounds = Number(Deno.args[0] ?? 4);
const sides = [{ name: "base", root: "/tmp/base10" }, {
  name: "head",
  root: new URL(".", import.meta.url).pathname,
}];
const rows: Record<string, number[][]> = { base: [], head: [] };
for (let r = 0; r < rounds; r++) {
  for (const side of r % 2 ? [...sides].reverse() : sides) {
    const res = await runOnce("orders", {
      connections: 64,
      threads: 1,
      durationS: 8,
      warmupS: 2,
      serverFlags: [],
      keys: "ordered",
      root: side.root,
    });
    const per = (k: string) => (res.cpuMs[k] ?? 0) * 1000 / res.ok;
    const server = per("server JS thread") + per("server KV (SQLite) thread") +
      per("server other threads");
    rows[side.name].push([
      res.perSecond,
      per("server JS thread"),
      per("server KV (SQLite) thread"),
      per("server other threads"),
      server,
      per("wrk"),
      res.host.otherCpuMs / res.host.wallMs,
    ]);
    console.log(
      side.name,
      res.perSecond.toFixed(0),
      "/s",
      "JS",
      per("server JS thread").toFixed(1),
      "SQLite",
      per("server KV (SQLite) thread").toFixed(1),
      "other",
      per("server other threads").toFixed(1),
      "server total",
      server.toFixed(1),
      "wrk",
      per("wrk").toFixed(1),
      "others cores",
      (res.host.otherCpuMs / res.host.wallMs).toFixed(2),
      res.checks.join(";"),
    );
  }
}
const med = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
for (const k of ["base", "head"]) {
  console.log(
    k,
    "median server µs/order",
    med(rows[k].map((r) => r[4])).toFixed(1),
    "JS",
    med(rows[k].map((r) => r[1])).toFixed(1),
    "SQLite",
    med(rows[k].map((r) => r[2])).toFixed(1),
    "wrk",
    med(rows[k].map((r) => r[5])).toFixed(1),
  );
}
