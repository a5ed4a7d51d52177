"""Speed of one training step, nnlesson against PyTorch on the CPU.

    python benchmarks/bench_step.py            # the full table (about 5 minutes)
    python benchmarks/bench_step.py --quick    # fewer steps and configurations, for a smoke run

The figures depend on the CPU: numpy's wheels multiply matrices with OpenBLAS, PyTorch's with MKL
and oneDNN, and which is faster differs between processors. So the script also times the step's
matrix products alone in both libraries; their ratio is the floor under the step's ratio.

A step is what a training loop does per mini-batch: zero the gradients, forward, softmax
cross-entropy, backward, optimizer step. The model is a 784-256-256-10 ReLU MLP (optionally with
BatchNorm after each hidden Linear, whose bias is then dropped, in both libraries). Every
configuration of batch size (32, 128, 512), dtype (float32, float64), optimizer (SGD with
momentum 0.9, Adam) and BatchNorm (off, on) is timed for both libraries, with 1 and 2 threads.

Thread counts are set per subprocess, before numpy or torch is imported, with OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS and MKL_NUM_THREADS, plus ``torch.set_num_threads``. In each subprocess,
after warm-up steps, the two libraries take turns in blocks of steps (so that load from other
programs hits both alike) and the MEDIAN step time is reported, with the ratio
nnlesson / PyTorch (below 1: nnlesson is faster). With one thread the table also gives the
ratio of median CPU times (process time), which waiting for a busy core does not inflate.

The import time of ``nnlesson`` is the median over several fresh interpreters.

To find what to speed up: ``--breakdown`` times each phase of the step (zero_grad, forward,
loss, backward, optimizer step) in both libraries with one thread; ``--profile`` runs cProfile
on nnlesson's step (one thread, float32, batch 128, Adam, with BatchNorm).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SIZES = (784, 256, 256, 10)
BATCHES = (32, 128, 512)
DTYPES = ("float32", "float64")
OPTIMIZERS = ("sgd", "adam")
THREADS = (1, 2)


# --------------------------------------------------------------------------- one process


def build(dtype_name, batch_norm, optimizer, seed=0):
    """The same network, the same initial weights and the same optimizer in both libraries."""
    import numpy as np
    import torch

    from nnlesson.optim import SGD, Adam
    from nnlesson.train import mlp

    dtype = np.dtype(dtype_name)
    model = mlp(list(SIZES), batch_norm=batch_norm, rng=seed, dtype=dtype)
    tdtype = {"float32": torch.float32, "float64": torch.float64}[dtype_name]
    layers = []
    for layer in model:
        name = type(layer).__name__
        if name == "Linear":
            lin = torch.nn.Linear(layer.n_in, layer.n_out, bias=layer.b is not None, dtype=tdtype)
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(np.ascontiguousarray(layer.W.value.T)))
                if layer.b is not None:
                    lin.bias.copy_(torch.from_numpy(layer.b.value))
            layers.append(lin)
        elif name == "BatchNorm":
            layers.append(torch.nn.BatchNorm1d(layer.n_features, dtype=tdtype))
        elif name == "ReLU":
            layers.append(torch.nn.ReLU())
        else:  # pragma: no cover
            raise TypeError(name)
    net = torch.nn.Sequential(*layers)
    if optimizer == "sgd":
        opt = SGD(model.parameters(), lr=0.01, momentum=0.9)
        topt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    else:
        opt = Adam(model.parameters(), lr=1e-3)
        topt = torch.optim.Adam(net.parameters(), lr=1e-3)
    return model, opt, net, topt


def make_batches(dtype_name, batch, n_batches=8, seed=0):
    import numpy as np

    rng = np.random.default_rng(seed)
    xs = [rng.normal(size=(batch, SIZES[0])).astype(dtype_name) for _ in range(n_batches)]
    ys = [rng.integers(0, SIZES[-1], size=batch) for _ in range(n_batches)]
    return xs, ys


def nnlesson_stepper(model, opt):
    from nnlesson.losses import softmax_cross_entropy

    def step(xb, yb):
        opt.zero_grad()
        out = model.forward(xb)
        loss, dout = softmax_cross_entropy(out, yb)
        model.backward(dout)
        opt.step()
        return loss

    return step


def torch_stepper(net, topt):
    import torch

    cross_entropy = torch.nn.functional.cross_entropy

    def step(xb, yb):
        topt.zero_grad()
        loss = cross_entropy(net(xb), yb)
        loss.backward()
        topt.step()
        return loss

    return step


def matmul_steppers(dtype_name, batch, seed=0):
    """Only the matrix products of one step, through each library's BLAS: three in forward
    (x @ W), five in backward (x.T @ dout for every layer, dout @ W.T for all but the first).

    The ratio of these two is the floor under the step's ratio: what numpy's BLAS (OpenBLAS)
    and PyTorch's (MKL, oneDNN) make of the same products on this CPU.
    """
    import numpy as np
    import torch

    rng = np.random.default_rng(seed)
    Ws = [rng.normal(size=(a, b)).astype(dtype_name) for a, b in zip(SIZES, SIZES[1:])]
    acts = [rng.normal(size=(batch, n)).astype(dtype_name) for n in SIZES]
    tWs, tacts = [torch.from_numpy(W) for W in Ws], [torch.from_numpy(a) for a in acts]

    def products(Ws, acts, mm):
        for k, W in enumerate(Ws):  # forward
            mm(acts[k], W)
        for k in reversed(range(len(Ws))):  # backward
            dout = acts[k + 1]
            mm(acts[k].T, dout)
            if k > 0:
                mm(dout, Ws[k].T)

    return (lambda xb, yb: products(Ws, acts, np.matmul),
            lambda xb, yb: products(tWs, tacts, torch.mm))


def time_pair(steps, data, *, warmup, blocks, block_seconds, pause):
    """Median seconds per step of each stepper (wall clock, then CPU time of the process), and
    how many steps each median is of.

    The steppers take turns in blocks (ABBAAB...) of at least ``block_seconds`` (and 3 steps),
    so that load from other programs on a shared machine hits both libraries alike. Before each
    block the process sleeps ``pause`` seconds: the idle worker threads of the other library's
    thread pool (OpenBLAS, OpenMP) spin for a while after their last task and would otherwise
    compete for the cores.
    """
    times = [[] for _ in steps]
    cpu_times = [[] for _ in steps]
    for step, (xs, ys) in zip(steps, data):
        for i in range(warmup):
            step(xs[i % len(xs)], ys[i % len(ys)])
    clock, cpu_clock = time.perf_counter, time.process_time
    for b in range(blocks):
        order = range(len(steps)) if b % 2 == 0 else reversed(range(len(steps)))
        for k in order:
            step, (xs, ys) = steps[k], data[k]
            time.sleep(pause)
            step(xs[0], ys[0])  # wake the thread pool up; not timed
            block_start = clock()
            i = 0
            while i < 3 or clock() - block_start < block_seconds:
                j = i % len(xs)
                start, cpu_start = clock(), cpu_clock()
                step(xs[j], ys[j])
                times[k].append(clock() - start)
                cpu_times[k].append(cpu_clock() - cpu_start)
                i += 1
    return ([statistics.median(t) for t in times], [statistics.median(t) for t in cpu_times],
            [len(t) for t in times])


def worker(threads, quick):
    import numpy as np
    import torch

    torch.set_num_threads(threads)
    results = []
    batches = (32, 512) if quick else BATCHES
    for dtype_name in DTYPES:
        for batch in batches:
            xs, ys = make_batches(dtype_name, batch)
            txs = [torch.from_numpy(x) for x in xs]
            tys = [torch.from_numpy(y) for y in ys]
            (ours, theirs), _, _ = time_pair(
                list(matmul_steppers(dtype_name, batch)), [(xs, ys), (txs, tys)], warmup=5,
                blocks=2 if quick else 4, block_seconds=0.1 if quick else 0.25, pause=0.25)
            results.append({"threads": threads, "dtype": dtype_name, "batch": batch,
                            "optimizer": "matmul", "nnlesson_ms": ours * 1e3,
                            "torch_ms": theirs * 1e3})
            for optimizer in OPTIMIZERS:
                for batch_norm in (False, True):
                    model, opt, net, topt = build(dtype_name, batch_norm, optimizer)
                    (ours, theirs), (ours_cpu, theirs_cpu), (ours_n, theirs_n) = time_pair(
                        [nnlesson_stepper(model, opt), torch_stepper(net, topt)],
                        [(xs, ys), (txs, tys)], warmup=5, blocks=2 if quick else 6,
                        block_seconds=0.1 if quick else 0.25, pause=0.25)
                    results.append({"threads": threads, "dtype": dtype_name, "batch": batch,
                                    "optimizer": optimizer, "batch_norm": batch_norm,
                                    "nnlesson_ms": ours * 1e3, "torch_ms": theirs * 1e3,
                                    "cpu_ratio": ours_cpu / theirs_cpu,
                                    "steps": (ours_n, theirs_n)})
                    assert np.isfinite(ours) and np.isfinite(theirs)
    print(json.dumps(results))


def breakdown(quick):
    """Median milliseconds of each phase of a step, both libraries, 1 thread."""
    import torch

    from nnlesson.losses import softmax_cross_entropy

    torch.set_num_threads(1)
    cross_entropy = torch.nn.functional.cross_entropy
    clock = time.perf_counter
    print("| dtype | batch | optimizer | BatchNorm | nnlesson zero / forward / loss / backward / step "
          "| PyTorch zero / forward+loss / backward / step |")
    print("|---|---:|---|---|---|---|")
    for dtype_name in DTYPES:
        for batch in ((32, 512) if quick else BATCHES):
            xs, ys = make_batches(dtype_name, batch)
            txs = [torch.from_numpy(x) for x in xs]
            tys = [torch.from_numpy(y) for y in ys]
            for optimizer in OPTIMIZERS:
                for batch_norm in (False, True):
                    model, opt, net, topt = build(dtype_name, batch_norm, optimizer)
                    ours, theirs = [[] for _ in range(5)], [[] for _ in range(4)]
                    for i in range(15 if quick else 60):
                        x, y, tx, ty = xs[i % 8], ys[i % 8], txs[i % 8], tys[i % 8]
                        t0 = clock(); opt.zero_grad()
                        t1 = clock(); out = model.forward(x)
                        t2 = clock(); _, dout = softmax_cross_entropy(out, y)
                        t3 = clock(); model.backward(dout)
                        t4 = clock(); opt.step()
                        t5 = clock(); topt.zero_grad()
                        t6 = clock(); loss = cross_entropy(net(tx), ty)
                        t7 = clock(); loss.backward()
                        t8 = clock(); topt.step()
                        t9 = clock()
                        if i >= 5:  # warm-up
                            for k, (a, b) in enumerate(((t0, t1), (t1, t2), (t2, t3), (t3, t4), (t4, t5))):
                                ours[k].append(b - a)
                            for k, (a, b) in enumerate(((t5, t6), (t6, t7), (t7, t8), (t8, t9))):
                                theirs[k].append(b - a)
                    fmt = lambda parts: " / ".join(f"{statistics.median(p) * 1e3:.3f}" for p in parts)
                    print(f"| {dtype_name} | {batch} | {optimizer} | {'yes' if batch_norm else 'no'} "
                          f"| {fmt(ours)} | {fmt(theirs)} |")


def profile():
    """cProfile of nnlesson's step: where does the time go?"""
    import cProfile
    import pstats

    model, opt, _, _ = build("float32", True, "adam")
    xs, ys = make_batches("float32", 128)
    step = nnlesson_stepper(model, opt)
    for i in range(10):
        step(xs[i % 8], ys[i % 8])
    prof = cProfile.Profile()
    prof.enable()
    for i in range(200):
        step(xs[i % 8], ys[i % 8])
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(25)


# --------------------------------------------------------------------------- parent


def thread_env(threads):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    return env


def run_worker(threads, quick):
    cmd = [sys.executable, __file__, "--worker", str(threads)] + (["--quick"] if quick else [])
    out = subprocess.run(cmd, env=thread_env(threads), capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def import_time(module, repeats):
    """Median seconds to import ``module`` in a fresh interpreter (1 thread)."""
    code = (f"import time; t = time.perf_counter(); import {module}; "
            "print(time.perf_counter() - t)")
    samples = []
    for _ in range(repeats + 1):  # the first run may write the bytecode cache: not counted
        out = subprocess.run([sys.executable, "-c", code], env=thread_env(1), capture_output=True,
                             text=True, check=True)
        samples.append(float(out.stdout))
    return statistics.median(samples[1:])


def blas_names():
    code = ("import numpy, torch, json; "
            "cfg = numpy.show_config(mode='dicts')['Build Dependencies']['blas']; "
            "print(json.dumps([cfg['name'] + ' ' + str(cfg.get('version', '')), "
            "'MKL' if torch.backends.mkl.is_available() else 'no MKL', torch.__version__, "
            "numpy.__version__]))")
    out = subprocess.run([sys.executable, "-c", code], env=thread_env(1), capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def matmul_table(rows):
    lines = ["| threads | dtype | batch | numpy (ms) | PyTorch (ms) | ratio |",
             "|---:|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['threads']} | {r['dtype']} | {r['batch']} | {r['nnlesson_ms']:.3f} | "
                     f"{r['torch_ms']:.3f} | {r['nnlesson_ms'] / r['torch_ms']:.2f} |")
    return "\n".join(lines)


def table(rows):
    lines = ["| threads | dtype | batch | optimizer | BatchNorm | nnlesson (ms) | PyTorch (ms) | ratio "
             "| ratio of CPU time |",
             "|---:|---|---:|---|---|---:|---:|---:|---:|"]
    for r in rows:
        ratio = r["nnlesson_ms"] / r["torch_ms"]
        # with 2 threads the process CPU time adds up both threads (and their spinning)
        cpu = f"{r['cpu_ratio']:.2f}" if r["threads"] == 1 else "-"
        lines.append(f"| {r['threads']} | {r['dtype']} | {r['batch']} | "
                     f"{'SGD+momentum' if r['optimizer'] == 'sgd' else 'Adam'} | "
                     f"{'yes' if r['batch_norm'] else 'no'} | {r['nnlesson_ms']:.3f} | "
                     f"{r['torch_ms']:.3f} | {ratio:.2f} | {cpu} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps and batch sizes")
    parser.add_argument("--profile", action="store_true", help="profile nnlesson's step instead")
    parser.add_argument("--breakdown", action="store_true",
                        help="time each phase of the step (1 thread) instead")
    parser.add_argument("--worker", type=int, metavar="THREADS", help=argparse.SUPPRESS)
    parser.add_argument("--breakdown-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    quick = ["--quick"] if args.quick else []
    if args.worker is not None:
        worker(args.worker, args.quick)
    elif args.breakdown_worker:
        breakdown(args.quick)
    elif args.profile_worker:
        profile()
    elif args.breakdown or args.profile:  # in a 1-thread subprocess
        flag = "--breakdown-worker" if args.breakdown else "--profile-worker"
        subprocess.run([sys.executable, __file__, flag] + quick, env=thread_env(1), check=True)
    else:
        report(args.quick)


def report(quick):
    """Import times, then the table of step times for 1 and 2 threads."""
    load_before = os.getloadavg()[0]
    numpy_blas, torch_blas, torch_version, numpy_version = blas_names()
    print(f"numpy {numpy_version} (BLAS: {numpy_blas}), PyTorch {torch_version} ({torch_blas}), "
          f"{os.cpu_count()} CPU(s): {cpu_name()}\n")
    repeats = 3 if quick else 7
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("PYTHONDONTWRITEBYTECODE is set: every import below compiles its source again")
    for module in ("numpy", "nnlesson", "nnlesson.train"):
        print(f"import {module}: {import_time(module, repeats) * 1e3:.1f} ms "
              f"(median of {repeats} fresh interpreters)")
    print()
    results = []
    for threads in THREADS:
        results.extend(run_worker(threads, quick))
    rows = [r for r in results if r["optimizer"] != "matmul"]
    products = [r for r in results if r["optimizer"] == "matmul"]
    print(table(rows))
    print()
    print("The matrix products of one step alone (the floor under the step's ratio: numpy's BLAS "
          "against PyTorch's on this CPU):\n")
    print(matmul_table(products))
    print()
    print(f"load average (1 min) before: {load_before:.2f}, after: {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} CPU(s); other programs' load slows the steps and adds noise\n")
    for threads, target in ((1, 1.0), (2, 1.2)):
        ratios = [r["nnlesson_ms"] / r["torch_ms"] for r in rows if r["threads"] == threads]
        print(f"{threads} thread(s): worst ratio {max(ratios):.2f}, median {statistics.median(ratios):.2f} "
              f"(target <= {target})")
    cpu = [r["cpu_ratio"] for r in rows if r["threads"] == 1]
    print(f"1 thread, CPU time: worst ratio {max(cpu):.2f}, median {statistics.median(cpu):.2f}")
    for threads in THREADS:
        ratios = [r["nnlesson_ms"] / r["torch_ms"] for r in products if r["threads"] == threads]
        print(f"{threads} thread(s), matrix products alone: ratio {min(ratios):.2f} to "
              f"{max(ratios):.2f}, median {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
