/**
 * Linux ground truth: run a busybox sh script in a throw-away QEMU (TCG) VM
 * booted with the host's Debian kernel and its f2fs module, with raw images
 * attached as virtio disks /dev/vda, /dev/vdb, ... (in the order given).
 *
 * The base initramfs is built by scripts/vm/build-initramfs.sh (cached under
 * fixtures/build/vm or $F2FSDBG_VM_CACHE); each run appends a small cpio with
 * the job to it, so nothing in the guest persists between runs except what the
 * job writes to the disks.
 *
 * Power-cut semantics: when the script ends, /init prints the markers and cuts
 * the power (`poweroff -f -n`) WITHOUT syncing. A script that wants its writes
 * on the image must `umount` (or `sync`) itself; one that leaves a filesystem
 * mounted, or ran `f2fs_io shutdown 2 /mnt`, gets exactly what the guest
 * kernel had submitted to the virtio disk by then. See scripts/vm/README.md
 * for why cache=unsafe does not weaken that.
 *
 * Guest tools: busybox (static, all applets), /usr/sbin/f2fs_io, and our own
 * `xattr set|sethex|rm|list` (busybox has no setfattr/getfattr) and `tcdrain`.
 * The guest clock starts at 1700000000 (2023-11-14T22:13:20Z), TZ=UTC.
 */
import { spawn } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, readFile, rm, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const BUILD_SCRIPT = join(REPO, "scripts", "vm", "build-initramfs.sh");
const QEMU = "qemu-system-x86_64";
/**
 * quiet + panic=-1 (with -no-reboot: a panic ends qemu at once). The rest only
 * trims TCG boot time (~0.3-0.5 s): no Spectre patching, no crypto self-tests,
 * no TSC recalibration/watchdog, no timer-IRQ check.
 */
const KERNEL_CMDLINE = "console=ttyS0 quiet panic=-1 mitigations=off cryptomgr.notests tsc=reliable no_timer_check";

/** KVM when this host really has it (usable /dev/kvm and vmx/svm), else TCG; F2FSDBG_VM_ACCEL overrides. */
function accelArgs(): string[] {
  const forced = process.env.F2FSDBG_VM_ACCEL;
  if (forced) return ["-accel", forced];
  try {
    accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
    if (/\b(vmx|svm)\b/.test(readFileSync("/proc/cpuinfo", "utf8"))) return ["-accel", "kvm", "-accel", "tcg"];
  } catch {
    /* no kvm */
  }
  return ["-accel", "tcg"];
}

export interface VmRunOptions {
  /** Raw images, attached in order as /dev/vda, /dev/vdb, ... (read-write). */
  disks: string[];
  /** busybox sh script; runs with cwd /tmp (tmpfs), stdin /dev/null, stderr merged into stdout. */
  script: string;
  /** Wall-clock limit for the whole boot+job+poweroff; default 300 000 ms. */
  timeoutMs?: number;
  /** Extra files for the job, placed under /job/files/<name> (names may contain '/'). */
  files?: Record<string, string | Uint8Array>;
  /** Guest CPUs; default 1 (2 measured slower to boot under TCG, see README). */
  smp?: number;
  /** Guest RAM in MiB; default 1024. */
  memMb?: number;
  /** Console loglevel while the job runs (kernel messages at a lower level interleave with output); default 1. */
  loglevel?: number;
  /** Guest clock at boot, seconds since the epoch; default 1700000000. */
  rtcEpoch?: number;
  /**
   * Size (MiB) of an output disk, attached after `disks`; default 0 (none).
   * Files the job writes under /tmp/out come back in `outFiles`. Faster than
   * the serial console (~160 KB/s) and immune to kernel messages on it.
   */
  outMb?: number;
}

export interface VmRunResult {
  /** Job stdout+stderr (\r\n normalised to \n), between the BEGIN and END markers. */
  output: string;
  /** Exit status of the job script. */
  status: number;
  /** Wall-clock ms for the whole run (qemu start to exit). */
  ms: number;
  /** Wall-clock ms from qemu start until the job started (BEGIN marker seen). */
  bootMs: number;
  /** Guest uptime (ms) when the job started. */
  guestBootMs: number;
  /** Full kernel log (dmesg) taken after the job. */
  dmesg: string;
  /** Everything qemu printed on the serial console. */
  console: string;
  /** Files left in the guest's /tmp/out (only with `outMb`), by path relative to it. */
  outFiles: Map<string, Buffer>;
}

interface VmConfig {
  kernel: string;
  initramfs: string;
  kver: string;
}

function onPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter).concat(["/usr/sbin", "/sbin"])) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

function cacheDir(): string {
  return process.env.F2FSDBG_VM_CACHE ?? join(REPO, "fixtures", "build", "vm");
}

/** Is a VM run possible here? Cheap (no spawn); does not build anything. */
export function vmAvailable(): { ok: boolean; why?: string } {
  if (process.platform !== "linux") return { ok: false, why: `platform ${process.platform}` };
  if (!onPath(QEMU)) return { ok: false, why: `${QEMU} not on PATH (apt-get install qemu-system-x86)` };
  let kernelOk = false;
  let kernelWhy = "no /boot/vmlinuz-* with a matching /lib/modules/<kver>/kernel/fs/f2fs/f2fs.ko* (apt-get install linux-image-amd64)";
  try {
    for (const kver of readdirSync("/lib/modules")) {
      const kernel = `/boot/vmlinuz-${kver}`;
      const f2fsDir = `/lib/modules/${kver}/kernel/fs/f2fs`;
      if (!existsSync(kernel) || !existsSync(f2fsDir)) continue;
      if (!readdirSync(f2fsDir).some((f) => f.startsWith("f2fs.ko"))) continue;
      try {
        accessSync(kernel, constants.R_OK);
      } catch {
        kernelWhy = `${kernel} is not readable`;
        continue;
      }
      kernelOk = true;
      break;
    }
  } catch {
    /* no /lib/modules */
  }
  if (!kernelOk) return { ok: false, why: kernelWhy };
  const json = join(cacheDir(), "vm.json");
  if (existsSync(json)) {
    try {
      const cfg = JSON.parse(readFileSync(json, "utf8")) as VmConfig;
      if (existsSync(cfg.initramfs) && existsSync(cfg.kernel)) return { ok: true };
    } catch {
      /* rebuild */
    }
  }
  for (const tool of ["busybox", "f2fs_io", "modprobe", "cpio", "gcc"]) {
    if (!onPath(tool)) return { ok: false, why: `${tool} not found (needed to build the VM initramfs)` };
  }
  return { ok: true };
}

let configPromise: Promise<VmConfig> | undefined;

/** Build (if needed) the base initramfs; memoised per process. */
export function ensureVm(): Promise<VmConfig> {
  configPromise ??= new Promise<VmConfig>((res, rej) => {
    const child = spawn("sh", [BUILD_SCRIPT], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", rej);
    child.on("close", (code) => {
      if (code !== 0) return rej(new Error(`build-initramfs.sh failed (${code}): ${err.trim()}`));
      readFile(out.trim().split("\n").pop()!, "utf8")
        .then((t) => res(JSON.parse(t) as VmConfig))
        .catch(rej);
    });
  });
  configPromise.catch(() => (configPromise = undefined));
  return configPromise;
}

/** Minimal newc cpio writer (files + parent dirs), enough for the job archive. */
export function cpioNewc(entries: { name: string; data?: Uint8Array; mode: number }[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  const pad4 = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
  const put = (name: string, mode: number, data: Uint8Array) => {
    const nameBuf = Buffer.from(name + "\0");
    // ino mode uid gid nlink mtime filesize devmajor devminor rdevmajor rdevminor namesize check
    const fields = [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBuf.length, 0];
    const hdr = "070701" + fields.map((v) => v.toString(16).padStart(8, "0")).join("");
    parts.push(Buffer.from(hdr, "ascii"), nameBuf, pad4(110 + nameBuf.length), Buffer.from(data), pad4(data.length));
  };
  const dirs = new Set<string>();
  for (const e of entries) {
    const segs = e.name.split("/");
    for (let i = 1; i < segs.length; i++) {
      const d = segs.slice(0, i).join("/");
      if (!dirs.has(d)) {
        dirs.add(d);
        put(d, 0o040755, new Uint8Array());
      }
    }
    put(e.name, e.mode, e.data ?? new Uint8Array());
  }
  put("TRAILER!!!", 0, new Uint8Array());
  const body = Buffer.concat(parts);
  return Buffer.concat([body, Buffer.alloc((512 - (body.length % 512)) % 512)]);
}

/** Minimal ustar reader (regular files; GNU 'L' long names), for busybox tar output. */
export function readTar(buf: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let off = 0;
  let longName: string | undefined;
  const str = (a: number, n: number) => {
    const b = buf.subarray(off + a, off + a + n);
    const z = b.indexOf(0);
    return b.subarray(0, z < 0 ? n : z).toString("utf8");
  };
  while (off + 512 <= buf.length) {
    if (buf.subarray(off, off + 512).every((b) => b === 0)) break;
    const size = parseInt(str(124, 12).trim() || "0", 8);
    const type = str(156, 1) || "0";
    const prefix = str(345, 155);
    let name = longName ?? (prefix ? `${prefix}/${str(0, 100)}` : str(0, 100));
    longName = undefined;
    const data = buf.subarray(off + 512, off + 512 + size);
    if (type === "L") longName = data.toString("utf8").replace(/\0+$/, "");
    else if (type === "0" || type === "\0") {
      name = name.replace(/^\.\//, "");
      files.set(name, Buffer.from(data));
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

const MARK_BEGIN = /^@@F2FSDBG:BEGIN uptime=([\d.]+)@@$/m;
const MARK_END = /^@@F2FSDBG:END status=(\d+)@@$/m;
const MARK_INIT_ERR = /^@@F2FSDBG:INIT-ERROR (.*)@@$/m;

function tail(s: string, lines = 40): string {
  return s.split("\n").slice(-lines).join("\n");
}

/**
 * Boot the VM, run `script`, power off. Resolves whatever the script's exit
 * status; rejects on timeout, kernel panic, init failure or missing markers
 * (the message carries the tail of the console log).
 */
export async function runInVm(opts: VmRunOptions): Promise<VmRunResult> {
  const cfg = await ensureVm();
  const outMb = opts.outMb ?? 0;
  const nDisks = opts.disks.length + (outMb > 0 ? 1 : 0);
  if (nDisks > 26) throw new Error("runInVm: at most 26 disks (including the output disk)");
  const outDev = outMb > 0 ? `/dev/vd${String.fromCharCode(97 + opts.disks.length)}` : "";
  for (const d of opts.disks) {
    let ok = false;
    try {
      ok = statSync(d).isFile();
    } catch {
      /* missing */
    }
    if (!ok) throw new Error(`runInVm: disk image ${d} does not exist or is not a regular file`);
  }
  const enc = new TextEncoder();
  const entries: { name: string; data?: Uint8Array; mode: number }[] = [
    { name: "job/run.sh", data: enc.encode(opts.script), mode: 0o100755 },
    {
      name: "job/env",
      data: enc.encode(
        `F2FSDBG_NDISKS=${nDisks}\nF2FSDBG_LOGLEVEL=${opts.loglevel ?? 1}\nF2FSDBG_OUTDEV=${outDev}\n`,
      ),
      mode: 0o100644,
    },
  ];
  for (const [name, data] of Object.entries(opts.files ?? {})) {
    if (name.startsWith("/") || name.split("/").includes("..")) throw new Error(`runInVm: bad file name ${name}`);
    entries.push({ name: `job/files/${name}`, data: typeof data === "string" ? enc.encode(data) : data, mode: 0o100644 });
  }
  const tmp = await mkdtemp(join(tmpdir(), "f2fsdbg-vm-"));
  try {
    const initrd = join(tmp, "initrd.cpio");
    await writeFile(initrd, Buffer.concat([await readFile(cfg.initramfs), cpioNewc(entries)]));
    const rtc = new Date((opts.rtcEpoch ?? 1700000000) * 1000).toISOString().slice(0, 19);
    const args = [
      ...accelArgs(),
      "-m", String(opts.memMb ?? 1024),
      "-smp", String(opts.smp ?? 1),
      "-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-monitor", "none",
      "-no-reboot",
      "-rtc", `base=${rtc}`,
      "-kernel", cfg.kernel,
      "-initrd", initrd,
      "-append", KERNEL_CMDLINE,
    ];
    const outImg = join(tmp, "out.img");
    const all = [...opts.disks.map((d) => resolve(d))];
    if (outMb > 0) {
      await writeFile(outImg, "");
      await truncate(outImg, outMb * 1024 * 1024);
      all.push(outImg);
    }
    all.forEach((d, i) => {
      // cache=unsafe: see the header comment and scripts/vm/README.md. The
      // serial lets /init check that /dev/vd<a+i> really is disk i.
      // Commas in option values are escaped by doubling them.
      args.push(
        "-drive", `file=${d.replace(/,/g, ",,")},format=raw,if=none,id=d${i},cache=unsafe`,
        "-device", `virtio-blk-pci,drive=d${i},serial=f2fsdbg-${i}`,
      );
    });
    return await new Promise<VmRunResult>((res, rej) => {
      const t0 = performance.now();
      let bootMs = -1;
      const chunks: Buffer[] = [];
      let stderr = "";
      let seen = "";
      const child = spawn(QEMU, args, { stdio: ["ignore", "pipe", "pipe"] });
      const timeoutMs = opts.timeoutMs ?? 300_000;
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        const con = Buffer.concat(chunks).toString("latin1").replace(/\r/g, "");
        rej(new Error(`runInVm: timed out after ${timeoutMs} ms${bootMs < 0 ? " (job never started)" : ""}; console tail:\n${tail(con)}`));
      }, timeoutMs);
      child.stdout.on("data", (d: Buffer) => {
        chunks.push(d);
        if (bootMs < 0) {
          seen = (seen + d.toString("latin1")).slice(-4096);
          if (seen.includes("@@F2FSDBG:BEGIN")) bootMs = performance.now() - t0;
        }
      });
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", (e) => {
        clearTimeout(timer);
        rej(new Error(`runInVm: cannot start ${QEMU}: ${e.message}`));
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        if (signal === "SIGKILL") return; // timeout already rejected
        const ms = performance.now() - t0;
        const con = Buffer.concat(chunks).toString("utf8").replace(/\r\n/g, "\n").replace(/\r/g, "");
        const fail = (why: string) =>
          rej(new Error(`runInVm: ${why} (qemu exit ${code}${stderr.trim() ? `, stderr: ${stderr.trim()}` : ""}); console tail:\n${tail(con)}`));
        const ierr = MARK_INIT_ERR.exec(con);
        if (ierr) return fail(`VM init failed: ${ierr[1]}`);
        const b = MARK_BEGIN.exec(con);
        const e = MARK_END.exec(con);
        if (!b || !e || e.index < b.index) {
          if (/Kernel panic/.test(con)) return fail("kernel panic");
          return fail(b ? "job did not finish (no END marker)" : "job never started (no BEGIN marker)");
        }
        const output = con.slice(b.index + b[0].length + 1, e.index);
        const dm = /^@@F2FSDBG:DMESG@@\n([\s\S]*?)^@@F2FSDBG:DMESG-END@@$/m.exec(con);
        let outFiles = new Map<string, Buffer>();
        if (outMb > 0) {
          const om = /^@@F2FSDBG:OUT (.*)@@$/m.exec(con);
          if (!om || om[1] !== "ok") return fail(`output disk: ${om ? om[1] : "no OUT marker"}`);
          try {
            outFiles = readTar(readFileSync(outImg));
          } catch (err) {
            return fail(`output disk unreadable: ${(err as Error).message}`);
          }
        }
        res({
          output,
          status: Number(e[1]),
          ms,
          bootMs,
          guestBootMs: Math.round(Number(b[1]) * 1000),
          dmesg: dm ? dm[1] : "",
          console: con,
          outFiles,
        });
      });
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Quote a string for busybox sh (single quotes). */
export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
