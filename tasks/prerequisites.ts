/**
 * What the test suite needs from the machine beyond Deno: Debian's Chromium for the browser
 * tests. Installed with apt-get when missing and running as root; otherwise one line says how,
 * and the task fails (browser tests are never skipped silently).
 */
const PACKAGES: { binary: string; apt: string }[] = [{
  binary: "/usr/bin/chromium",
  apt: "chromium",
}];

const missing = [];
for (const pkg of PACKAGES) {
  try {
    await Deno.stat(pkg.binary);
  } catch {
    missing.push(pkg);
  }
}
if (missing.length) {
  const names = missing.map((p) => p.apt);
  const root = Deno.uid?.() === 0;
  if (!root) {
    console.error(
      `missing ${names.join(", ")}: run \`sudo apt-get install -y ${names.join(" ")}\``,
    );
    Deno.exit(1);
  }
  console.error(`installing ${names.join(", ")} with apt-get (needed by the browser tests)…`);
  const run = (args: string[]) =>
    new Deno.Command("apt-get", {
      args,
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdout: "null",
      stderr: "inherit",
    }).output();
  let result = await run(["install", "-y", "--no-install-recommends", ...names]);
  if (!result.success) {
    await run(["update"]);
    result = await run(["install", "-y", "--no-install-recommends", ...names]);
  }
  if (!result.success) {
    console.error(`apt-get could not install ${names.join(", ")}`);
    Deno.exit(1);
  }
}
