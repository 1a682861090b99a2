/**
 * The shipped nginx configuration (deploy/nginx/seatserve.conf) run for real in front of a
 * server: Debian's nginx, installed with apt-get when missing (never skipped).
 */
export const NGINX = "/usr/sbin/nginx";
const SHIPPED = new URL("../../deploy/nginx/seatserve.conf", import.meta.url);

/** nginx is there, or is installed now; throws when it cannot be. */
export async function ensureNginx(): Promise<void> {
  if (await exists(NGINX)) return;
  const install = await new Deno.Command("apt-get", {
    args: ["install", "-y", "--no-install-recommends", "nginx"],
    env: { DEBIAN_FRONTEND: "noninteractive" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!install.success || !(await exists(NGINX))) {
    throw new Error(
      `nginx is missing and apt-get could not install it:\n${
        new TextDecoder().decode(install.stderr)
      }`,
    );
  }
}

/** nginx running the shipped configuration on `port`, in front of the app on `upstreamPort`. */
export interface RunningNginx {
  port: number;
  base: string;
  stop(): Promise<void>;
}

/** Starts nginx with the shipped file, changing only where it listens and where the app is. */
export async function startNginx(port: number, upstreamPort: number): Promise<RunningNginx> {
  await ensureNginx();
  const dir = await Deno.makeTempDir({ prefix: "seatserve-nginx-" });
  const shipped = await Deno.readTextFile(SHIPPED);
  const site = shipped
    .replace(/listen 80;/, `listen 127.0.0.1:${port};`)
    .replace(/server 127\.0\.0\.1:8000;/, `server 127.0.0.1:${upstreamPort};`);
  if (site === shipped || !site.includes(`${upstreamPort}`)) {
    throw new Error("the shipped nginx configuration no longer has `listen 80;` and the upstream");
  }
  await Deno.writeTextFile(`${dir}/seatserve.conf`, site);
  await Deno.writeTextFile(
    `${dir}/nginx.conf`,
    `worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/seatserve.conf;
}
`,
  );
  const child = new Deno.Command(NGINX, {
    args: ["-p", dir, "-c", `${dir}/nginx.conf`, "-g", "daemon off;"],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const response = await fetch(`${base}/api/health`);
      await response.body?.cancel();
      if (response.status === 200) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      const { stderr } = await child.output();
      throw new Error(`nginx did not come up: ${new TextDecoder().decode(stderr)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    port,
    base,
    async stop() {
      child.kill("SIGTERM");
      await child.output();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
