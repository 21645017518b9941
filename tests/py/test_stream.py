"""The streaming engine against PyTorch's windowed inference, window by window.

For every model of streamzoo and several hops (1, the alignment A, a misaligned hop, H = W), a
stream of many windows goes through tests/stream_check in each mode:
- exact and full must equal PyTorch on every window: max |error| <= 1e-4 * max |reference| + 1e-5;
- signal must equal them too when the plan says no trunk layer sees padding (and the plan must say
  so exactly for the models built without padding); otherwise its NRMSE is printed;
- a reset in the middle of a stream must restart it cleanly (outputs equal a fresh run);
- every model exported with a dynamic time axis streams at another window, equal to PyTorch;
- `vigil-model plan` prints the plan and refuses impossible windows and hops with the choices.
"""
import os
import subprocess

import numpy as np
import torch
import torch.nn as nn

import streamzoo
from vigiltest import Checks, tool, tmpdir

RTOL, ATOL = 1e-4, 1e-5


def windowed(module, x, window, hop, n):
    """PyTorch's output for windows 0..n-1 of x [1, C, (F,) T], flattened in ONNX order."""
    outs = []
    with torch.no_grad():
        for k in range(n):
            outs.append(module(x[..., k * hop:k * hop + window]).numpy().reshape(-1))
    return np.stack(outs)


def run(model, xfile, window, hop, mode, extra=(), env=None):
    out = xfile + ".%s.%d.out" % (mode, hop)
    r = subprocess.run([tool("stream_check"), model, xfile, out, "--window", str(window), "--hop",
                        str(hop), "--mode", mode] + list(extra), capture_output=True, text=True,
                       env=None if env is None else dict(os.environ, **env))
    if r.returncode != 0:
        return None, r.stderr.strip()
    info = dict(kv.split("=") for kv in r.stdout.split())
    if xfile == "-":
        return np.zeros(0, dtype=np.float32), info
    return np.fromfile(out, dtype=np.float32), info


def simd_kernels():
    """Whether Vigil's own conv kernels run here (kernels/ops/conv_simd.h): AVX-512, or AVX2 + FMA
    (VIGIL_SIMD=avx2 takes them on AVX-512 CPUs too), unless VIGIL_SIMD=none."""
    with open("/proc/cpuinfo") as f:
        flags = next((ln for ln in f if ln.startswith("flags")), "").split()
    simd = os.environ.get("VIGIL_SIMD")
    if simd == "none":
        return False
    if simd != "avx2" and "avx512f" in flags and "avx512vl" in flags:
        return True
    return "avx2" in flags and "fma" in flags


def plan_checks(c, d):
    """`vigil-model plan`: the SKAB autoencoder's alignment and phases, per-layer lines and the
    FLOP ratio; refusals of an impossible window and hop with the valid choices."""
    paths = {}
    for name, module, shape, _ in streamzoo.models():
        if name in ("skab_ae", "valid_chain"):
            paths[name] = os.path.join(d, name + ".plan.onnx")
            streamzoo.export(module, shape, paths[name])
    vm = tool("vigil-model")
    r = subprocess.run([vm, "plan", paths["skab_ae"], "--window", "60", "--hop", "1"],
                       capture_output=True, text=True)
    c.check(r.returncode == 0 and "alignment 4" in r.stdout and "phases 4" in r.stdout and
            "ratio full/hop" in r.stdout and "ConvTranspose" in r.stdout,
            "vigil-model plan skab_ae:\n" + r.stdout + r.stderr)
    # at hop 1 every layer computes columns in every hop: all 1388 parameters are read
    c.check("weights read per hop: 5552 bytes" in r.stdout,
            "vigil-model plan skab_ae weights per hop:\n" + r.stdout)
    # the two Conv + Relu pairs share a stream where the SIMD kernels fuse the Relu
    fused = simd_kernels() and os.environ.get("VIGIL_CONV") != "blas"
    shared = [ln for ln in r.stdout.splitlines() if ln.split()[3:4] and " shared " in ln]
    c.check(len(shared) == (2 if fused else 0),
            "vigil-model plan skab_ae: %d shared values, expected %d:\n%s"
            % (len(shared), 2 if fused else 0, r.stdout))
    r = subprocess.run([vm, "plan", paths["valid_chain"], "--window", "5", "--hop", "1"],
                       capture_output=True, text=True)
    c.check(r.returncode == 1 and "valid windows: 11 or more" in r.stderr,
            "vigil-model plan window 5: %d %s" % (r.returncode, r.stderr))
    r = subprocess.run([vm, "plan", paths["valid_chain"], "--window", "40", "--hop", "41",
                        "--mode", "signal"], capture_output=True, text=True)
    c.check(r.returncode == 1 and "choose a hop from 1 to 40" in r.stderr,
            "vigil-model plan hop 41: %d %s" % (r.returncode, r.stderr))
    se = os.path.join(d, "se.onnx")
    streamzoo.export(streamzoo.SEGate(), (1, 2, 32), se)
    r = subprocess.run([vm, "plan", se, "--hop", "4"], capture_output=True, text=True)
    # the fallback recomputes every window in signal mode too: the plan does not say it deviates
    c.check(r.returncode == 0 and "falls back to recomputing each window" in r.stdout and
            "squeeze-and-excitation" in r.stdout and "/Mul" in r.stdout and
            "signal mode is exact for this model (every window is recomputed)" in r.stdout and
            "deviates" not in r.stdout,
            "vigil-model plan of a gated model: %d %s%s" % (r.returncode, r.stdout, r.stderr))
    r = subprocess.run([vm, "plan", paths["valid_chain"], "--window", "40", "--hop", "4",
                        "--mode", "signal"], capture_output=True, text=True)
    c.check(r.returncode == 0 and "signal mode is exact" in r.stdout,
            "vigil-model plan signal:\n" + r.stdout + r.stderr)
    # PyTorch 1.13 exports AdaptiveMaxPool1d(1) as a MaxPool over the exported length: planned,
    # inspected or run at another window, vigil-model warns (and still goes on);
    # AdaptiveAvgPool1d(1) (GlobalAveragePool) and the exported length do not warn
    for pool, window, warns in (("max", 48, True), ("max", 32, False), ("avg", 48, False)):
        path = os.path.join(d, "head_%s.onnx" % pool)
        streamzoo.export(PooledHead(pool), (1, 2, 32), path)
        xin = os.path.join(d, "head_in.f32")
        np.zeros((2, window), np.float32).tofile(xin)
        for args in (["plan", path, "--window", str(window), "--hop", "4"],
                     ["info", path, "--length", str(window)],
                     ["run", path, xin, xin + ".out"]):
            r = subprocess.run([vm] + args, capture_output=True, text=True)
            c.check(r.returncode == 0 and ("warning: MaxPool" in r.stderr) == warns and
                    ("x.amax(-1)" in r.stderr) == warns,
                    "vigil-model %s, %s pool head at window %d: warning expected %s:\n%s" % (
                        args[0], pool, window, warns, r.stderr))


class PooledHead(torch.nn.Module):
    """Conv, then AdaptiveMaxPool1d(1) or AdaptiveAvgPool1d(1), then a dense layer."""

    def __init__(self, pool):
        super().__init__()
        self.conv, self.fc = torch.nn.Conv1d(2, 4, 3), torch.nn.Linear(4, 2)
        self.pool = torch.nn.AdaptiveMaxPool1d(1) if pool == "max" else torch.nn.AdaptiveAvgPool1d(1)

    def forward(self, x):
        return self.fc(self.pool(torch.relu(self.conv(x))).flatten(1))


def close(a, ref):
    err = np.max(np.abs(a - ref)) if a.size else 0.0
    return err <= RTOL * np.max(np.abs(ref)) + ATOL, err


def hop_matches(c, d, name, path, module, shape, window, hop, n, info):
    """Streams n windows of random input at this hop in exact and full modes (and signal where
    the plan's `info` says it is exact) and checks every window against PyTorch's; returns the
    worst error relative to each window's largest reference value."""
    worst = 0.0
    total = window + hop * (n - 1)
    x = torch.randn(*shape[:-1], total)
    xfile = os.path.join(d, "%s.%d.f32" % (name, hop))
    x[0].reshape(-1, total).T.contiguous().numpy().astype(np.float32).tofile(xfile)
    ref = windowed(module, x, window, hop, n)
    modes = ("exact", "full") + (("signal",) if info["signal_is_exact"] == "1" else ())
    for mode in modes:
        y, msg = run(path, xfile, window, hop, mode)
        if not c.check(y is not None and y.size == ref.size, "%s hop %d %s: %s" % (
                name, hop, mode, msg)):
            continue
        y = y.reshape(ref.shape)
        for k in range(n):
            ok, err = close(y[k], ref[k])
            worst = max(worst, err / max(1e-12, float(np.max(np.abs(ref[k])))))
            if not c.check(ok, "%s hop %d %s: window %d differs by %g (%s vs %s)" % (
                    name, hop, mode, k, err, y[k], ref[k])):
                break
    return worst


def spike_checks(c, d):
    """A large finite value (a sentinel such as 1e30) passing through the window of a
    GlobalAveragePool head: the running sums subtract it back out, which leaves an error of its
    size times 2^-53, so they must be re-summed once it has left (kernels/stream/vg_stream_sum.c).
    Every window must still equal windowed inference, with the spikes inside and after."""
    torch.manual_seed(5)
    module = nn.Sequential(nn.Conv1d(2, 8, 3), nn.ReLU(), nn.Conv1d(8, 6, 3, stride=2),
                           nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(6, 3)).eval()
    spike_windows(c, d, module, "gap_spike", 32, (1, 3))
    # Winograd's domain (16 -> 32, k3; unpadded, so that signal mode is windowed inference too),
    # outputs per column: its tiles must not put the spikes' rounding on the columns beside them,
    # which later windows reuse (kernels/ops/conv_simd.c); hop 16 runs its spans as F(4,3), the
    # first window as F(6,3)
    module = nn.Sequential(nn.Conv1d(2, 16, 3), nn.ReLU(), nn.Conv1d(16, 32, 3), nn.ReLU(),
                           nn.Conv1d(32, 2, 3)).eval()
    spike_windows(c, d, module, "wino_spike", 64, (1, 16))
    # F(4,5) and F(2,7) (16 -> 32 channels with 5 taps, 32 -> 64 with 7): hop 30's spans run them
    # on the histories
    module = nn.Sequential(nn.Conv1d(2, 16, 3), nn.ReLU(), nn.Conv1d(16, 32, 5), nn.ReLU(),
                           nn.Conv1d(32, 64, 7), nn.ReLU(), nn.Conv1d(64, 2, 5)).eval()
    spike_windows(c, d, module, "wino57_spike", 96, (1, 30))
    # dilated convs' phases (3 and 5 taps, dilation 2): hop 64's spans run them on the histories
    module = nn.Sequential(nn.Conv1d(2, 16, 3), nn.ReLU(), nn.Conv1d(16, 32, 3, dilation=2),
                           nn.ReLU(), nn.Conv1d(32, 32, 5, dilation=2), nn.ReLU(),
                           nn.Conv1d(32, 2, 3)).eval()
    spike_windows(c, d, module, "wino_dilated_spike", 128, (1, 64))


def moderate_spike_checks(c, d):
    """Spikes 50 to 3000 times the signal, too small to be outliers for a NaN-style rule but large
    beside the columns next to them: a Winograd tile that holds one puts its rounding (about 1e-6
    of the tile's largest magnitude) on every output of the tile, and in a stream those outputs
    stay in the history for later windows that no longer hold the spike (acceptance sweep of
    session 15: up to 1.5e-3 of the window's largest output with the old bound, 4096). Conv1d
    32 -> 64 on F(6,3) (k 3, dilations 1 and 3) and F(4,5) (k 5, dilation 3), exact mode at hop 5:
    the first window's columns come from Winograd and are reused."""
    torch.manual_seed(15)
    for k, dil in ((3, 1), (3, 3), (5, 3)):
        module = nn.Conv1d(32, 64, k, dilation=dil).eval()
        name = "moderate_spike_k%d_d%d" % (k, dil)
        path = os.path.join(d, name + ".onnx")
        streamzoo.export(module, (1, 32, 100), path)
        window, hop, n = 100, 5, 8
        bad = []
        for spike in range(0, 16, 3):
            for factor in (50.0, 300.0, 1000.0, 3000.0):  # 50: below the bound, on Winograd
                x = torch.randn(1, 32, window + hop * (n - 1))
                x[..., spike] *= factor
                xfile = os.path.join(d, "%s.f32" % name)
                x[0].T.contiguous().numpy().astype(np.float32).tofile(xfile)
                ref = windowed(module, x, window, hop, n)
                y, msg = run(path, xfile, window, hop, "exact")
                if not c.check(y is not None and y.size == ref.size, "%s: %s" % (name, msg)):
                    return
                y = y.reshape(ref.shape)
                bad += [(spike, factor, w, close(y[w], ref[w])[1] / np.max(np.abs(ref[w])))
                        for w in range(n) if not close(y[w], ref[w])[0]]
        c.check(not bad, "%s: %d windows differ from windowed inference, e.g. (spike column, "
                "factor, window, error / max |ref|) %s" % (name, len(bad), bad[:3]))


def spike_windows(c, d, module, name, window, hops):
    path = os.path.join(d, name + ".onnx")
    streamzoo.export(module, (1, 2, window), path)
    for hop in hops:
        n = 100
        x = torch.randn(1, 2, window + hop * (n - 1))
        x[0, 0, 5], x[0, 1, 40], x[0, 0, 41] = 1e30, -3e20, 1e15
        xfile = os.path.join(d, "%s.%d.f32" % (name, hop))
        x[0].T.contiguous().numpy().astype(np.float32).tofile(xfile)
        ref = windowed(module, x, window, hop, n)
        for mode in ("exact", "signal"):
            y, msg = run(path, xfile, window, hop, mode)
            if not c.check(y is not None and y.size == ref.size, "%s hop %d %s: %s" % (
                    name, hop, mode, msg)):
                continue
            y = y.reshape(ref.shape)
            bad = [k for k in range(n) if not close(y[k], ref[k])[0]]
            c.check(not bad, "%s hop %d %s: %d windows differ from windowed inference, "
                    "first %s: %s vs %s" % (name, hop, mode, len(bad), bad[:1],
                                            y[bad[0]] if bad else "", ref[bad[0]] if bad else ""))


def dynamic_checks(c, d):
    """Every model exported with a dynamic time axis (stream_check loads it at --window), streamed
    at a window 8 columns longer than the export's example input, in exact mode at hops 1 and 3:
    equal to PyTorch at every window (models whose head fixes the length are skipped, as PyTorch
    refuses them at that window too)."""
    count = 0
    for name, module, shape, _ in streamzoo.models():
        window = shape[-1] + 8
        try:
            with torch.no_grad():
                module(torch.zeros(*shape[:-1], window))
        except RuntimeError:
            continue
        path = os.path.join(d, name + ".dyn.onnx")
        streamzoo.export_dynamic(module, shape, path)
        for hop in (1, 3):
            n = 6
            x = torch.randn(*shape[:-1], window + hop * (n - 1))
            xfile = os.path.join(d, "%s.dyn.%d.f32" % (name, hop))
            x[0].reshape(-1, x.shape[-1]).T.contiguous().numpy().tofile(xfile)
            ref = windowed(module, x, window, hop, n)
            y, msg = run(path, xfile, window, hop, "exact")
            ok, err = (False, msg) if y is None else (False, "%d values, expected %d" % (
                y.size, ref.size)) if y.size != ref.size else close(y, ref.reshape(-1))
            c.check(ok, "%s exported with a dynamic time axis, W %d H %d: %s" % (name, window, hop,
                                                                              err))
            count += 1
    c.check(count >= 20, "dynamic time axis: only %d runs" % count)  # 26 with 13 models


def main():
    c = Checks("stream")
    d = tmpdir()
    worst = 0.0
    nrmse = {}
    for name, module, shape, padded in streamzoo.models():
        path = os.path.join(d, name + ".onnx")
        streamzoo.export(module, shape, path)
        window = shape[-1]
        probe, info = run(path, "-", window, 1, "exact")
        if not c.check(info is not None and isinstance(info, dict), "%s: %s" % (name, info)):
            continue
        align, phases = int(info["align"]), int(info["phases"])
        c.check(int(info["signal_is_exact"]) == (not padded),
                "%s: plan says signal_is_exact=%s" % (name, info["signal_is_exact"]))
        hops = sorted({1, min(align, window), min(align + 1, window), min(3, window), window})
        for hop in hops:
            n = max(8, 3 * phases + 3)
            total = window + hop * (n - 1)
            x = torch.randn(*shape[:-1], total)
            xfile = os.path.join(d, "%s.%d.f32" % (name, hop))
            xt = x[0].reshape(-1, total).T.contiguous().numpy()  # time-major frames
            xt.astype(np.float32).tofile(xfile)
            ref = windowed(module, x, window, hop, n)
            outs = {}
            for mode in ("exact", "full", "signal"):
                y, msg = run(path, xfile, window, hop, mode)
                if not c.check(y is not None, "%s hop %d %s: %s" % (name, hop, mode, msg)):
                    continue
                if not c.check(y.size == ref.size, "%s hop %d %s: %d values, expected %d" % (
                        name, hop, mode, y.size, ref.size)):
                    continue
                y = y.reshape(ref.shape)
                outs[mode] = y
                if mode == "signal" and padded:
                    rng = ref.max() - ref.min()
                    nrmse.setdefault(name, []).append(
                        float(np.sqrt(np.mean((y - ref) ** 2)) / (rng if rng > 0 else 1)))
                    ok, err = close(y[0], ref[0])
                    c.check(ok, "%s hop %d signal: first window differs by %g" % (name, hop, err))
                    continue
                for k in range(n):
                    ok, err = close(y[k], ref[k])
                    worst = max(worst, err / max(1e-12, np.max(np.abs(ref[k]))))
                    if not c.check(ok, "%s hop %d %s: window %d differs by %g (max |ref| %g)" % (
                            name, hop, mode, k, err, np.max(np.abs(ref[k])))):
                        break
            if hop == 1 and "exact" in outs:
                y, msg = run(path, xfile, window, hop, "exact",
                             ["--reset-after", str(window + 2 * phases + 1), "--chunk", "5"])
                c.check(y is not None and np.array_equal(y.reshape(ref.shape), outs["exact"]),
                        "%s: a reset does not restart the stream cleanly (%s)" % (name, msg))
        print("%s: window %d, align %d, phases %d, hops %s" % (name, window, align, phases, hops))
    plan_checks(c, d)
    spike_checks(c, d)
    moderate_spike_checks(c, d)
    dynamic_checks(c, d)
    print("worst relative error (exact, full, unpadded signal): %.3g" % worst)
    for name, v in nrmse.items():
        print("signal NRMSE %s: %s" % (name, " ".join("%.4f" % e for e in v)))
    c.done()


if __name__ == "__main__":
    main()
